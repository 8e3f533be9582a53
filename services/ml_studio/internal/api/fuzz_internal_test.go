package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
)

// is4xx reports whether err is an answer of the caller's fault.
func is4xx(err error) bool {
	var e *apierror.Error
	return errors.As(err, &e) && e.Status >= 400 && e.Status < 500
}

// FuzzSeedParams: no query string or body panics the seed routes' reader;
// a refusal is a 4xx; what it accepts holds each parameter once, from the
// query string or from the body (never both, so no two readers can differ
// on it), with the value it was given, and forwards as a JSON object of
// the same names.
// The committed corpus is testdata/fuzz/FuzzSeedParams; more runs with
// go test -fuzz FuzzSeedParams ./services/ml_studio/internal/api
func FuzzSeedParams(f *testing.F) {
	for _, seed := range []struct{ query, body string }{
		{"run_id=a&run_id=b", ""},
		{"name=m", `{"name":"n"}`},
		{"", `{"experiment_id":"1","tags":[{"key":"k","value":"v"}],"start_time":1e3}`},
		{"x=%zz", `null`},
		{"", `[1]`},
		{"a=1", `{"b":{"c":[null,true]}}`},
		{"", `{"a":1,"a":2}`},
	} {
		f.Add(seed.query, seed.body)
	}
	f.Fuzz(func(t *testing.T, query, body string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return // net/http hands handlers what parses
		}
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest(http.MethodPost, "/api/runs/get", strings.NewReader(body))
		c.Request.URL.RawQuery = query // as it came, whatever it holds
		p, err := readSeedParams(c)
		if err != nil {
			if !is4xx(err) {
				t.Fatalf("query %q body %q: %v, want a 4xx", query, body, err)
			}
			return
		}
		var fromBody map[string]any
		if body != "" {
			if err := json.Unmarshal([]byte(body), &fromBody); err != nil {
				t.Fatalf("body %q accepted but is not a JSON object: %v", body, err)
			}
		}
		for k, v := range p {
			inQuery, inBody := q[k] != nil, false
			if _, inBody = fromBody[k]; inQuery && inBody {
				t.Fatalf("%q given in both and kept", k)
			}
			switch {
			case inQuery && len(q[k]) == 1:
				if v != q[k][0] {
					t.Fatalf("%q: kept %v, given %q", k, v, q[k][0])
				}
			case inQuery:
				if s, ok := v.([]string); !ok || strings.Join(s, "\x00") != strings.Join(q[k], "\x00") {
					t.Fatalf("%q: kept %v, given %q", k, v, q[k])
				}
			case !inBody:
				t.Fatalf("%q kept but never given", k)
			}
		}
		if len(p) != len(q)+len(fromBody) {
			t.Fatalf("kept %d parameters of %d given", len(p), len(q)+len(fromBody))
		}
		// What reaches MLflow is rebuilt from them: the same names, as JSON.
		out, err := p.jsonBody()
		if err != nil {
			t.Fatalf("%v: cannot be forwarded: %v", p, err)
		}
		var forwarded map[string]json.RawMessage
		if err := json.Unmarshal(out, &forwarded); err != nil || len(forwarded) != len(p) {
			t.Fatalf("%v forwarded as %s (%v)", p, out, err)
		}
	})
}

// FuzzNarrowFilter: the filter clause a search adds to name the models or
// experiments the caller may read reads back as exactly those names (parse
// → print → parse), and a name that would need quoting is never written
// into it. The user's own filter is joined with AND before it.
// go test -fuzz FuzzNarrowFilter ./services/ml_studio/internal/api
func FuzzNarrowFilter(f *testing.F) {
	f.Add("churn\x00fraud model", "experiment:1\x00experiment:02\x00experiment:x")
	f.Add("a') OR name LIKE ('%", "experiment:9")
	f.Add("a\\'\x00b", "experiment:")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, models, experiments string) {
		var elements []string
		for name := range strings.SplitSeq(models, "\x00") {
			elements = append(elements, access.Model(name))
		}
		clause := namedModels(elements)
		if clause != "" {
			names, ok := strings.CutPrefix(clause, "name IN ('")
			if !ok || !strings.HasSuffix(names, "')") {
				t.Fatalf("clause %q", clause)
			}
			got := strings.Split(strings.TrimSuffix(names, "')"), "','")
			if want := strings.Split(models, "\x00"); strings.Join(got, "\x00") != strings.Join(want, "\x00") {
				t.Fatalf("clause %q names %q, want %q", clause, got, want)
			}
			if strings.ContainsAny(strings.TrimSuffix(names, "')"), "\"\\") {
				t.Fatalf("clause %q carries a quote or escape", clause)
			}
		}
		for e := range strings.SplitSeq(experiments, "\x00") {
			id := strings.TrimPrefix(e, "experiment:")
			if access.Experiment(id) == e && strings.Trim(id, "0123456789") != "" {
				t.Fatalf("%q passes for an experiment id", id)
			}
		}
	})
}

