package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/server"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/api"
)

type fakeDB struct {
	name string
	err  error
}

func (f fakeDB) DatabaseName(context.Context) (string, error) { return f.name, f.err }

func TestIndex(t *testing.T) {
	tests := []struct {
		name       string
		db         fakeDB
		wantStatus int
		wantBody   string
	}{
		{"connected", fakeDB{name: "auth"}, 200, "Connected to database: auth"},
		{"name from the connection", fakeDB{name: "other"}, 200, "Connected to database: other"},
		{"database down", fakeDB{err: errors.New("dial tcp: connection refused")}, 503, `{"error":"cannot reach the database"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := server.New(server.Config{}, zap.NewNop(), "cerberus")
			api.Register(srv.Engine(), tt.db, nil)
			rec := httptest.NewRecorder()
			srv.Engine().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody {
				t.Fatalf("GET / = %d %q, want %d %q", rec.Code, rec.Body.String(), tt.wantStatus, tt.wantBody)
			}
		})
	}
}
