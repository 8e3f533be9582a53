package api_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/httpclient"
	"github.com/ml-studio/ml-studio/pkg/server"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/api"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/cerberus"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
)

// allowAll is a cerberus that allows everything.
type allowAll struct{}

func (allowAll) Authorize(context.Context, cerberus.Credential, string, string) (cerberus.Decision, error) {
	return cerberus.Decision{Allowed: true}, nil
}

func (allowAll) AuthorizeBatch(_ context.Context, _ cerberus.Credential, elements []string, _ string) (map[string]cerberus.Decision, error) {
	out := map[string]cerberus.Decision{}
	for _, e := range elements {
		out[e] = cerberus.Decision{Allowed: true}
	}
	return out, nil
}

func (allowAll) Readable(context.Context, cerberus.Credential, string, string) (cerberus.Readable, error) {
	return cerberus.Readable{All: true}, nil
}

// TestAnswersStreamThrough: answers ml_studio does not look into reach the
// caller while MLflow is still writing them. The fake MLflow sends the
// first half of a large answer, then waits until the caller has read it
// through ml_studio before sending the rest: an ml_studio that read answers
// whole would never pass the first half on, and the test would time out.
// (All but the last few KB of it: net/http's writer holds up to 4 KB until
// more comes or the answer ends.)
func TestAnswersStreamThrough(t *testing.T) {
	const half = 256 << 10 // far larger than any buffer on the way
	first := `{"runs":[` + strings.Repeat(`{"info":{"run_id":"r"}},`, half/24)
	rest := `{"info":{"run_id":"last"}}]}`
	tests := []struct {
		name, method, target, body string
		mlflowPath                 string
		chunked                    bool // MLflow sends no Content-Length
	}{
		{"seed runs/search", http.MethodPost, "/api/runs/search", `{"experiment_ids":["1"]}`, "/api/2.0/mlflow/runs/search", false},
		{"seed runs/search, chunked", http.MethodPost, "/api/runs/search", `{"experiment_ids":["1"]}`, "/api/2.0/mlflow/runs/search", true},
		{"gateway runs/search", http.MethodPost, "/api/2.0/mlflow/runs/search", `{"experiment_ids":["1"]}`, "/api/2.0/mlflow/runs/search", false},
		{"gateway logged-models/search", http.MethodPost, "/api/2.0/mlflow/logged-models/search", `{"experiment_ids":["1"]}`, "/api/2.0/mlflow/logged-models/search", false},
		{"gateway experiments/get", http.MethodGet, "/api/2.0/mlflow/experiments/get?experiment_id=1", "", "/api/2.0/mlflow/experiments/get", false},
		{"ajax-api metrics/get-history", http.MethodGet, "/ajax-api/2.0/mlflow/metrics/get-history?run_id=r1&metric_key=m", "", "/api/2.0/mlflow/metrics/get-history", true},
		{"seed experiments/get", http.MethodGet, "/api/experiments/get?experiment_id=1", "", "/api/2.0/mlflow/experiments/get", false},
		{"seed metrics/get-history", http.MethodGet, "/api/metrics/get-history?run_id=r1&metric_key=m", "", "/api/2.0/mlflow/metrics/get-history", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			firstRead := make(chan struct{})
			fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/api/2.0/mlflow/runs/get" { // the run → experiment lookup
					_, _ = io.WriteString(w, `{"run":{"info":{"run_id":"r1","experiment_id":"1"}}}`)
					return
				}
				if r.URL.Path != tt.mlflowPath {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				if !tt.chunked {
					w.Header().Set("Content-Length", strconv.Itoa(len(first)+len(rest)))
				}
				_, _ = io.WriteString(w, first)
				w.(http.Flusher).Flush()
				select {
				case <-firstRead:
				case <-time.After(10 * time.Second):
					return // the caller never saw the first half: the answer stays short
				case <-r.Context().Done():
					return
				}
				_, _ = io.WriteString(w, rest)
			}))
			defer fake.Close()
			hc := httpclient.New(httpclient.Defaults(), zap.NewNop())
			srv := server.New(server.Config{}, zap.NewNop(), "ml_studio")
			api.Register(srv.Engine(), &api.Deps{MLflow: mlflow.New(fake.URL, hc, hc), Access: access.NewAuthorizer(allowAll{}, 0), DefaultProject: "default"})
			studio := httptest.NewServer(srv.Engine())
			defer studio.Close()

			req, err := http.NewRequestWithContext(t.Context(), tt.method, studio.URL+tt.target, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer x")
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d: %.200s", resp.StatusCode, b)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q, want MLflow's application/json", ct)
			}
			body := bufio.NewReader(resp.Body)
			got := make([]byte, len(first)-16<<10)
			if _, err := io.ReadFull(body, got); err != nil {
				t.Fatalf("first half: %v (the answer was not streamed)", err)
			}
			close(firstRead)
			tail, err := io.ReadAll(body)
			if err != nil {
				t.Fatalf("second half: %v", err)
			}
			if string(got)+string(tail) != first+rest {
				t.Errorf("answer differs from MLflow's (%d bytes, want %d)", len(got)+len(tail), len(first)+len(rest))
			}
			if want := int64(len(first) + len(rest)); !tt.chunked && resp.ContentLength != want {
				t.Errorf("Content-Length %d, want MLflow's %d", resp.ContentLength, want)
			}
		})
	}
}
