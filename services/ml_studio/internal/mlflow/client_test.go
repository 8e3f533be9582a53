package mlflow_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
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