// FuzzPageToken: ml_studio's page tokens read back as written, and no token
// a caller makes up gives a negative skip.
// go test -fuzz FuzzPageToken ./services/ml_studio/internal/api
func FuzzPageToken(f *testing.F) {
	f.Add(cursor{Token: "abc", Skip: 3}.encode())
	f.Add("eyJzIjotMX0") // {"s":-1}
	f.Add("!!")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := decodeCursor(token)
		if err != nil {
			if !is4xx(err) {
				t.Fatalf("%q: %v", token, err)
			}
			return
		}
		if c.Skip < 0 {
			t.Fatalf("%q: skip %d", token, c.Skip)
		}
		again, err := decodeCursor(c.encode())
		if err != nil || again != c {
			t.Fatalf("%q: %+v reads back as %+v (%v)", token, c, again, err)
		}
	})
}

// FuzzArtifactPath: a path the artifact routes accept stays inside the
// run's artifacts: relative, clean, without "..", a backslash or NUL.
// go test -fuzz FuzzArtifactPath ./services/ml_studio/internal/api
func FuzzArtifactPath(f *testing.F) {
	for _, seed := range []string{"model/MLmodel", "a/../../b", "/etc/passwd", "a\\..\\b", "./x/./y", "..", " ", "a/b/..", "a//b/", "a/\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := artifactPath(params{"path": raw}, false)
		if err != nil {
			if !is4xx(err) {
				t.Fatalf("%q: %v", raw, err)
			}
			return
		}
		if got == "" {
			return // the run's root
		}
		if path.Clean(got) != got || path.IsAbs(got) || got == ".." || strings.HasPrefix(got, "../") ||
			strings.ContainsAny(got, "\\\x00") || bytes.Contains([]byte("/"+got+"/"), []byte("/../")) {
			t.Fatalf("%q accepted as %q", raw, got)
		}
	})
}

// TestSeedParamsRefuseNUL: a NUL anywhere in a parameter, or a page token
// that is not printable ASCII, is a 400 naming
// it (found by schemathesis: MLflow answered 500 for either).
func TestSeedParamsRefuseNUL(t *testing.T) {
	for _, tc := range []struct {
		name, query, body string
		refused           string // the parameter named, "" when accepted
	}{
		{"query value", "run_id=a%00b", "", "run_id"},
		{"repeated query value", "stages=a&stages=%00", "", "stages"},
		{"body string", "", `{"name":"m\u0000"}`, "name"},
		{"nested in a list of objects", "", `{"run_id":"r","tags":[{"key":"k","value":"v\u0000"}]}`, "tags"},
		{"object key", "", `{"filter":{"a\u0000":1}}`, "filter"},
		{"an escaped backslash is text", "", `{"name":"a\\u0000"}`, ""},
		{"page token not ASCII", "page_token=%C3%A9", "", "page_token"},
		{"page token of ours", "page_token=eyJ0IjoiYWJjIiwicyI6M30", "", ""},
		{"plain", "name=m", `{"tags":[{"key":"k","value":"v"}]}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			c.Request = httptest.NewRequest(http.MethodPost, "/api/models/create", strings.NewReader(tc.body))
			c.Request.URL.RawQuery = tc.query
			_, err := readSeedParams(c)
			switch {
			case tc.refused == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.refused != "" && (!apierror.IsStatus(err, http.StatusBadRequest) || !strings.Contains(err.Error(), "'"+tc.refused+"'")):
				t.Fatalf("got %v, want a 400 naming %s", err, tc.refused)
			}
		})
	}
}
