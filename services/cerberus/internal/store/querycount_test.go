package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/accesscache"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/service"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// TestCountQueries checks the counter itself: each store call counts the
// statements it sends, no more, and stop really stops.
func TestCountQueries(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			s := storetest.Migrated(t, open)
			ctx := t.Context()
			comp, err := s.ComponentID(service.Component)
			if err != nil {
				t.Fatal(err)
			}
			u := store.User{Username: "carol", IsActive: true}
			if err := s.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			off := false
			tests := []struct {
				name string
				call func() error
				want int64
			}{
				{"insert", func() error { return s.CreateUser(ctx, &store.User{Username: "dave", IsActive: true}) }, 1},
				{"select by name", func() error { _, err := s.UserByName(ctx, "carol"); return err }, 1},
				{"a miss is a query too", func() error { _, err := s.UserByName(ctx, "nobody"); return ignoreNotFound(err) }, 1},
				{"count", func() error { _, err := s.CountUsers(ctx); return err }, 1},
				{"page: count and find", func() error { _, _, err := s.ListUsers(ctx, store.Page{Limit: 10}); return err }, 2},
				{"raw scan", func() error { _, err := s.ResolveCredential(ctx, "0000", time.Now()); return ignoreNotFound(err) }, 1},
				{"update", func() error { return s.TouchCredential(ctx, 1, time.Now()) }, 1},
				// take, update, revoke every credential, take again, bump and read the
				// access revision, log the change: BEGIN and COMMIT are not counted.
				{"transaction", func() error {
					_, err := s.UpdateUser(ctx, u.ID, store.UserChanges{IsActive: &off})
					return err
				}, 7},
				{"decision chain", func() error { _, err := s.ChainGrants(ctx, u.ID, comp, []string{"project:a", "project:b"}); return err }, 1},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					count, stop := s.CountQueries()
					defer stop()
					if err := tt.call(); err != nil {
						t.Fatal(err)
					}
					if got := count(); got != tt.want {
						t.Fatalf("counted %d statements, want %d", got, tt.want)
					}
				})
			}

			t.Run("stop stops, counters are independent", func(t *testing.T) {
				outer, stopOuter := s.CountQueries()
				defer stopOuter()
				inner, stopInner := s.CountQueries()
				mustCount(t, s)
				stopInner()
				stopInner() // twice is harmless
				mustCount(t, s)
				if got := inner(); got != 1 {
					t.Errorf("stopped counter = %d, want 1", got)
				}
				if got := outer(); got != 2 {
					t.Errorf("running counter = %d, want 2", got)
				}
			})
		})
	}
}

func mustCount(t *testing.T, s *store.Store) {
	t.Helper()
	if _, err := s.CountUsers(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func ignoreNotFound(err error) error {
	if errors.Is(err, apierror.ErrNotFound) {
		return nil
	}
	return err
}

// TestDecisionQueryCount pins the cost of one decision through the service
// with a session token, on the database path (the cache off): the token
// lookup and one chain query when allowed, plus one audit write when
// denied — however large the world around it.
func TestDecisionQueryCount(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			s := storetest.Migrated(t, open)
			ctx := t.Context()
			svc := newService(t, s, accesscache.Config{})
			w := seedWorld(t, s, svc)

			tests := []struct {
				name    string
				req     service.AuthzRequest
				allowed bool
				want    int64
			}{
				{"allowed through the group's grant on the parent", w.ask(w.bobToken, "experiment:1", "read"), true, 2},
				{"allowed through a direct grant", w.ask(w.bobToken, "project:beta", "edit"), true, 2},
				{"denied: no grant of edit", w.ask(w.bobToken, "experiment:1", "edit"), false, 3},
				{"denied: explicit deny under an allow", w.ask(w.bobToken, "experiment:2", "read"), false, 3},
				{"denied: unknown element", w.ask(w.bobToken, "experiment:404", "read"), false, 3},
				{"admin: the lookup alone", w.ask(w.adminToken, "experiment:1", "manage"), true, 1},
				{"well-formed unknown token: lookup and audit", w.ask(fakeSession(t), "experiment:1", "read"), false, 2},
				{"malformed token: the audit write alone", w.ask("mls_garbage", "experiment:1", "read"), false, 1},
			}
			run := func(t *testing.T) {
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						count, stop := s.CountQueries()
						a, err := svc.Authorize(ctx, service.Meta{RequestID: "count"}, nil, tt.req)
						stop()
						if err != nil {
							t.Fatal(err)
						}
						if a.Allowed != tt.allowed {
							t.Fatalf("allowed = %v (%s), want %v", a.Allowed, a.Reason, tt.allowed)
						}
						if got := count(); got != tt.want {
							t.Fatalf("one decision ran %d statements, want %d", got, tt.want)
						}
					})
				}
			}
			t.Run("small world", run)
			w.grow(t, s, svc)
			t.Run("after the world grew", run)
		})
	}
}

