package api_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/api"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// revisions reads an answer's access revision headers; floor is -1 when
// the answer vouches for none.
func revisions(t *testing.T, r reply) (floor, latest int64) {
	t.Helper()
	floor = -1
	if v := r.header.Get(api.RevisionHeader); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s: %s %q", r, api.RevisionHeader, v)
		}
		floor = int64(n)
	}
	n, err := strconv.ParseUint(r.header.Get(api.LatestRevisionHeader), 10, 64)
	if err != nil {
		t.Fatalf("%s: %s %q: %v", r, api.LatestRevisionHeader, r.header.Get(api.LatestRevisionHeader), err)
	}
	return floor, int64(n)
}

// TestAccessRevisionHeaders: every change to access moves the revision,
// and the answer to the request that made it already says so (what lets
// ml_studio drop what it remembers before the next request); the next
// decision reflects it; reads and refused writes move nothing; every
// answer, errors included, carries the headers, and GET
// /api/access/revision the same numbers.
func TestAccessRevisionHeaders(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			admin := bearer(c.admin)
			current := func() int64 {
				t.Helper()
				r := h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/access/revision"})
				body := decode[struct {
					Revision int64 `json:"revision"`
					Latest   int64 `json:"latest"`
				}](t, r)
				floor, latest := revisions(t, r)
				if body.Revision != body.Latest || floor != body.Revision || latest != body.Latest {
					t.Fatalf("%s: headers %d/%d, one replica with nothing pending must answer one revision", r, floor, latest)
				}
				return body.Revision
			}
			rev := current()
			if rev == 0 {
				t.Fatal("revision 0 after the team's users, groups and grants were made")
			}

			grant := map[string]string{"element": "experiment:1", "operation": "edit", "user": "alice"}
			steps := []struct {
				name  string
				call  call
				code  int
				moves bool
			}{
				{"a grant", call{method: http.MethodPost, path: "/api/grants", auth: admin, body: grant}, http.StatusCreated, true},
				{"the same grant again (refused)", call{method: http.MethodPost, path: "/api/grants", auth: admin, body: grant}, http.StatusConflict, false},
				{"a read", call{method: http.MethodGet, path: "/api/users", auth: admin}, http.StatusOK, false},
				{"a decision", call{method: http.MethodPost, path: "/api/authorize", body: map[string]string{"token": c.alice, "component": "ml_studio", "element": "experiment:1", "operation": "edit"}}, http.StatusOK, false},
				{"a revocation", call{method: http.MethodPost, path: "/api/grants/revoke", auth: admin, body: grant}, http.StatusNoContent, true},
				{"a member leaves", call{method: http.MethodDelete, path: "/api/groups/team/members/bob", auth: admin}, http.StatusNoContent, true},
				{"a user disabled", call{method: http.MethodPatch, path: "/api/users/alice", auth: admin, body: map[string]any{"is_active": false}}, http.StatusOK, true},
				{"no credentials (refused)", call{method: http.MethodGet, path: "/api/users"}, http.StatusUnauthorized, false},
				{"an element registered", call{method: http.MethodPost, path: "/api/elements", auth: admin, body: map[string]string{"name": "experiment:3", "parent": "project:alpha"}}, http.StatusCreated, true},
			}
			for _, step := range steps {
				r := h.expect(step.code, step.call)
				floor, latest := revisions(t, r)
				want := rev
				if step.moves {
					want = rev + 1
				}
				if floor != rev || latest != want {
					t.Errorf("%s: headers %d/%d, want %d/%d", step.name, floor, latest, rev, want)
				}
				if now := current(); now != want {
					t.Errorf("%s: revision %d afterwards, want %d", step.name, now, want)
				}
				rev = want
			}
			// What the revision vouches for: the change is in the decision.
			if d := h.decide(c.bob, "experiment:1", "read"); d.Allowed {
				t.Errorf("bob still reads experiment:1 through the group he left: %+v", d)
			}
		})
	}
}
