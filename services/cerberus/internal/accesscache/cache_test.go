package accesscache

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/catalogue"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

const component = "ml_studio"

func newCache(t *testing.T, s *store.Store, cfg Config) *Cache {
	t.Helper()
	if cfg.Sync == 0 {
		cfg.Sync = time.Hour // the tests call Sync themselves
	}
	if cfg.MaxStale == 0 {
		cfg.MaxStale = time.Hour
	}
	c := New(s, cfg, zap.NewNop())
	if err := c.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	return c
}

func sortRows(rows []store.ChainGrant) []store.ChainGrant {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b store.ChainGrant) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.Depth, b.Depth), cmp.Compare(a.Operation, b.Operation),
			cmp.Compare(a.Ordinal, b.Ordinal), cmp.Compare(a.Effect, b.Effect))
	})
	if out == nil {
		out = []store.ChainGrant{}
	}
	return out
}

// fromMemory asks the cache until it answers without a statement (the
// user's grants load in the background) and returns that answer: an
// answer the database gave proves nothing about the cache.
func fromMemory(t *testing.T, c *Cache, userID, comp uint64, elements []string) []store.ChainGrant {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, count, stop := c.st.CountQueriesOf(t.Context())
		rows, err := c.ChainGrants(ctx, userID, comp, elements)
		stop()
		if err != nil {
			t.Fatal(err)
		}
		if count() == 0 {
			return sortRows(rows)
		}
		if time.Now().After(deadline) {
			t.Fatalf("user %d: the cache still asks the database after 5s", userID)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func fromStore(t *testing.T, s *store.Store, userID, comp uint64, elements []string) []store.ChainGrant {
	t.Helper()
	rows, err := s.ChainGrants(t.Context(), userID, comp, elements)
	if err != nil {
		t.Fatal(err)
	}
	return sortRows(rows)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestMatchesTheStore builds a random world — nested elements, users in
// several groups, allows of every operation, denies (some beside allows on
// the same element), grants on the root —
// and checks that the cache, from memory, returns exactly the rows the
// store's query does, for every user and for lists mixing known, unknown
// and repeated elements.
func TestMatchesTheStore(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			s := storetest.Migrated(t, open)
			ctx := t.Context()
			comp, err := s.ComponentID(component)
			must(t, err)
			rng := rand.New(rand.NewPCG(7, 11))

			var users, groups []uint64
			for i := range 8 {
				u := store.User{Username: fmt.Sprintf("user%d", i), IsActive: true}
				must(t, s.CreateUser(ctx, &u))
				users = append(users, u.ID)
			}
			for i := range 4 {
				g := store.Group{Name: fmt.Sprintf("group%d", i)}
				must(t, s.CreateGroup(ctx, &g))
				groups = append(groups, g.ID)
				for _, u := range users {
					if rng.IntN(3) == 0 {
						must(t, s.AddMember(ctx, g.ID, u))
					}
				}
			}
			elements := []string{store.Root, "project:default"}
			for p := range 4 {
				project := fmt.Sprintf("project:p%d", p)
				_, err := s.RegisterElement(ctx, comp, project, "", nil)
				must(t, err)
				elements = append(elements, project)
				for e := range 5 {
					exp := fmt.Sprintf("experiment:%d", p*10+e)
					_, err := s.RegisterElement(ctx, comp, exp, project, &users[rng.IntN(len(users))])
					must(t, err)
					model := fmt.Sprintf("registered_model:m%d", p*10+e)
					_, err = s.RegisterElement(ctx, comp, model, exp, nil)
					must(t, err)
					elements = append(elements, exp, model)
				}
			}
			ops := []string{"read", "edit", "manage", "create"}
			for range 200 {
				g := store.GrantSpec{ComponentID: comp, Element: elements[rng.IntN(len(elements))], Operation: ops[rng.IntN(len(ops))], Effect: store.Allow}
				if rng.IntN(10) == 0 {
					g.Effect = store.Deny
				}
				if rng.IntN(3) == 0 {
					g.Subject = store.Subject{Kind: store.SubjectGroup, ID: groups[rng.IntN(len(groups))]}
				} else {
					g.Subject = store.Subject{Kind: store.SubjectUser, ID: users[rng.IntN(len(users))]}
				}
				if err := s.Grant(ctx, g); err != nil && !errors.Is(err, apierror.ErrConflict) {
					t.Fatal(err)
				}
			}

			// An allow and a deny of one subject on one element are two rows:
			// on elements no random grant touched, every user and group holds
			// read, manage and a deny side by side.
			var sideBySide []string
			for i := range 2 {
				name := fmt.Sprintf("experiment:side%d", i)
				_, err := s.RegisterElement(ctx, comp, name, fmt.Sprintf("project:p%d", i), nil)
				must(t, err)
				sideBySide = append(sideBySide, name)
				for _, sub := range []store.Subject{{Kind: store.SubjectUser, ID: users[i]}, {Kind: store.SubjectGroup, ID: groups[i]}} {
					for _, g := range []store.GrantSpec{{Operation: "read", Effect: store.Allow}, {Operation: "manage", Effect: store.Allow}, {Effect: store.Deny}} {
						g.Subject, g.ComponentID, g.Element = sub, comp, name
						must(t, s.Grant(ctx, g))
					}
				}
			}

			c := newCache(t, s, Config{})
			asks := [][]string{
				elements,
				{"experiment:3", "experiment:3", "experiment:999", store.Root},
				{"registered_model:m12"},
				{"project:nowhere"},
				sideBySide,
			}
			for _, u := range users {
				for i, ask := range asks {
					got := fromMemory(t, c, u, comp, ask)
					if want := fromStore(t, s, u, comp, ask); !reflect.DeepEqual(got, want) {
						t.Errorf("user %d, ask %d: cache\n%v\nstore\n%v", u, i, got, want)
					}
				}
			}
			// A user not in memory, the elements' chains in memory: their
			// grants on just those elements (store.HeldOn) make the same rows.
			// A name not in memory (the preload reads only those that exist)
			// is left to the chain query.
			chains := newCache(t, s, Config{})
			chains.preloadElements(ctx)
			for _, u := range users {
				for i, ask := range asks {
					a, ok, err := chains.heldOnChains(ctx, u, comp, unique(ask))
					must(t, err)
					held := !slices.ContainsFunc(ask, func(e string) bool { return !slices.Contains(elements, e) && !slices.Contains(sideBySide, e) })
					if ok != held || a.Current {
						t.Fatalf("user %d, ask %d: from the chains in memory: ok %v, current %v; want ok %v, not current", u, i, ok, a.Current, held)
					}
					if !ok {
						continue
					}
					if got, want := sortRows(a.Rows), fromStore(t, s, u, comp, ask); !reflect.DeepEqual(got, want) {
						t.Errorf("user %d, ask %d: grants on the chains in memory\n%v\nstore\n%v", u, i, got, want)
					}
				}
			}

			own := fromMemory(t, c, users[0], comp, sideBySide[:1])
			read, _ := catalogue.OperationNamed("read")
			for _, effect := range []string{store.Allow, store.Deny} {
				if !slices.Contains(own, store.ChainGrant{Start: sideBySide[0], Operation: "read", Ordinal: read.Ordinal, Effect: effect}) {
					t.Errorf("user %d on %s: rows %v lack the %s", users[0], sideBySide[0], own, effect)
				}
			}
		})
	}
}