// TestCachedDecisionQueryCount pins the cost of a decision with the cache
// on, as cerberus runs: at most 2 statements on the request's own path when
// nothing is cached (the token lookup, then the chain query while the
// user's grants load in the background), at most 1 for an element or token
// not seen yet, and 0 once cached, denials included (their audit entries
// are written in batches). A change empties what it touched, and the next
// decision sees it.
func TestCachedDecisionQueryCount(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			s := storetest.Migrated(t, open)
			svc := newService(t, s, accesscache.Config{Sync: 20 * time.Millisecond})
			w := seedWorld(t, s, svc)

			decide := func(t *testing.T, req service.AuthzRequest) (service.AuthzAnswer, int64) {
				t.Helper()
				ctx, count, stop := s.CountQueriesOf(t.Context())
				defer stop()
				a, err := svc.Authorize(ctx, service.Meta{RequestID: "count"}, nil, req)
				if err != nil {
					t.Fatal(err)
				}
				return a, count()
			}
			// warm waits for the background load of bob's grants: until then
			// a decision about a loaded element still makes the chain query.
			warm := func(t *testing.T, req service.AuthzRequest) {
				t.Helper()
				deadline := time.Now().Add(5 * time.Second)
				for {
					if _, n := decide(t, req); n == 0 {
						return
					}
					if time.Now().After(deadline) {
						t.Fatal("a repeated decision still queries the database after 5s: the cache never warmed")
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			tests := []struct {
				name    string
				req     service.AuthzRequest
				allowed bool
				// first is the most the first ask may cost (less when a
				// previous round left the entry cached); again is exact.
				first, again int64
			}{
				{"allowed through the group's grant on the parent", w.ask(w.bobToken, "experiment:1", "read"), true, 0, 0},
				{"allowed through a direct grant: a new element's chain", w.ask(w.bobToken, "project:beta", "edit"), true, 1, 0},
				{"denied: no grant of edit", w.ask(w.bobToken, "experiment:1", "edit"), false, 0, 0},
				{"denied: explicit deny under an allow", w.ask(w.bobToken, "experiment:2", "read"), false, 1, 0},
				{"denied: unknown element, remembered as unknown", w.ask(w.bobToken, "experiment:404", "read"), false, 1, 0},
				{"admin: the token lookup once", w.ask(w.adminToken, "experiment:1", "manage"), true, 1, 0},
				{"well-formed unknown token: a lookup each time", w.ask(fakeSession(t), "experiment:1", "read"), false, 1, 1},
				{"malformed token: nothing", w.ask("mls_garbage", "experiment:1", "read"), false, 0, 0},
			}
			run := func(t *testing.T) {
				cold := w.ask(w.bobToken, "experiment:1", "read")
				if a, n := decide(t, cold); !a.Allowed || n > 2 {
					t.Fatalf("cold decision: allowed %v (%s) in %d statements, want allowed in at most 2", a.Allowed, a.Reason, n)
				}
				warm(t, cold)
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						for i, want := range []int64{tt.first, tt.again} {
							a, n := decide(t, tt.req)
							if a.Allowed != tt.allowed {
								t.Fatalf("ask %d: allowed = %v (%s), want %v", i+1, a.Allowed, a.Reason, tt.allowed)
							}
							if n > want || (i > 0 && n != want) {
								t.Fatalf("ask %d: %d statements, want %d", i+1, n, want)
							}
						}
					})
				}
			}
			t.Run("small world", run)
			w.grow(t, s, svc) // its grants and memberships empty bob's entries
			t.Run("after the world grew", run)

			t.Run("a revocation is seen by the next decision", func(t *testing.T) {
				ctx := t.Context()
				m := service.Meta{RequestID: "revoke"}
				if a, n := decide(t, w.ask(w.bobToken, "project:beta", "edit")); !a.Allowed || n != 0 {
					t.Fatalf("before: allowed %v in %d statements, want allowed from memory", a.Allowed, n)
				}
				must(t, svc.ChangeGrant(ctx, m, w.admin, service.GrantRequest{Element: "project:beta", Operation: "edit", User: "bob"}, true))
				if a, n := decide(t, w.ask(w.bobToken, "project:beta", "edit")); a.Allowed || n > 2 {
					t.Fatalf("after: allowed %v (%s) in %d statements, want denied in at most 2", a.Allowed, a.Reason, n)
				}
				must(t, svc.SetMember(ctx, m, w.admin, "team", "bob", false))
				if a, _ := decide(t, w.ask(w.bobToken, "experiment:1", "read")); a.Allowed {
					t.Fatalf("out of the team: %s, want denied", a.Reason)
				}
				off := false
				if _, err := svc.UpdateUser(ctx, m, w.admin, "bob", service.UserUpdate{IsActive: &off}); err != nil {
					t.Fatal(err)
				}
				if a, _ := decide(t, w.ask(w.bobToken, "project:alpha", "read")); a.Allowed || a.User != nil {
					t.Fatalf("disabled: %+v, want a denial for no one (the token is revoked)", a)
				}
			})
		})
	}
}

