package api_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ml-studio/ml-studio/services/ml_studio/internal/api"
)

// otlpMLflow records the OTLP exports that reach it and answers the run
// lookup: run r1 is in experiment 1, run r2 in experiment 2.
type otlpMLflow struct {
	mu       sync.Mutex
	received []*http.Request
	bodies   [][]byte
}

func (m *otlpMLflow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/2.0/mlflow/runs/get" {
		run := r.URL.Query().Get("run_id")
		_, _ = w.Write([]byte(`{"run":{"info":{"run_id":"` + run + `","experiment_id":"` + strings.TrimPrefix(run, "r") + `"}}}`))
		return
	}
	body, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	m.received, m.bodies = append(m.received, r), append(m.bodies, body)
	m.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
}

func (m *otlpMLflow) take() ([]*http.Request, [][]byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, b := m.received, m.bodies
	m.received, m.bodies = nil, nil
	return r, b
}

func compressed(t *testing.T, enc string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	var w io.WriteCloser = gzip.NewWriter(&b)
	if enc == "deflate" {
		w = zlib.NewWriter(&b)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestOTLPExportChecksItsHeaders: OTLP spans go to an experiment the caller
// may edit, linked to a run the caller may edit; MLflow gets exactly the
// experiment and run checked, and the body uncompressed, never more than
// ml_studio bounded. Anything MLflow could read otherwise is refused.
func TestOTLPExportChecksItsHeaders(t *testing.T) {
	rec := &otlpMLflow{}
	srv := studioOn(t, rec, allowing{user: "alice", elements: map[string]bool{"experiment:1": true}})

	spans := []byte("\x0a\x02\x0a\x00") // any bytes: MLflow parses them, ml_studio does not need to
	bomb := compressed(t, "gzip", make([]byte, 17<<20))
	tests := []struct {
		name    string
		headers map[string][]string
		body    []byte
		want    int
		wantRun string
	}{
		{"into an experiment one may edit", map[string][]string{"X-Mlflow-Experiment-Id": {"1"}}, spans, 200, ""},
		{"linked to a run there", map[string][]string{"X-Mlflow-Experiment-Id": {"1"}, "X-Mlflow-Run-Id": {"r1"}}, spans, 200, "r1"},
		{"gzip", map[string][]string{"X-Mlflow-Experiment-Id": {"1"}, "Content-Encoding": {"gzip"}}, compressed(t, "gzip", spans), 200, ""},
		{"deflate", map[string][]string{"X-Mlflow-Experiment-Id": {"1"}, "Content-Encoding": {"deflate"}}, compressed(t, "deflate", spans), 200, ""},
		{"another experiment", map[string][]string{"X-Mlflow-Experiment-Id": {"2"}}, spans, 403, ""},
		{"a run of another experiment", map[string][]string{"X-Mlflow-Experiment-Id": {"1"}, "X-Mlflow-Run-Id": {"r2"}}, spans, 403, ""},
		{"the experiment spelt otherwise", map[string][]string{"X-Mlflow-Experiment-Id": {"01"}}, spans, 403, ""},
		{"no experiment", nil, spans, 400, ""},
		{"two experiments", map[string][]string{"X-Mlflow-Experiment-Id": {"1", "2"}}, spans, 400, ""},
		{"two runs", map[string][]string{"X-Mlflow-Experiment-Id": {"1"}, "X-Mlflow-Run-Id": {"r1", "r2"}}, spans, 400, ""},
		{"a workspace", map[string][]string{"X-Mlflow-Experiment-Id": {"1"}, "X-Mlflow-Workspace": {"w"}}, spans, 400, ""},
		{"another media type", map[string][]string{"X-Mlflow-Experiment-Id": {"1"}, "Content-Type": {"text/plain"}}, spans, 415, ""},
		{"another encoding", map[string][]string{"X-Mlflow-Experiment-Id": {"1"}, "Content-Encoding": {"br"}}, spans, 415, ""},
		{"not gzip", map[string][]string{"X-Mlflow-Experiment-Id": {"1"}, "Content-Encoding": {"gzip"}}, spans, 400, ""},
		{"a gzip bomb", map[string][]string{"X-Mlflow-Experiment-Id": {"1"}, "Content-Encoding": {"gzip"}}, bomb, 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, api.OTLPTracesPath, bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/x-protobuf")
			for k, v := range tt.headers {
				req.Header[k] = v
			}
			req.Header.Set("Authorization", "Bearer mlt_someone")
			w := httptest.NewRecorder()
			srv.Engine().ServeHTTP(w, req)
			got, bodies := rec.take()
			if w.Code != tt.want {
				t.Fatalf("answered %d %s, want %d", w.Code, w.Body, tt.want)
			}
			if tt.want != http.StatusOK {
				if len(got) > 0 {
					t.Fatalf("refused, yet MLflow received %s", got[0].URL)
				}
				if !strings.Contains(w.Body.String(), `"error_code"`) {
					t.Fatalf("not MLflow's error shape: %s", w.Body)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("MLflow received %d exports", len(got))
			}
			h := got[0].Header
			if got[0].URL.Path != api.OTLPTracesPath || h.Get("X-Mlflow-Experiment-Id") != "1" || h.Get("X-Mlflow-Run-Id") != tt.wantRun ||
				h.Get("Content-Encoding") != "" || h.Get("X-Mlflow-Workspace") != "" || h.Get("Authorization") != "" {
				t.Fatalf("MLflow received %s with %v", got[0].URL, h)
			}
			if !bytes.Equal(bodies[0], spans) {
				t.Fatalf("MLflow received %q, want the spans uncompressed", bodies[0])
			}
		})
	}
}