// TestChangesReachEveryReplica makes each kind of change through one
// replica's store and checks both replicas' caches: the writer's answers
// from memory at once, the other's after its next read of the change log.
// Every answer compared comes from memory, so a change a cache failed to
// forget would show as a stale answer.
func TestChangesReachEveryReplica(t *testing.T) {
	for backend, replicas := range storetest.Replicas {
		t.Run(backend, func(t *testing.T) {
			a, b := replicas(t)
			ctx := t.Context()
			comp, err := a.ComponentID(component)
			must(t, err)
			ca, cb := newCache(t, a, Config{}), newCache(t, b, Config{})

			user := func(name string) uint64 {
				u := store.User{Username: name, IsActive: true}
				must(t, a.CreateUser(ctx, &u))
				return u.ID
			}
			alice, bob := user("alice"), user("bob")
			team := store.Group{Name: "team"}
			must(t, a.CreateGroup(ctx, &team))
			for _, e := range [][2]string{{"project:p", ""}, {"experiment:1", "project:p"}, {"experiment:2", "project:p"}} {
				_, err := a.RegisterElement(ctx, comp, e[0], e[1], nil)
				must(t, err)
			}
			grant := func(sub store.Subject, element, op, effect string) store.GrantSpec {
				return store.GrantSpec{Subject: sub, ComponentID: comp, Element: element, Operation: op, Effect: effect}
			}
			asAlice, asBob := store.Subject{Kind: store.SubjectUser, ID: alice}, store.Subject{Kind: store.SubjectUser, ID: bob}
			asTeam := store.Subject{Kind: store.SubjectGroup, ID: team.ID}
			elements := []string{"project:p", "experiment:1", "experiment:2", "experiment:3", "experiment:4", store.Root}

			steps := []struct {
				name   string
				change func() error
			}{
				{"a user's grant", func() error { return a.Grant(ctx, grant(asAlice, "project:p", "read", store.Allow)) }},
				{"a group's grant", func() error { return a.Grant(ctx, grant(asTeam, "experiment:1", "edit", store.Allow)) }},
				{"a member joins", func() error { return a.AddMember(ctx, team.ID, bob) }},
				{"a deny", func() error { return a.Grant(ctx, grant(asBob, "experiment:2", "", store.Deny)) }},
				{"a grant on the root", func() error { return a.Grant(ctx, grant(asBob, store.Root, "read", store.Allow)) }},
				{"a group's grant revoked", func() error { return a.Revoke(ctx, grant(asTeam, "experiment:1", "edit", store.Allow)) }},
				{"a member leaves", func() error { return a.RemoveMember(ctx, team.ID, bob) }},
				{"an element asked about before it existed", func() error {
					_, err := a.RegisterElement(ctx, comp, "experiment:3", "project:p", &alice)
					return err
				}},
				{"a rename", func() error { return a.RenameElement(ctx, comp, "experiment:3", "experiment:4") }},
				{"a delete", func() error { return a.DeleteElement(ctx, comp, "experiment:4") }},
				{"a user's grant revoked", func() error { return a.Revoke(ctx, grant(asAlice, "project:p", "read", store.Allow)) }},
			}
			check := func(t *testing.T, c *Cache) {
				t.Helper()
				for _, u := range []uint64{alice, bob} {
					if got, want := fromMemory(t, c, u, comp, elements), fromStore(t, a, u, comp, elements); !reflect.DeepEqual(got, want) {
						t.Errorf("user %d: cache\n%v\ndatabase\n%v", u, got, want)
					}
				}
			}
			check(t, ca)
			check(t, cb)
			// at checks what revision a replica vouches for.
			at := func(t *testing.T, name string, c *Cache, wantFloor, wantLatest uint64) {
				t.Helper()
				if floor, latest, ok := c.Revision(); floor != wantFloor || latest != wantLatest || !ok {
					t.Errorf("%s: revision %d, latest %d (ok %v), want %d, %d", name, floor, latest, ok, wantFloor, wantLatest)
				}
			}
			for _, step := range steps {
				t.Run(step.name, func(t *testing.T) {
					before, _, _ := cb.Revision()
					must(t, step.change())
					rev, err := a.Revision(ctx)
					must(t, err)
					at(t, "the writer", ca, rev, rev)
					check(t, ca)
					at(t, "the other replica before it reads the log", cb, before, before)
					must(t, cb.Sync(ctx))
					at(t, "the other replica", cb, rev, rev)
					check(t, cb)
				})
			}

			t.Run("revoked and disabled credentials", func(t *testing.T) {
				now := time.Now().UTC()
				creds := map[uint64]string{alice: "hash-alice", bob: "hash-bob"}
				for u, h := range creds {
					must(t, a.CreateCredential(ctx, &store.Credential{UserID: u, Kind: "session", Name: "s", TokenHash: h, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
				}
				resolve := func(c *Cache, hash string) error {
					_, err := c.ResolveCredential(ctx, hash, time.Now().UTC())
					return err
				}
				for _, c := range []*Cache{ca, cb} {
					for _, h := range creds {
						must(t, resolve(c, h)) // now cached
					}
				}
				off := false
				_, err := a.UpdateUser(ctx, alice, store.UserChanges{IsActive: &off})
				must(t, err)
				must(t, a.RevokeCredentialByHash(ctx, "hash-bob", now))
				must(t, cb.Sync(ctx))
				for name, c := range map[string]*Cache{"writer": ca, "other replica": cb} {
					for _, h := range creds {
						if err := resolve(c, h); !errors.Is(err, apierror.ErrNotFound) {
							t.Errorf("%s: %s resolves after its revocation: %v", name, h, err)
						}
					}
				}
			})
		})
	}
}

// oneUser is a migrated SQLite store, its component and one active user.
func oneUser(t *testing.T, name string) (*store.Store, uint64, store.User) {
	t.Helper()
	s := storetest.Migrated(t, storetest.SQLite)
	comp, err := s.ComponentID(component)
	must(t, err)
	u := store.User{Username: name, IsActive: true}
	must(t, s.CreateUser(t.Context(), &u))
	return s, comp, u
}

// TestExpiredCredential: a cached credential stops resolving at its expiry.
func TestExpiredCredential(t *testing.T) {
	s := storetest.Migrated(t, storetest.SQLite)
	ctx := t.Context()
	u := store.User{Username: "carol", IsActive: true}
	must(t, s.CreateUser(ctx, &u))
	now := time.Now().UTC()
	must(t, s.CreateCredential(ctx, &store.Credential{UserID: u.ID, Kind: "session", Name: "s", TokenHash: "h", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}))
	c := newCache(t, s, Config{})
	if _, err := c.ResolveCredential(ctx, "h", now); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ResolveCredential(ctx, "h", now.Add(2*time.Minute)); !errors.Is(err, apierror.ErrNotFound) {
		t.Fatalf("an expired credential resolved from memory: %v", err)
	}
}

// TestStaleCacheAsksTheDatabase: without a read of the change log for
// MaxStale (the database away), memory answers nothing; the next read
// brings it back, emptied.
func TestStaleCacheAsksTheDatabase(t *testing.T) {
	s, comp, u := oneUser(t, "dave")
	ctx := t.Context()
	c := newCache(t, s, Config{MaxStale: time.Second})
	now := time.Now()
	c.now = func() time.Time { return now }
	must(t, c.Sync(ctx))
	fromMemory(t, c, u.ID, comp, []string{"project:default"})

	now = now.Add(2 * time.Second)
	qctx, count, stop := s.CountQueriesOf(ctx)
	_, err := c.ChainGrants(qctx, u.ID, comp, []string{"project:default"})
	stop()
	must(t, err)
	if count() == 0 {
		t.Fatal("a stale cache answered from memory")
	}
	must(t, c.Sync(ctx))
	c.mu.RLock()
	users := len(c.users)
	c.mu.RUnlock()
	if users != 0 {
		t.Fatalf("after a stale spell the cache kept %d users", users)
	}
	fromMemory(t, c, u.ID, comp, []string{"project:default"})
}

// TestBoundedEntries: with room for few entries the cache empties a full
// table rather than grow, and still answers what the store does.
func TestBoundedEntries(t *testing.T) {
	s, comp, u := oneUser(t, "erin")
	ctx := t.Context()
	var names []string
	for i := range 30 {
		name := fmt.Sprintf("project:q%d", i)
		_, err := s.RegisterElement(ctx, comp, name, "", &u.ID)
		must(t, err)
		names = append(names, name)
	}
	c := newCache(t, s, Config{MaxEntries: 8})
	for i := range names {
		ask := []string{names[i], fmt.Sprintf("project:absent%d", i)}
		if got, want := fromMemory(t, c, u.ID, comp, ask), fromStore(t, s, u.ID, comp, ask); !reflect.DeepEqual(got, want) {
			t.Fatalf("%v: cache %v, store %v", ask, got, want)
		}
		c.mu.RLock()
		n, absent := len(c.nodes), len(c.absent)
		c.mu.RUnlock()
		if n > 8 || absent > 8 {
			t.Fatalf("%d elements and %d absent names cached, bound 8", n, absent)
		}
	}
}

// TestLogReading: the floor moves over revisions applied in order, waits
// below one not applied yet, and the reader forgets everything when the log
// lost a revision it had not read.
func TestLogReading(t *testing.T) {
	tests := []struct {
		name      string
		floor     uint64
		applied   []uint64 // this process's own writes, applied at once
		logged    []uint64 // revisions in the log when it is read
		revision  uint64   // the database's revision then
		wantFloor uint64
		wantClear bool
	}{
		{"own writes in order", 0, []uint64{1, 2, 3}, nil, 0, 3, false},
		{"an own write waits for another replica's below it", 0, []uint64{1, 3}, nil, 0, 1, false},
		{"the reader fills the gap", 0, []uint64{1, 3}, []uint64{1, 2, 3}, 3, 3, false},
		{"the reader alone", 4, nil, []uint64{5, 6, 7}, 7, 7, false},
		{"a pruned revision forgets everything", 4, nil, []uint64{7}, 7, 7, true},
		{"a change without a revision (an older cerberus) forgets everything", 4, nil, []uint64{0}, 4, 4, true},
		{"nothing new", 9, nil, nil, 9, 9, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &fakeLog{revision: tt.revision}
			for _, r := range tt.logged {
				log.changes = append(log.changes, store.Change{Scope: store.ScopeUser, RefID: 1, Rev: r})
			}
			c := &Cache{cfg: Config{Sync: time.Second, MaxStale: time.Minute}, log: zap.NewNop(), now: time.Now, synced: time.Now(),
				floor: tt.floor, latest: tt.floor, seen: map[uint64]struct{}{}, started: true, changes: log}
			c.clear()
			gen := c.gen
			for _, r := range tt.applied {
				c.apply([]store.Change{{Scope: store.ScopeGroup, RefID: 1, Rev: r}})
			}
			if tt.logged != nil || tt.revision > 0 {
				c.tokens["h"] = &store.CredentialOwner{} // something to forget
				must(t, c.Sync(t.Context()))
				if cleared := len(c.tokens) == 0 && c.gen > gen; cleared != tt.wantClear {
					t.Errorf("forgot everything: %v, want %v", cleared, tt.wantClear)
				}
			}
			floor, latest, ok := c.Revision()
			if floor != tt.wantFloor || !ok {
				t.Fatalf("floor %d (ok %v), want %d", floor, ok, tt.wantFloor)
			}
			if want := slices.Max(append(slices.Clone(tt.applied), tt.floor, tt.revision)); latest != want {
				t.Errorf("latest %d, want %d", latest, want)
			}
			for r := range c.seen {
				if r <= floor {
					t.Errorf("revision %d at or below the floor still kept", r)
				}
			}
		})
	}
}

// fakeLog is a change log in memory.
type fakeLog struct {
	revision uint64
	changes  []store.Change
}

func (f *fakeLog) Revision(context.Context) (uint64, error) { return f.revision, nil }

func (f *fakeLog) ChangesThrough(_ context.Context, after, upto uint64) ([]store.Change, error) {
	var out []store.Change
	for _, ch := range f.changes {
		if ch.Rev > after && ch.Rev <= upto {
			out = append(out, ch)
		}
	}
	return out, nil
}

func (f *fakeLog) PruneChanges(context.Context, time.Time) error { return nil }

func (f *fakeLog) UnrevisedChanges(context.Context) (int64, error) {
	var n int64
	for _, ch := range f.changes {
		if ch.Rev == 0 {
			n++
		}
	}
	return n, nil
}

// TestOwnChangesApplyOnce: a change made through this process's store is
// not applied again when the log is read, so loads running meanwhile are
// not thrown away for nothing.
func TestOwnChangesApplyOnce(t *testing.T) {
	s := storetest.Migrated(t, storetest.SQLite)
	ctx := t.Context()
	c := newCache(t, s, Config{})
	u := store.User{Username: "frank", IsActive: true}
	must(t, s.CreateUser(ctx, &u))
	_, err := s.UpdateUser(ctx, u.ID, store.UserChanges{})
	must(t, err)
	gen := c.generation()
	must(t, c.Sync(ctx))
	if c.generation() != gen {
		t.Fatal("reading the log applied this process's own change again")
	}
	c.mu.RLock()
	floor := c.floor
	c.mu.RUnlock()
	last, err := s.Revision(ctx)
	must(t, err)
	if floor != last || last == 0 {
		t.Fatalf("floor %d after reading, want the revision %d (not 0)", floor, last)
	}
}

// TestOversizeUser: a user holding more grants than the cache may keep is
// answered by the database, correctly, without being loaded on every call.
func TestOversizeUser(t *testing.T) {
	s, comp, u := oneUser(t, "grace")
	ctx := t.Context()
	for i := range 10 {
		_, err := s.RegisterElement(ctx, comp, fmt.Sprintf("project:r%d", i), "", &u.ID)
		must(t, err)
	}
	c := newCache(t, s, Config{MaxEntries: 2}) // holds 8 grants, grace has 10
	ask := []string{"project:r3"}
	for range 2 {
		if _, err := c.ChainGrants(ctx, u.ID, comp, ask); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.RLock()
		_, over := c.oversize[u.ID]
		c.mu.RUnlock()
		if over {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("grace was never marked too large to cache")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Every statement, the background's too: a load would show within 100ms.
	count, stop := s.CountQueries()
	got, err := c.ChainGrants(ctx, u.ID, comp, ask)
	time.Sleep(100 * time.Millisecond)
	stop()
	must(t, err)
	if n := count(); n != 1 {
		t.Errorf("a decision for an oversize user made %d statements, want 1 (the chain query, no load)", n)
	}
	if want := fromStore(t, s, u.ID, comp, ask); !reflect.DeepEqual(sortRows(got), want) {
		t.Errorf("cache %v, store %v", sortRows(got), want)
	}
}

// TestBatchCosts pins the statements of a decision about many elements for
// a user not in memory: a small one asks the chain query while the user
// loads in the background; a large one waits for the load (the user's
// grants, their groups', then the elements by name and their ancestors not
// held yet) instead of asking the chain query about every element; and
// once loaded, a batch about new elements of known projects costs the one
// lookup by name. Every answer is the store's.
func TestBatchCosts(t *testing.T) {
	s, comp, u := oneUser(t, "heidi")
	ctx := t.Context()
	g := store.Group{Name: "team"}
	must(t, s.CreateGroup(ctx, &g))
	must(t, s.AddMember(ctx, g.ID, u.ID))
	var first, second []string
	for p := range 4 {
		project := fmt.Sprintf("project:b%d", p)
		_, err := s.RegisterElement(ctx, comp, project, "", nil)
		must(t, err)
		must(t, s.Grant(ctx, store.GrantSpec{ComponentID: comp, Element: project, Operation: "read", Effect: store.Allow, Subject: store.Subject{Kind: store.SubjectGroup, ID: g.ID}}))
		for e := range 40 {
			name := fmt.Sprintf("experiment:%d", p*100+e)
			_, err := s.RegisterElement(ctx, comp, name, project, &u.ID)
			must(t, err)
			if e%2 == 0 {
				first = append(first, name)
			} else {
				second = append(second, name)
			}
		}
	}
	// Every statement, the background's too, within the call.
	cost := func(c *Cache, ask []string) int64 {
		t.Helper()
		count, stop := s.CountQueries()
		got, err := c.ChainGrants(ctx, u.ID, comp, ask)
		stop()
		must(t, err)
		if want := fromStore(t, s, u.ID, comp, ask); !reflect.DeepEqual(sortRows(got), want) {
			t.Fatalf("cache %v, store %v", sortRows(got), want)
		}
		return count()
	}
	if len(first) < waitForLoad {
		t.Fatalf("a batch of %d is below waitForLoad (%d)", len(first), waitForLoad)
	}
	c := newCache(t, s, Config{})
	tests := []struct {
		name string
		ask  []string
		want int64
	}{
		// user's grants, the group's, elements by name, their projects and the root by id
		{"large batch, user not loaded: waits for the load", first, 4},
		{"the same again: from memory", first, 0},
		{"new elements of held projects: one lookup by name", second, 1},
		{"the same again: from memory", second, 0},
	}
	for _, tt := range tests {
		if got := cost(c, tt.ask); got != tt.want {
			t.Errorf("%s: %d statements, want %d", tt.name, got, tt.want)
		}
	}
	// 160 experiments, 4 projects and the root; heidi and her group.
	st := c.Stats()
	if st.Users != 1 || st.Groups != 1 || st.Elements != 165 || st.Bytes <= 0 || st.Bytes > st.MaxBytes() {
		t.Errorf("stats %+v (max %d bytes), want 1 user, 1 group, 165 elements, a size within the bound", st, st.MaxBytes())
	}
	onPath := func(c *Cache, ask []string) (Answer, int64) {
		t.Helper()
		tagged, count, stop := s.CountQueriesOf(ctx)
		a, err := c.Lookup(tagged, u.ID, comp, ask)
		stop()
		must(t, err)
		if want := fromStore(t, s, u.ID, comp, ask); !reflect.DeepEqual(sortRows(a.Rows), want) {
			t.Fatalf("cache %v, store %v", sortRows(a.Rows), want)
		}
		return a, count()
	}
	small := newCache(t, s, Config{})
	if a, n := onPath(small, first[:3]); n != 1 || !a.Current {
		t.Errorf("small batch, user not loaded: %d statements on the request's path, current %v; want 1 (the chain query), current", n, a.Current)
	}
	// The elements in memory (the preload), the user not: one statement
	// for the user's and group's grants on them, and no walk up the tree.
	held := newCache(t, s, Config{})
	held.preloadElements(ctx)
	if a, n := onPath(held, first[:3]); n != 1 || a.Current {
		t.Errorf("small batch, elements held, user not loaded: %d statements on the request's path, current %v; want 1 (the grants on the chains), not current", n, a.Current)
	}
}

// TestPreloadElements: once Run has read the change log and a first
// decision was asked, the element table loads page by page while it fits
// in three quarters of the bound, and a decision about a preloaded element
// reads nothing more.
func TestPreloadElements(t *testing.T) {
	tests := []struct {
		name       string
		maxEntries int
		all        bool // the whole table fits
	}{
		{"the table fits: all of it", 1000, true},
		{"the table does not fit: stops at three quarters of the bound", 20, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, comp, u := oneUser(t, "ivan")
			ctx := t.Context()
			var names []string
			for i := range 25 {
				name := fmt.Sprintf("project:p%d", i)
				_, err := s.RegisterElement(ctx, comp, name, "", &u.ID)
				must(t, err)
				names = append(names, name)
			}
			table, err := s.ElementsAfter(ctx, 0, 1000)
			must(t, err)
			c := New(s, Config{Sync: 10 * time.Millisecond, MaxEntries: tt.maxEntries}, zap.NewNop())
			c.preloadPage = 7
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); c.Run(runCtx) }()
			defer func() { stop(); <-done }()

			time.Sleep(50 * time.Millisecond)
			if got := c.Stats().Elements; got != 0 {
				t.Fatalf("%d elements preloaded before any decision, want none", got)
			}
			fromMemory(t, c, u.ID, comp, names[:1]) // the first decision starts it
			if !tt.all {
				// Pages of 7 while they fit in 15, beside what the first
				// decision loaded itself: never more than 15.
				deadline := time.Now().Add(5 * time.Second)
				for c.Stats().Elements < 7 && time.Now().Before(deadline) {
					time.Sleep(5 * time.Millisecond)
				}
				time.Sleep(50 * time.Millisecond) // a page too many would show
				if got := c.Stats().Elements; got < 7 || got > 15 {
					t.Fatalf("%d elements held, want a page at least and at most 15 (table %d, bound %d)", got, len(table), tt.maxEntries)
				}
				return
			}
			deadline := time.Now().Add(5 * time.Second)
			for c.Stats().Elements < len(table) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if got := c.Stats().Elements; got != len(table) {
				t.Fatalf("%d elements preloaded, want the table's %d", got, len(table))
			}
			// The user's grants loaded with the first question; every
			// element is answered from memory.
			askCtx, count, stopCount := s.CountQueriesOf(ctx)
			got, err := c.ChainGrants(askCtx, u.ID, comp, names)
			stopCount()
			must(t, err)
			if n := count(); n != 0 {
				t.Errorf("a decision about preloaded elements made %d statements, want 0", n)
			}
			if want := fromStore(t, s, u.ID, comp, names); !reflect.DeepEqual(sortRows(got), want) {
				t.Errorf("cache %v, store %v", sortRows(got), want)
			}
		})
	}
}

// TestCatchUp: what a refusal calls before it stands. A replica answering
// from memory misses a grant another replica just made until it catches
// up; CatchUp says whether the decision may have missed something, even
// when the periodic read applied the change between the decision and the
// call.
func TestCatchUp(t *testing.T) {
	for backend, replicas := range storetest.Replicas {
		t.Run(backend, func(t *testing.T) {
			a, b := replicas(t)
			ctx := t.Context()
			comp, err := a.ComponentID(component)
			must(t, err)
			u := store.User{Username: "alice", IsActive: true}
			must(t, a.CreateUser(ctx, &u))
			cb := newCache(t, b, Config{})
			floor := func() uint64 {
				f, _, _ := cb.Revision()
				return f
			}
			if caught, err := cb.CatchUp(ctx, floor()); err != nil || caught {
				t.Fatalf("CatchUp with nothing new = %v, %v; want false", caught, err)
			}
			register := func(name string) {
				t.Helper()
				_, err := a.RegisterElement(ctx, comp, name, "", &u.ID)
				must(t, err)
			}
			stale := func(name string) uint64 {
				t.Helper()
				since := floor()
				if rows := fromMemory(t, cb, u.ID, comp, []string{name}); len(rows) != 0 {
					t.Fatalf("alice holds %v before any grant", rows)
				}
				return since
			}
			caughtUp := func(name string) {
				t.Helper()
				if got, want := fromMemory(t, cb, u.ID, comp, []string{name}), fromStore(t, a, u.ID, comp, []string{name}); !reflect.DeepEqual(got, want) || len(got) == 0 {
					t.Errorf("after CatchUp: cache %v, database %v", got, want)
				}
			}

			// A registration elsewhere, not read yet: CatchUp applies it.
			since := stale("experiment:1")
			register("experiment:1")
			if rows := fromMemory(t, cb, u.ID, comp, []string{"experiment:1"}); len(rows) != 0 {
				t.Fatalf("the replica saw the new element before reading the log: %v (the test no longer shows a stale answer)", rows)
			}
			if caught, err := cb.CatchUp(ctx, since); err != nil || !caught {
				t.Fatalf("CatchUp after a registration elsewhere = %v, %v; want true", caught, err)
			}
			caughtUp("experiment:1")

			// The decision answered stale, then the periodic read applied the
			// change before CatchUp: the decision must still be made again.
			since = stale("experiment:2")
			register("experiment:2")
			must(t, cb.Sync(ctx))
			if caught, err := cb.CatchUp(ctx, since); err != nil || !caught {
				t.Fatalf("CatchUp after the periodic read applied the change = %v, %v; want true", caught, err)
			}
			caughtUp("experiment:2")
			if caught, err := cb.CatchUp(ctx, floor()); err != nil || caught {
				t.Errorf("CatchUp from the current floor = %v, %v; want false", caught, err)
			}

			off := New(b, Config{}, zap.NewNop()) // Sync 0: no cache, nothing to catch up
			if caught, err := off.CatchUp(ctx, 0); err != nil || caught {
				t.Errorf("CatchUp with the cache off = %v, %v; want false", caught, err)
			}
		})
	}
}

// gatedLog is a fakeLog whose revision reads wait to be released.
type gatedLog struct {
	fakeLog
	mu      sync.Mutex
	reads   int
	started chan uint64 // the revision each read saw when it began
	release chan struct{}
}

func (g *gatedLog) Revision(context.Context) (uint64, error) {
	g.mu.Lock()
	rev := g.revision
	g.reads++
	g.mu.Unlock()
	g.started <- rev
	<-g.release
	return rev, nil
}

// TestSharedRevisionRead: refusals from memory that catch up at once share
// reads of the revision, and each still gets a read that began after it
// asked: a change committed while a read runs is seen by those who asked
// after it, through the next read.
func TestSharedRevisionRead(t *testing.T) {
	g := &gatedLog{fakeLog: fakeLog{revision: 5}, started: make(chan uint64, 2), release: make(chan struct{})}
	c := &Cache{changes: g}
	ctx := t.Context()
	type answer struct {
		rev uint64
		err error
	}
	first := make(chan answer, 1)
	go func() { r, err := c.sharedRevision(ctx); first <- answer{r, err} }()
	if rev := <-g.started; rev != 5 {
		t.Fatalf("the first read began at revision %d, want 5", rev)
	}
	g.mu.Lock()
	g.revision = 7 // committed while the first read runs
	g.mu.Unlock()
	const later = 10
	answers := make(chan answer, later)
	for range later {
		go func() { r, err := c.sharedRevision(ctx); answers <- answer{r, err} }()
	}
	deadline := time.Now().Add(5 * time.Second)
	for { // every later caller waits on the next read
		c.revMu.Lock()
		waiting := 0
		if c.revNext != nil {
			waiting = c.revNext.callers
		}
		c.revMu.Unlock()
		if waiting == later {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d later callers wait on the next read", waiting, later)
		}
		time.Sleep(time.Millisecond)
	}
	g.release <- struct{}{}
	if a := <-first; a.err != nil || a.rev != 5 {
		t.Fatalf("first caller: revision %d (%v), want 5", a.rev, a.err)
	}
	if rev := <-g.started; rev != 7 {
		t.Fatalf("the second read began at revision %d, want 7", rev)
	}
	g.release <- struct{}{}
	for range later {
		if a := <-answers; a.err != nil || a.rev != 7 {
			t.Fatalf("a later caller: revision %d (%v), want 7: it was given a read begun before it asked", a.rev, a.err)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.reads != 2 {
		t.Errorf("%d reads for 11 callers, want 2", g.reads)
	}
}

// TestLookupSaysWhenCurrent: an answer the database gave (a user not in
// memory yet, a stale cache, the cache off) is current, and a refusal made
// from it skips the catch-up's read; one made with anything from memory
// (the user's grants, or the elements' chains) is not.
func TestLookupSaysWhenCurrent(t *testing.T) {
	s, comp, u := oneUser(t, "fay")
	ctx := t.Context()
	ask := []string{"project:default"}
	now := time.Now()
	for _, tc := range []struct {
		name  string
		cache func() *Cache
		// loaded waits for the user's grants to be in memory first.
		loaded, want, asked bool
	}{
		{"the user not loaded yet", func() *Cache { return newCache(t, s, Config{}) }, false, true, true},
		{"the user not loaded, the elements in memory", func() *Cache {
			c := newCache(t, s, Config{})
			c.preloadElements(ctx)
			return c
		}, false, false, true},
		{"the user in memory", func() *Cache { return newCache(t, s, Config{}) }, true, false, false},
		{"stale", func() *Cache {
			c := newCache(t, s, Config{MaxStale: time.Second})
			c.now = func() time.Time { return now.Add(time.Hour) }
			return c
		}, false, true, true},
		{"the cache off", func() *Cache { return New(s, Config{}, zap.NewNop()) }, false, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cache()
			if tc.loaded {
				fromMemory(t, c, u.ID, comp, ask)
			}
			qctx, count, stop := s.CountQueriesOf(ctx)
			a, err := c.Lookup(qctx, u.ID, comp, ask)
			stop()
			must(t, err)
			if a.Current != tc.want {
				t.Errorf("Current = %v, want %v", a.Current, tc.want)
			}
			if asked := count() > 0; asked != tc.asked {
				t.Errorf("the database asked: %v, want %v", asked, tc.asked)
			}
			if got, want := sortRows(a.Rows), fromStore(t, s, u.ID, comp, ask); !reflect.DeepEqual(got, want) {
				t.Errorf("rows %v, the store's %v", got, want)
			}
		})
	}
}

// TestTouchedSince: a load (a user's grants, a credential) begun before
// some invalidations is kept only when none of them may have changed what
// it read: changes to other users, other groups or elements leave it be;
// a change to the user or one of their groups, a forget-everything, an
// unknown scope, a write of too many changes, or more generations than
// are remembered discard it.
func TestTouchedSince(t *testing.T) {
	const user, group, other = 7, 70, 8
	ch := func(scope string, id uint64) store.Change { return store.Change{Scope: scope, RefID: id} }
	many := make([]store.Change, maxRemembered+1)
	for i := range many {
		many[i] = ch(store.ScopeUser, uint64(100+i))
	}
	tests := []struct {
		name   string
		writes [][]store.Change
		clear  bool
		want   bool
	}{
		{"nothing", nil, false, false},
		{"another user", [][]store.Change{{ch(store.ScopeUser, other)}}, false, false},
		{"another group and an element", [][]store.Change{{ch(store.ScopeGroup, other)}, {ch(store.ScopeElement, user)}}, false, false},
		{"the user", [][]store.Change{{ch(store.ScopeUser, other)}, {ch(store.ScopeElement, 1), ch(store.ScopeUser, user)}}, false, true},
		{"one of their groups", [][]store.Change{{ch(store.ScopeGroup, group)}}, false, true},
		{"an unknown scope", [][]store.Change{{ch("future", other)}}, false, true},
		{"too many changes in one write", [][]store.Change{many}, false, true},
		{"everything forgotten", nil, true, true},
		{"more generations than remembered", slices.Repeat([][]store.Change{{ch(store.ScopeUser, other)}}, recentGens+1), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Cache{cfg: Config{MaxEntries: 10}, seen: map[uint64]struct{}{}}
			c.clear()
			gen := c.gen
			for _, w := range tt.writes {
				c.applyLocked(w)
			}
			if tt.clear {
				c.clear()
			}
			if got := c.touchedSince(gen, user, []uint64{group}); got != tt.want {
				t.Errorf("touchedSince = %v, want %v", got, tt.want)
			}
			if c.touchedSince(c.gen, user, []uint64{group}) {
				t.Error("a load begun now is touched already")
			}
		})
	}
}
