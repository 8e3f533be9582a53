package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/server"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/api"
)

func TestWelcomeIsTheSeedsExactBody(t *testing.T) {
	srv := server.New(server.Config{}, zap.NewNop(), "ml_studio")
	api.Register(srv.Engine(), nil)
	rec := httptest.NewRecorder()
	srv.Engine().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	const want = `{"message":"Welcome to ML Studio","service":"ml_studio","status":"Online"}`
	if rec.Code != http.StatusOK || rec.Body.String() != want {
		t.Fatalf("GET / = %d %q, want 200 %q", rec.Code, rec.Body.String(), want)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
}
