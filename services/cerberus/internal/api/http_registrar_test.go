package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/server"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/api"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/service"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// TestRegistrarReservesExperimentsAndModels: with a registrar secret, only
// ml_studio (holding it) and admins register or rename experiments and
// models, so nobody can claim an MLflow object before ml_studio registers it.
func TestRegistrarReservesExperimentsAndModels(t *testing.T) {
	const secret = "registrar-secret-0123456789"
	st := storetest.Migrated(t, storetest.SQLite)
	passwords, err := authn.NewPasswords(4, 12)
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(service.Config{SessionTTL: time.Hour, MaxTokenTTL: 24 * time.Hour, DefaultTokenTT: time.Hour, Cache: testCache, RegistrarSecret: secret},
		st, passwords, authn.NewThrottle(authn.ThrottleConfig{}), zap.NewNop())
	t.Cleanup(svc.Start(context.Background()))
	srv := server.New(server.Config{}, zap.NewNop(), "cerberus")
	api.Register(srv.Engine(), st, svc)
	h := &harness{t: t, store: st, svc: svc, h: srv.Engine(), log: zap.NewNop()}
	admin := h.bootstrap()
	h.createUser(admin, "alice", alicePW)
	h.grant(bearer(admin), map[string]string{"element": "project:default", "operation": "create", "user": "alice"})
	alice := h.login("alice", alicePW)

	register := func(name string, registrar string) int {
		c := call{method: http.MethodPost, path: "/api/elements", auth: bearer(alice), body: map[string]string{"name": name, "parent": "project:default"}}
		if registrar != "" {
			c.header = http.Header{api.RegistrarHeader: {registrar}}
		}
		return h.do(c).code
	}
	tests := []struct {
		name, element, registrar string
		want                     int
	}{
		{"a project needs no registrar", "project:alice-own", "", http.StatusCreated},
		{"an experiment without the secret", "experiment:41", "", http.StatusForbidden},
		{"a model with a wrong secret", "registered_model:m", "not-the-secret-at-all", http.StatusForbidden},
		{"an experiment through ml_studio", "experiment:42", secret, http.StatusCreated},
		{"a model through ml_studio", "registered_model:m", secret, http.StatusCreated},
		{"a non-canonical experiment id", "experiment:042", secret, http.StatusBadRequest},
		{"an AI gateway secret without the secret", "gateway_secret:s-1", "", http.StatusForbidden},
		{"an AI gateway model definition without the secret", "gateway_model_definition:d-1", "", http.StatusForbidden},
		{"an AI gateway endpoint without the secret", "gateway_endpoint:e-1", "", http.StatusForbidden},
		{"an AI gateway endpoint through ml_studio", "gateway_endpoint:e-1", secret, http.StatusCreated},
		{"a kind pkg/catalogue does not declare", "gateway_budget:b-1", secret, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := register(tt.element, tt.registrar); got != tt.want {
				t.Fatalf("register %s = %d, want %d", tt.element, got, tt.want)
			}
		})
	}
	// use sits below read: it lets bob invoke alice's endpoint, not read it.
	t.Run("use on an endpoint allows using it, not reading it", func(t *testing.T) {
		h.createUser(admin, "bob", bobPW)
		bob := h.login("bob", bobPW)
		if d := h.decide(bob, "gateway_endpoint:e-1", "use"); d.Allowed {
			t.Fatalf("bob uses the endpoint without a grant: %+v", d)
		}
		h.grant(bearer(alice), map[string]string{"element": "gateway_endpoint:e-1", "operation": "use", "user": "bob"})
		for op, want := range map[string]bool{"use": true, "read": false, "edit": false, "manage": false, "create": false} {
			if d := h.decide(bob, "gateway_endpoint:e-1", op); d.Allowed != want {
				t.Errorf("bob %s with a use grant: %+v, want allowed=%v", op, d, want)
			}
		}
		for op, want := range map[string]bool{"use": true, "read": true, "manage": true} {
			if d := h.decide(alice, "gateway_endpoint:e-1", op); d.Allowed != want {
				t.Errorf("alice (its creator) %s: %+v, want allowed=%v", op, d, want)
			}
		}
	})
	t.Run("a rename onto another model name needs the registrar", func(t *testing.T) {
		c := call{method: http.MethodPost, path: "/api/elements/rename", auth: bearer(alice), body: map[string]string{"from": "registered_model:m", "to": "registered_model:other"}}
		if got := h.do(c).code; got != http.StatusForbidden {
			t.Fatalf("rename without the secret = %d, want 403", got)
		}
		c.header = http.Header{api.RegistrarHeader: {secret}}
		if got := h.do(c).code; got != http.StatusNoContent {
			t.Fatalf("rename through ml_studio = %d, want 204", got)
		}
	})
}
