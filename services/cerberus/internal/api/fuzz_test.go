package api_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/server"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/api"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/service"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// FuzzAuthorizationHeader: no Authorization header panics cerberus or
// makes it answer 5xx, and none is taken for the admin unless it carries
// one of the admin's real credentials — a session, an API token, or the
// password over basic authentication — as itself (Bearer <secret>, or
// Basic over admin:<secret>). The committed corpus is
// testdata/fuzz/FuzzAuthorizationHeader; more runs with
// go test -fuzz FuzzAuthorizationHeader ./services/cerberus/internal/api
func FuzzAuthorizationHeader(f *testing.F) {
	ctx := context.Background()
	dsn, err := store.ParseDSN("sqlite:" + filepath.Join(f.TempDir(), "auth.db"))
	if err != nil {
		f.Fatal(err)
	}
	st, err := store.Open(dsn, zap.NewNop())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		f.Fatal(err)
	}
	if err := st.LoadCatalogue(ctx); err != nil {
		f.Fatal(err)
	}
	pw, err := authn.NewPasswords(4, 12)
	if err != nil {
		f.Fatal(err)
	}
	// No lockout: the fuzzer's wrong passwords must not turn into 429s
	// that would hide what a header is taken for.
	svc := service.New(service.Config{SessionTTL: time.Hour, MaxTokenTTL: 24 * time.Hour, DefaultTokenTT: time.Hour, Cache: testCache},
		st, pw, authn.NewThrottle(authn.ThrottleConfig{MaxFailures: 1 << 30, Lockout: time.Second}), zap.NewNop())
	f.Cleanup(svc.Start(ctx))
	srv := server.New(server.Config{}, zap.NewNop(), "cerberus")
	api.Register(srv.Engine(), st, svc)
	if _, _, err := svc.Bootstrap(ctx, "admin", adminPW); err != nil {
		f.Fatal(err)
	}
	session, err := svc.Login(ctx, service.Meta{}, "admin", adminPW)
	if err != nil {
		f.Fatal(err)
	}
	p, err := svc.Authenticate(ctx, session.Token)
	if err != nil {
		f.Fatal(err)
	}
	token, err := svc.CreateToken(ctx, service.Meta{}, p, "fuzz", time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	secrets := []string{session.Token, token.Token, adminPW}
	basicOf := func(user, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))
	}
	for _, seed := range []string{
		"Bearer " + session.Token, "bearer  " + token.Token + " ", "Bearer " + token.Token[:len(token.Token)-1] + "A",
		basicOf("admin", adminPW), basicOf("ADMIN", token.Token), basicOf("admin", adminPW+"x"), basicOf("", session.Token),
		"Basic " + base64.StdEncoding.EncodeToString([]byte("admin")), "Basic ###", "Bearer", "Bearer a.b.c", "Token " + token.Token,
		"Bearer " + session.Token + "\x00", "Bearer mls_" + strings.Repeat("A", 43),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		req := httptest.NewRequest(http.MethodGet, "/api/auth/me", nil)
		req.Header["Authorization"] = []string{header}
		rec := httptest.NewRecorder()
		srv.Engine().ServeHTTP(rec, req)
		switch {
		case rec.Code >= 500:
			t.Fatalf("%q: %d %s", header, rec.Code, rec.Body)
		case rec.Code == http.StatusOK:
			if !carries(header, secrets) {
				t.Fatalf("%q taken for the admin: %s", header, rec.Body)
			}
		case rec.Code != http.StatusUnauthorized && rec.Code != http.StatusBadRequest:
			t.Fatalf("%q: %d %s", header, rec.Code, rec.Body)
		}
	})
}

// carries reports whether an Authorization header holds one of secrets as
// the credential itself: Bearer <secret> or Basic over admin:<secret>.
func carries(header string, secrets []string) bool {
	scheme, rest, _ := strings.Cut(header, " ")
	var got string
	switch strings.ToLower(scheme) {
	case "bearer":
		got = strings.TrimSpace(rest)
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
		user, secret, ok := strings.Cut(string(raw), ":")
		if err != nil || !ok || !strings.EqualFold(user, "admin") {
			return false
		}
		got = secret
	}
	for _, s := range secrets {
		if got == s {
			return true
		}
	}
	return false
}