func newService(t *testing.T, s *store.Store, cache accesscache.Config) *service.Service {
	t.Helper()
	pw, err := authn.NewPasswords(4, 12)
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(service.Config{SessionTTL: time.Hour, MaxTokenTTL: 24 * time.Hour, DefaultTokenTT: time.Hour, Cache: cache},
		s, pw, authn.NewThrottle(authn.ThrottleConfig{}), zap.NewNop())
	if cache.Sync > 0 {
		t.Cleanup(svc.Start(context.Background()))
	}
	return svc
}

type world struct {
	admin, bob           service.Principal
	adminToken, bobToken string
	comp                 uint64
}

func (w *world) ask(token, element, op string) service.AuthzRequest {
	return service.AuthzRequest{Token: token, Component: service.Component, Element: element, Operation: op}
}

// seedWorld makes admin and bob, bob in group team, project:alpha with
// experiment:1 and experiment:2, team reading alpha, bob denied experiment:2
// and allowed to edit project:beta.
func seedWorld(t *testing.T, s *store.Store, svc *service.Service) *world {
	t.Helper()
	ctx := t.Context()
	m := service.Meta{RequestID: "seed"}
	if _, _, err := svc.Bootstrap(ctx, "admin", "admin-password-1"); err != nil {
		t.Fatal(err)
	}
	w := &world{}
	var err error
	if w.comp, err = s.ComponentID(service.Component); err != nil {
		t.Fatal(err)
	}
	adminSession := login(t, svc, "admin", "admin-password-1")
	w.adminToken = adminSession
	if w.admin, err = svc.Authenticate(ctx, adminSession); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, m, w.admin, service.NewUser{Username: "bob", Password: "bob-password-1"}); err != nil {
		t.Fatal(err)
	}
	w.bobToken = login(t, svc, "bob", "bob-password-1")
	if w.bob, err = svc.Authenticate(ctx, w.bobToken); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateGroup(ctx, m, w.admin, "team", ""); err != nil {
		t.Fatal(err)
	}
	must(t, svc.SetMember(ctx, m, w.admin, "team", "bob", true))
	for _, e := range [][2]string{{"project:alpha", ""}, {"experiment:1", "project:alpha"}, {"experiment:2", "project:alpha"}, {"project:beta", ""}} {
		if _, err := svc.RegisterElement(ctx, m, w.admin, e[0], e[1], false); err != nil {
			t.Fatal(err)
		}
	}
	must(t, svc.ChangeGrant(ctx, m, w.admin, service.GrantRequest{Element: "project:alpha", Operation: "read", Group: "team"}, false))
	must(t, svc.ChangeGrant(ctx, m, w.admin, service.GrantRequest{Element: "experiment:2", Effect: "deny", User: "bob"}, false))
	must(t, svc.ChangeGrant(ctx, m, w.admin, service.GrantRequest{Element: "project:beta", Operation: "edit", User: "bob"}, false))
	return w
}

