package service_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/service"
)

// FuzzSafeNext: whatever SafeNext accepts as where to land after signing
// in stays on this site — a path starting with one '/', no scheme, host or
// user, nothing a browser reads as another host — and is kept as given.
// The committed corpus is testdata/fuzz/FuzzSafeNext; more runs with
// go test -fuzz FuzzSafeNext ./services/cerberus/internal/service
func FuzzSafeNext(f *testing.F) {
	for _, seed := range []string{"", "/", "/experiments?x=1#a", "//evil.test", "/\\evil.test", "https://evil.test", "/%2F%2Fevil.test",
		"/\tx", "/ok/../../x", "javascript:alert(1)", "/a@b", "\\\\evil", "/\u3000/evil", "/;//evil"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got, err := service.SafeNext(next)
		if err != nil {
			return
		}
		if next == "" {
			if got != "/" {
				t.Fatalf("empty next lands on %q", got)
			}
			return
		}
		if got != next {
			t.Fatalf("%q changed to %q", next, got)
		}
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(got, "/") ||
			strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\t\r\n") {
			t.Fatalf("%q accepted: %+v (%v)", got, u, err)
		}
		// What a browser resolves it against must be this site.
		base, _ := url.Parse("https://studio.test/api/auth/oidc/callback")
		if r := base.ResolveReference(u); r.Host != "studio.test" || r.Scheme != "https" {
			t.Fatalf("%q resolves to %s", got, r)
		}
	})
}
