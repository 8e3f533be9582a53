package api_test

import (
	"net/http"
	"testing"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// TestReviewFixes pins behaviour found missing in review: a new password
// signs other sessions out, group members are not everyone's to see, and a
// caller without manage learns nothing about who exists from a grant.
func TestReviewFixes(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			t.Cleanup(h.checkLeaks)

			t.Run("a new password signs every other session out", func(t *testing.T) {
				other := h.login("alice", alicePW)
				h.expect(http.StatusOK, call{method: http.MethodPatch, path: "/api/users/alice", auth: bearer(c.alice),
					body: map[string]string{"password": "alice-Pa55word-new", "current_password": alicePW}})
				h.expect(http.StatusUnauthorized, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(other)})
				h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(c.alice)})
			})

			t.Run("group members are for admins and members", func(t *testing.T) {
				h.expect(http.StatusForbidden, call{method: http.MethodGet, path: "/api/groups/team/members", auth: bearer(c.alice)})
				h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/groups/team/members", auth: bearer(c.bob)})
				h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/groups/team/members", auth: bearer(c.admin)})
			})

			t.Run("a grant without manage does not reveal who exists", func(t *testing.T) {
				for _, who := range []string{"bob", "nobody-at-all"} {
					h.expect(http.StatusForbidden, call{method: http.MethodPost, path: "/api/grants", auth: bearer(c.bob),
						body: map[string]string{"element": "experiment:1", "operation": "read", "user": who}})
				}
			})

			t.Run("logout over basic with a password is refused, not faked", func(t *testing.T) {
				h.expect(http.StatusBadRequest, call{method: http.MethodPost, path: "/api/auth/logout", auth: basic("bob", bobPW)})
			})
		})
	}
}