// grow adds 50 users, 20 groups with members (bob in half of them), 500
// elements under 10 projects and 2,000 grants, several of them on bob's
// chains, straight through the store.
func (w *world) grow(t *testing.T, s *store.Store, svc *service.Service) {
	t.Helper()
	ctx := t.Context()
	bob, err := s.UserByName(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	users := make([]uint64, 0, 51)
	for i := range 50 {
		u := store.User{Username: fmt.Sprintf("user%02d", i), IsActive: true}
		must(t, s.CreateUser(ctx, &u))
		users = append(users, u.ID)
	}
	users = append(users, bob.ID)
	groups := make([]uint64, 0, 20)
	for i := range 20 {
		g := store.Group{Name: fmt.Sprintf("group%02d", i)}
		must(t, s.CreateGroup(ctx, &g))
		groups = append(groups, g.ID)
		for j := range 5 {
			must(t, s.AddMember(ctx, g.ID, users[(i*5+j)%50]))
		}
		if i%2 == 0 {
			must(t, s.AddMember(ctx, g.ID, bob.ID))
		}
	}
	var elements []string
	for p := range 10 {
		project := fmt.Sprintf("project:p%02d", p)
		_, err := s.RegisterElement(ctx, w.comp, project, "", nil)
		must(t, err)
		elements = append(elements, project)
		for e := range 49 {
			name := fmt.Sprintf("experiment:%d", 1000+p*100+e)
			_, err := s.RegisterElement(ctx, w.comp, name, project, nil)
			must(t, err)
			elements = append(elements, name)
		}
	}
	if len(elements) != 500 {
		t.Fatalf("made %d elements, want 500", len(elements))
	}
	ops := []string{"read", "edit", "manage", "create"}
	grants := 0
	for i := 0; grants < 2000; i++ {
		g := store.GrantSpec{ComponentID: w.comp, Element: elements[i%len(elements)], Operation: ops[(i/len(elements))%len(ops)], Effect: store.Allow}
		if i%2 == 0 {
			g.Subject = store.Subject{Kind: store.SubjectUser, ID: users[i%len(users)]}
		} else {
			g.Subject = store.Subject{Kind: store.SubjectGroup, ID: groups[(i/2)%len(groups)]}
		}
		if err := s.Grant(ctx, g); errors.Is(err, apierror.ErrConflict) {
			continue // the same grant twice: pick another
		} else if err != nil {
			t.Fatal(err)
		}
		grants++
	}
	// Bob's own chains get busier too: more grants on alpha and experiment:1.
	for i, gid := range groups[:5] {
		must(t, s.Grant(ctx, store.GrantSpec{ComponentID: w.comp, Element: []string{"project:alpha", "experiment:1"}[i%2], Operation: "create", Effect: store.Allow, Subject: store.Subject{Kind: store.SubjectGroup, ID: gid}}))
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 52 {
		t.Fatalf("%d users, %v; want 52", n, err)
	}
	mine, err := s.GrantsOf(ctx, w.comp, bob.ID)
	if err != nil || len(mine) < 300 {
		t.Fatalf("bob reaches %d grants, %v; the world did not grow around him", len(mine), err)
	}
}

func login(t *testing.T, svc *service.Service, username, password string) string {
	t.Helper()
	sess, err := svc.Login(t.Context(), service.Meta{ClientIP: "192.0.2.10"}, username, password)
	if err != nil {
		t.Fatal(err)
	}
	return sess.Token
}

// fakeSession is a well-formed session secret that was never issued.
func fakeSession(t *testing.T) string {
	t.Helper()
	secret, _, err := authn.NewToken(authn.Session)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
