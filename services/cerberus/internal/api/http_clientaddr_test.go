package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// TestLockedAddressKeepsRightPasswords: the audit's F5. Five wrong logins
// from one address, for five made-up users, lock that address for wrong
// passwords only: people signing in from elsewhere, or with their right
// password from that same address, are not turned away.
func TestLockedAddressKeepsRightPasswords(t *testing.T) {
	const (
		ipA = "203.0.113.10"
		ipB = "203.0.113.20"
	)
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open, withThrottle(authn.ThrottleConfig{})) // production's 5 failures, 15 min
			c := h.team()
			login := func(user, pw, ip string) reply {
				return h.do(call{method: http.MethodPost, path: "/api/auth/login", ip: ip, body: map[string]string{"username": user, "password": pw}})
			}
			authorize := func(user, pw, ip string) reply {
				return h.do(call{method: http.MethodPost, path: "/api/authorize", ip: ip, auth: basic(user, pw),
					body: map[string]string{"component": "ml_studio", "element": "experiment:1", "operation": "read"}})
			}
			for i := range 5 {
				if r := login(fmt.Sprintf("nobody%d", i), "wrong-password-x", ipA); r.code != http.StatusUnauthorized {
					t.Fatalf("failure %d: %s, want 401", i+1, r)
				}
			}
			steps := []struct {
				name string
				do   func() reply
				want int
			}{
				{"admin from B", func() reply { return login("admin", adminPW, ipB) }, 200},
				{"alice's right password from the locked A", func() reply { return login("alice", alicePW, ipA) }, 200},
				{"bob's basic auth from A, as ml_studio checks it", func() reply { return authorize("bob", bobPW, ipA) }, 200},
				{"a sixth wrong password from A", func() reply { return login("nobody9", "wrong-password-x", ipA) }, 429},
				{"a wrong basic password from A", func() reply { return authorize("alice", "wrong-password-x", ipA) }, 429},
				{"a wrong password from B", func() reply { return login("nobody9", "wrong-password-x", ipB) }, 401},
				{"alice's right password from A, after one more failure on her account", func() reply { return login("alice", alicePW, ipA) }, 200},
			}
			for _, s := range steps {
				r := s.do()
				if r.code != s.want {
					t.Fatalf("%s: %s, want %d", s.name, r, s.want)
				}
				switch r.code {
				case http.StatusOK:
					if r.call.path == "/api/auth/login" {
						h.token("session", decode[sessionView](t, r).Token)
					}
				case http.StatusTooManyRequests:
					if n := atoi(t, r.header.Get("Retry-After")); n < 1 || n > 900 {
						t.Errorf("%s: Retry-After %d, want 1-900 seconds", s.name, n)
					}
				}
			}
			throttled := 0
			for _, e := range h.audit(c.admin) {
				if e.Action == "login" && e.Result == "throttled" {
					throttled++
					if e.ClientIP != ipA {
						t.Errorf("throttled login from %q, want %q", e.ClientIP, ipA)
					}
				}
			}
			if throttled != 2 {
				t.Errorf("%d throttled logins audited, want 2", throttled)
			}
		})
	}
}

// TestForwardedClientAddress: cerberus believes X-Forwarded-For only from
// its trusted proxies (CERBERUS_TRUSTED_PROXIES; ml_studio in a
// deployment), so the throttle and the audit see the person, not the proxy,
// and no one else can pick the address their failures count against.
func TestForwardedClientAddress(t *testing.T) {
	const (
		proxy     = "10.0.0.5"       // ml_studio
		untrusted = "198.51.100.77"  // a client calling cerberus directly
		clientA   = "203.0.113.30"   // people behind ml_studio
		clientB   = "203.0.113.31"   //
		spoofed   = "203.0.113.99"   // what the untrusted client claims
		otherLAN  = "192.168.50.100" // an address that is no trusted proxy
	)
	xff := func(v string) http.Header { return http.Header{"X-Forwarded-For": {v}} }
	tests := []struct {
		name        string
		peer        string
		header      func(i int) http.Header // the i-th failure's headers
		counted     string                  // the address the failures count against
		otherPeer   string                  // a wrong login from here is only 401...
		otherHeader http.Header             // ...with these headers
	}{
		{"an untrusted peer's X-Forwarded-For is ignored", untrusted,
			func(i int) http.Header { return xff(fmt.Sprintf("203.0.113.%d", 100+i)) }, untrusted,
			proxy, xff(spoofed)},
		{"a trusted proxy's X-Forwarded-For is used", proxy,
			func(int) http.Header { return xff(clientA) }, clientA,
			proxy, xff(clientB)},
		{"the rightmost address a trusted proxy did not add", proxy,
			func(i int) http.Header { return xff(fmt.Sprintf("203.0.113.%d, %s", 100+i, clientA)) }, clientA,
			proxy, xff(clientA + ", " + otherLAN)},
		{"a trusted proxy without X-Forwarded-For is the client", proxy,
			func(int) http.Header { return nil }, proxy,
			proxy, xff(clientB)},
	}
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					h := newHarness(t, open, withThrottle(authn.ThrottleConfig{MaxFailures: 3}), withTrustedProxies("10.0.0.0/24"))
					admin := h.bootstrap()
					wrong := func(i int, peer string, header http.Header) reply {
						return h.do(call{method: http.MethodPost, path: "/api/auth/login", ip: peer, header: header,
							body: map[string]string{"username": fmt.Sprintf("nobody%d", i), "password": "wrong-password-x"}})
					}
					for i := range 3 {
						if r := wrong(i, tt.peer, tt.header(i)); r.code != http.StatusUnauthorized {
							t.Fatalf("failure %d: %s, want 401", i+1, r)
						}
					}
					if r := wrong(3, tt.peer, tt.header(3)); r.code != http.StatusTooManyRequests {
						t.Fatalf("fourth failure: %s, want 429: the failures count against one address", r)
					}
					if r := wrong(4, tt.otherPeer, tt.otherHeader); r.code != http.StatusUnauthorized {
						t.Fatalf("a wrong login from another client: %s, want 401", r)
					}
					// The basic-auth check of ml_studio's MLflow surface counts the same address.
					r := h.do(call{method: http.MethodPost, path: "/api/authorize", ip: tt.peer, header: tt.header(5), auth: basic("nobody5", "wrong-password-x"),
						body: map[string]string{"component": "ml_studio", "element": "experiment:1", "operation": "read"}})
					if r.code != http.StatusTooManyRequests {
						t.Fatalf("basic auth from the locked address: %s, want 429", r)
					}
					seen := 0
					for _, e := range h.audit(admin) {
						if e.Action != "login" || e.Target == "user:admin" {
							continue
						}
						want := tt.counted
						if e.Target == "user:nobody4" {
							want = "" // from the other client
						}
						if want != "" && e.ClientIP != want {
							t.Errorf("audit %s %s from %q, want %q", e.Target, e.Result, e.ClientIP, want)
						}
						seen++
					}
					if seen != 6 {
						t.Errorf("%d failed logins audited, want 6", seen)
					}
				})
			}
		})
	}
}
