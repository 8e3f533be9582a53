package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
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

// noRegistry registers anything.
type noRegistry struct{}

func (noRegistry) Register(context.Context, cerberus.Credential, string, string) error { return nil }
func (noRegistry) Rename(context.Context, cerberus.Credential, string, string) error   { return nil }
func (noRegistry) Unregister(context.Context, cerberus.Credential, string) error       { return nil }

// TestMLflowTimeoutIsGatewayTimeout: an MLflow that takes longer than the
// upstream timeout is answered 504 with a JSON error saying MLflow did not
// answer in time, in the shape of the route (the seed's {"error"}, MLflow's
// {"error_code","message"} on its REST surface), whether MLflow sends
// nothing or stalls after its headers; one that is not there at all is
// still a 502, and one in time a 200.
func TestMLflowTimeoutIsGatewayTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	const (
		inTime     = "in time"
		silent     = "sends nothing"        // sleeps before its headers
		stalled    = "stalls after headers" // sends headers, sleeps before the body
		notRunning = "not running"
	)
	routes := []struct {
		name, method, target, body string
		mlflowShape                bool
	}{
		{"seed experiments/get (streamed)", http.MethodGet, "/api/experiments/get?experiment_id=1", "", false},
		{"seed experiments/get-by-name (read whole)", http.MethodGet, "/api/experiments/get-by-name?experiment_name=e", "", false},
		{"seed runs/search (streamed)", http.MethodPost, "/api/runs/search", `{"experiment_ids":["1"]}`, false},
		{"seed experiments/update (a write, streamed)", http.MethodPost, "/api/experiments/update", `{"experiment_id":"1","new_name":"n"}`, false},
		{"gateway experiments/get (relayed)", http.MethodGet, "/api/2.0/mlflow/experiments/get?experiment_id=1", "", true},
		{"gateway experiments/create (read whole)", http.MethodPost, "/api/2.0/mlflow/experiments/create", `{"name":"e"}`, true},
		{"gateway runs/get (its run lookup read whole)", http.MethodGet, "/api/2.0/mlflow/runs/get?run_id=r1", "", true},
	}
	for _, mode := range []string{inTime, silent, stalled, notRunning} {
		for _, rt := range routes {
			t.Run(mode+"/"+rt.name, func(t *testing.T) {
				t.Parallel()
				release := make(chan struct{}) // ends the fake's sleeps when the test is done
				fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					answer := `{"experiment":{"experiment_id":"1","name":"e"},"experiment_id":"1","run":{"info":{"run_id":"r1","experiment_id":"1"}},"runs":[]}`
					if mode == silent {
						select {
						case <-release:
						case <-time.After(10 * timeout):
						}
					}
					w.Header().Set("Content-Type", "application/json")
					if mode == stalled {
						w.WriteHeader(http.StatusOK)
						_, _ = io.WriteString(w, answer[:10])
						w.(http.Flusher).Flush()
						select {
						case <-release:
						case <-time.After(10 * timeout):
						}
					}
					_, _ = io.WriteString(w, answer)
				}))
				defer fake.Close()
				defer close(release)
				mlflowURL := fake.URL
				if mode == notRunning {
					fake.Close()
				}
				cfg := httpclient.Defaults()
				cfg.Timeout, cfg.RetryMax = timeout, 0
				hc := httpclient.New(cfg, zap.NewNop())
				srv := server.New(server.Config{}, zap.NewNop(), "ml_studio")
				api.Register(srv.Engine(), &api.Deps{
					MLflow:   mlflow.New(mlflowURL, hc, hc),
					Access:   access.NewAuthorizer(allowAll{}, 0),
					Registry: noRegistry{}, DefaultProject: "default",
				})
				req := httptest.NewRequest(rt.method, rt.target, strings.NewReader(rt.body))
				req.Header.Set("Authorization", "Bearer x")
				req.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				start := time.Now()
				srv.Engine().ServeHTTP(w, req)
				took := time.Since(start)

				switch {
				case mode == inTime:
					if w.Code != http.StatusOK {
						t.Fatalf("answered %d: %s", w.Code, w.Body)
					}
					return
				case mode == stalled && w.Code == http.StatusOK:
					// A streamed answer has sent its status before the stall:
					// all it can do is end short, never hang.
					if !strings.Contains(rt.name, "streamed") && !strings.Contains(rt.name, "relayed") {
						t.Fatalf("answered 200 (%q) though its body never came whole", w.Body)
					}
					if took > 5*timeout {
						t.Errorf("took %s, want about the timeout (%s)", took, timeout)
					}
					return
				}
				want, message := http.StatusGatewayTimeout, "the MLflow tracking server did not answer in time"
				if mode == notRunning {
					want, message = http.StatusBadGateway, "the MLflow tracking server is unreachable"
				}
				if w.Code != want {
					t.Fatalf("answered %d: %s, want %d", w.Code, w.Body, want)
				}
				if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("Content-Type %q, want JSON", ct)
				}
				var body map[string]string
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
					t.Fatalf("body %q is not a JSON object: %v", w.Body, err)
				}
				wantBody := map[string]string{"error": message}
				if rt.mlflowShape {
					code := "DEADLINE_EXCEEDED"
					if mode == notRunning {
						code = "TEMPORARILY_UNAVAILABLE"
					}
					wantBody = map[string]string{"error_code": code, "message": message}
				}
				if len(body) != len(wantBody) {
					t.Errorf("body %v, want %v", body, wantBody)
				}
				for k, v := range wantBody {
					if body[k] != v {
						t.Errorf("body %v, want %v", body, wantBody)
					}
				}
				if mode != notRunning && (took < timeout || took > 5*timeout) {
					t.Errorf("answered after %s, want about the timeout (%s)", took, timeout)
				}
			})
		}
	}
}
