package bind_test

import (
	"bytes"
	"errors"
	"net/url"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/bind"
)

// fuzzBody is a body with the kinds of fields the handlers bind.
type fuzzBody struct {
	Name   string            `json:"name"`
	Count  *int              `json:"count"`
	On     bool              `json:"on"`
	Tags   []string          `json:"tags"`
	Labels map[string]string `json:"labels"`
}

// FuzzJSON: no body panics the binder; what it accepts is one JSON object
// (never null, a list or a bare value), and what it refuses is a 4xx.
// The committed corpus is testdata/fuzz/FuzzJSON; more runs with
// go test -fuzz FuzzJSON ./pkg/bind
func FuzzJSON(f *testing.F) {
	for _, seed := range []string{
		`{"name":"a","count":2,"on":true,"tags":["x"],"labels":{"k":"v"}}`,
		`{"name":"a"} {}`, `{"nme":"a"}`, `null`, ` null `, `[]`, `"a"`, `1`, `{"count":1e400}`,
		`{"name":"\ud800"}`, `{"labels":null}`, "\ufeff{}", `{"name":"a","name":"b"}`,
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, body string, strict bool) {
		c := ctxWith(body, "")
		var v fuzzBody
		var err error
		if strict {
			err = bind.JSON(c, &v)
		} else {
			err = bind.JSONLoose(c, &v)
		}
		if err != nil {
			var e *apierror.Error
			if !errors.As(err, &e) || e.Status < 400 || e.Status >= 500 {
				t.Fatalf("%q refused with %v, want a 4xx", body, err)
			}
			return
		}
		if trimmed := bytes.TrimLeft([]byte(body), " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
			t.Fatalf("%q accepted: not a JSON object", body)
		}
	})
}

// FuzzPaging: limit and offset are within their bounds or refused (400).
func FuzzPaging(f *testing.F) {
	for _, q := range []string{"", "limit=10&offset=5", "limit=0", "limit=501", "offset=-1", "limit=1e3", "limit=%2B7", "limit=9999999999999999999999", "limit=&offset="} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		if _, err := url.ParseQuery(query); err != nil {
			return // net/http would not hand it over as it is
		}
		c := ctxWith("", "")
		c.Request.URL.RawQuery = query // as it came, whatever it holds
		p, err := bind.Paging(c)
		if err != nil {
			if !apierror.IsStatus(err, 400) {
				t.Fatalf("%q: %v, want 400", query, err)
			}
			return
		}
		if p.Limit < 1 || p.Limit > 500 || p.Offset < 0 || p.Offset > 1<<30 {
			t.Fatalf("%q gave %+v", query, p)
		}
	})
}
