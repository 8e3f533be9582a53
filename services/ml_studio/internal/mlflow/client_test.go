package mlflow_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/httpclient"
	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
)

func TestHealth(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		wantErr bool
	}{
		{"ok", http.StatusOK, false},
		{"server error", http.StatusInternalServerError, true},
		{"not found", http.StatusNotFound, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/health" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(tt.status)
			}))
			defer fake.Close()
			cfg := httpclient.Defaults()
			cfg.RetryMax = 0
			hc := httpclient.New(cfg, zap.NewNop())
			err := mlflow.New(fake.URL, hc, hc).Health(t.Context())
			if (err != nil) != tt.wantErr {
				t.Fatalf("Health() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

// TestRealMLflowIsBackedByPostgres talks to the real MLflow server and finds
// what it wrote in the PostgreSQL database it is meant to use.
func TestRealMLflowIsBackedByPostgres(t *testing.T) {
	base := testenv.MLflowURL(t)
	hc := httpclient.New(httpclient.Defaults(), zap.NewNop())
	client := mlflow.New(base, hc, hc)
	if err := client.Health(t.Context()); err != nil {
		t.Fatalf("MLflow at %s: %v", base, err)
	}

	name := "testenv-" + testenv.RandomSuffix()
	body, _ := json.Marshal(map[string]string{"name": name})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/2.0/mlflow/experiments/create", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var created struct {
		ExperimentID string `json:"experiment_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || resp.StatusCode != 200 || created.ExperimentID == "" {
		t.Fatalf("create experiment: status %d, %+v, %v", resp.StatusCode, created, err)
	}

	var stored string
	err = testenv.OpenPostgres(t).QueryRowContext(ctx,
		"SELECT name FROM experiments WHERE experiment_id = $1", created.ExperimentID).Scan(&stored)
	if err != nil {
		t.Fatalf("experiment %s not in PostgreSQL: %v", created.ExperimentID, err)
	}
	if stored != name {
		t.Fatalf("PostgreSQL holds %q for experiment %s, want %q", stored, created.ExperimentID, name)
	}
}

// TestCallReadsWhole: Call reads answers of any size whole, with or
// without a Content-Length, and an answer it returned stays intact while
// later calls reuse its pooled buffers.
func TestCallReadsWhole(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		fill := r.URL.Query().Get("fill")
		body := strings.Repeat(fill, size)
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.WriteHeader(http.StatusTeapot) // any status comes back as it is
		for len(body) > 0 {              // in pieces, flushed: chunked when no length is set
			n := min(len(body), 10_000)
			_, _ = io.WriteString(w, body[:n])
			w.(http.Flusher).Flush()
			body = body[n:]
		}
	}))
	defer fake.Close()
	cfg := httpclient.Defaults()
	cfg.RetryMax = 0
	hc := httpclient.New(cfg, zap.NewNop())
	client := mlflow.New(fake.URL, hc, hc)
	tests := []struct {
		name    string
		size    int
		chunked bool
	}{
		{"empty", 0, false},
		{"empty, chunked", 0, true},
		{"small", 100, false},
		{"small, chunked", 100, true},
		{"a 100-run search", 214_519, false},
		{"a 100-run search, chunked", 214_519, true},
		{"5 MB, chunked (larger than a pooled buffer is kept)", 5 << 20, true},
	}
	var kept []*mlflow.Response // every answer so far: none may change
	var wants []string
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fill := string(rune('a' + i))
			q := url.Values{"size": {strconv.Itoa(tt.size)}, "fill": {fill}}
			if tt.chunked {
				q.Set("chunked", "1")
			}
			resp, err := client.Call(t.Context(), http.MethodGet, "/x", q, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Repeat(fill, tt.size)
			if resp.Status != http.StatusTeapot || string(resp.Body) != want {
				t.Fatalf("status %d, %d bytes; want 418 and %d bytes of %q", resp.Status, len(resp.Body), tt.size, fill)
			}
			kept, wants = append(kept, resp), append(wants, want)
			for j, k := range kept {
				if string(k.Body) != wants[j] {
					t.Fatalf("answer %d changed after a later call", j)
				}
			}
		})
	}
}

// TestCopy: Copy moves bodies of any size, buffer after buffer.
func TestCopy(t *testing.T) {
	hc := httpclient.New(httpclient.Defaults(), zap.NewNop())
	client := mlflow.New("http://127.0.0.1:1", hc, hc)
	for _, size := range []int{0, 1, 32 << 10, 32<<10 + 1, 1 << 20} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			src := bytes.Repeat([]byte{'x'}, size)
			var dst bytes.Buffer
			n, err := client.Copy(struct{ io.Writer }{&dst}, struct{ io.Reader }{bytes.NewReader(src)}) // no ReadFrom/WriteTo shortcuts
			if err != nil || n != int64(size) || !bytes.Equal(dst.Bytes(), src) {
				t.Fatalf("Copy = %d, %v; %d bytes arrived, want %d", n, err, dst.Len(), size)
			}
		})
	}
}
