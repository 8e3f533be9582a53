package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/cerberus"
)

// renames is a cerberus registrar that records renames and refuses one
// whose target is taken.
type renames struct {
	registry
	mu    sync.Mutex
	done  []string
	taken string
}

func (r *renames) Rename(_ context.Context, _ cerberus.Credential, from, to string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if to == r.taken {
		return apierror.Conflict("element %s exists", to)
	}
	r.done = append(r.done, from+" -> "+to)
	return nil
}

// TestRenameModelOrder: the element is renamed before the model, so a name
// whose element is someone else's never reaches MLflow, and a rename MLflow
// refuses is undone in cerberus.
func TestRenameModelOrder(t *testing.T) {
	tests := []struct {
		name        string
		taken       string // the element cerberus refuses to rename to
		mlflowFails bool
		wantStatus  int
		wantMLflow  int // rename calls MLflow received
		wantRenames []string
	}{
		{"both rename", "", false, http.StatusOK, 1, []string{"registered_model:a -> registered_model:b"}},
		{"cerberus refuses: MLflow is not asked", "registered_model:b", false, http.StatusConflict, 0, nil},
		{"MLflow refuses: cerberus is undone", "", true, http.StatusBadRequest, 1,
			[]string{"registered_model:a -> registered_model:b", "registered_model:b -> registered_model:a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls int
			var mu sync.Mutex
			fake := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/2.0/mlflow/registered-models/rename" {
					http.NotFound(w, r)
					return
				}
				mu.Lock()
				calls++
				mu.Unlock()
				if tt.mlflowFails {
					w.WriteHeader(http.StatusBadRequest)
					_, _ = w.Write([]byte(`{"error_code":"RESOURCE_ALREADY_EXISTS","message":"Registered Model (name=b) already exists."}`))
					return
				}
				_, _ = w.Write([]byte(`{"registered_model":{"name":"b"}}`))
			})
			reg := &renames{taken: tt.taken}
			srv := studioOnWith(t, fake, allowAll{}, reg)
			req := httptest.NewRequest(http.MethodPost, "/api/2.0/mlflow/registered-models/rename", strings.NewReader(`{"name":"a","new_name":"b"}`))
			req.Header.Set("Authorization", "Bearer mlt_alice")
			w := httptest.NewRecorder()
			srv.Engine().ServeHTTP(w, req)
			if w.Code != tt.wantStatus {
				t.Errorf("answered %d %s, want %d", w.Code, w.Body, tt.wantStatus)
			}
			if calls != tt.wantMLflow {
				t.Errorf("MLflow received %d renames, want %d", calls, tt.wantMLflow)
			}
			if !reflect.DeepEqual(reg.done, tt.wantRenames) {
				t.Errorf("cerberus renames %v, want %v", reg.done, tt.wantRenames)
			}
		})
	}
}
