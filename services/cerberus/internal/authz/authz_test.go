package authz_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/authz"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// world is a small organisation:
//
//	project:alpha ── experiment:1 (created by alice), experiment:2, registered_model:m
//	project:beta  ── experiment:3
//	*             (the component root)
//
// group ds = {bob, erin}: read + create on project:alpha;
// bob: explicit deny on experiment:2; carol: edit on experiment:3;
// frank: read on * and a deny on project:beta; dave: disabled, read on alpha;
// grace: read on experiment:1 and, beside it, a deny on it.
type world struct {
	s     *store.Store
	comp  uint64
	users map[string]authz.Subject
}

func build(t *testing.T, s *store.Store) *world {
	t.Helper()
	ctx := t.Context()
	w := &world{s: s, users: map[string]authz.Subject{}}
	var err error
	if w.comp, err = s.ComponentID("ml_studio"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		name          string
		admin, active bool
	}{{"root", true, true}, {"alice", false, true}, {"bob", false, true}, {"carol", false, true}, {"dave", false, false}, {"erin", false, true}, {"frank", false, true}, {"grace", false, true}} {
		row := store.User{Username: u.name, IsAdmin: u.admin, IsActive: u.active}
		if err := s.CreateUser(ctx, &row); err != nil {
			t.Fatal(err)
		}
		w.users[u.name] = authz.Subject{ID: row.ID, Username: u.name, IsAdmin: u.admin, IsActive: u.active}
	}
	alice := w.users["alice"].ID
	for _, e := range []struct {
		name, parent string
		creator      *uint64
	}{
		{"project:alpha", "", nil}, {"project:beta", "", nil}, // "*" comes with the migrations
		{"experiment:1", "project:alpha", &alice}, {"experiment:2", "project:alpha", nil},
		{"registered_model:m", "project:alpha", nil}, {"experiment:3", "project:beta", nil},
	} {
		if _, err := s.RegisterElement(ctx, w.comp, e.name, e.parent, e.creator); err != nil {
			t.Fatalf("register %s: %v", e.name, err)
		}
	}
	group := store.Group{Name: "ds"}
	if err := s.CreateGroup(ctx, &group); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"bob", "erin"} {
		if err := s.AddMember(ctx, group.ID, w.users[m].ID); err != nil {
			t.Fatal(err)
		}
	}
	grp := store.Subject{Kind: store.SubjectGroup, ID: group.ID}
	usr := func(name string) store.Subject { return store.Subject{Kind: store.SubjectUser, ID: w.users[name].ID} }
	for _, g := range []store.GrantSpec{
		{Subject: grp, Element: "project:alpha", Operation: "read", Effect: store.Allow},
		{Subject: grp, Element: "project:alpha", Operation: "create", Effect: store.Allow},
		{Subject: usr("bob"), Element: "experiment:2", Effect: store.Deny},
		{Subject: usr("carol"), Element: "experiment:3", Operation: "edit", Effect: store.Allow},
		{Subject: usr("frank"), Element: "*", Operation: "read", Effect: store.Allow},
		{Subject: usr("frank"), Element: "project:beta", Effect: store.Deny},
		{Subject: usr("dave"), Element: "project:alpha", Operation: "read", Effect: store.Allow},
		{Subject: usr("grace"), Element: "experiment:1", Operation: "read", Effect: store.Allow},
		{Subject: usr("grace"), Element: "experiment:1", Effect: store.Deny},
	} {
		g.ComponentID = w.comp
		if err := s.Grant(ctx, g); err != nil {
			t.Fatalf("grant %+v: %v", g, err)
		}
	}
	return w
}

func (w *world) decide(ctx context.Context, t *testing.T, user, element, op string) authz.Decision {
	t.Helper()
	operation, err := w.s.OperationByName(op)
	if err != nil {
		t.Fatal(err)
	}
	who := w.users[user]
	rows, err := w.s.ChainGrants(ctx, who.ID, w.comp, []string{element})
	if err != nil {
		t.Fatal(err)
	}
	return authz.Decide(who, element, operation, rows)
}

func TestDecisions(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			w := build(t, storetest.Migrated(t, open))
			tests := []struct {
				user, element, op string
				want              bool
			}{
				// admin
				{"root", "experiment:3", "manage", true},
				{"root", "experiment:999", "read", true},
				// the creator gets manage, which includes edit and read, but not create
				{"alice", "experiment:1", "manage", true},
				{"alice", "experiment:1", "edit", true},
				{"alice", "experiment:1", "read", true},
				{"alice", "experiment:1", "create", false},
				{"alice", "experiment:2", "read", false},
				{"alice", "project:alpha", "read", false},
				// group grant on the project reaches its experiments and models
				{"erin", "project:alpha", "read", true},
				{"erin", "experiment:1", "read", true},
				{"erin", "registered_model:m", "read", true},
				{"erin", "experiment:1", "edit", false},
				{"erin", "project:alpha", "create", true},
				{"erin", "experiment:3", "read", false},
				// an explicit deny carves experiment:2 out of bob's group grant
				{"bob", "experiment:1", "read", true},
				{"bob", "experiment:2", "read", false},
				{"erin", "experiment:2", "read", true},
				// operation order
				{"carol", "experiment:3", "read", true},
				{"carol", "experiment:3", "edit", true},
				{"carol", "experiment:3", "manage", false},
				{"carol", "project:beta", "read", false},
				// a root grant reaches everything but what a deny carves out
				{"frank", "experiment:1", "read", true},
				{"frank", "experiment:3", "read", false},
				{"frank", "experiment:1", "edit", false},
				// a deny beside an allow on the same element wins
				{"grace", "experiment:1", "read", false},
				{"grace", "registered_model:m", "read", false},
				// disabled user, unknown element
				{"dave", "experiment:1", "read", false},
				{"erin", "experiment:404", "read", false},
			}
			for _, tt := range tests {
				t.Run(tt.user+"/"+tt.element+"/"+tt.op, func(t *testing.T) {
					got := w.decide(t.Context(), t, tt.user, tt.element, tt.op)
					if got.Allowed != tt.want || got.Reason == "" {
						t.Fatalf("decision %+v, want allowed=%v with a reason", got, tt.want)
					}
				})
			}

			t.Run("revocation is seen by the next decision", func(t *testing.T) {
				ctx := t.Context()
				spec := store.GrantSpec{Subject: store.Subject{Kind: store.SubjectUser, ID: w.users["carol"].ID},
					ComponentID: w.comp, Element: "experiment:3", Operation: "edit", Effect: store.Allow}
				if err := w.s.Revoke(ctx, spec); err != nil {
					t.Fatal(err)
				}
				if d := w.decide(ctx, t, "carol", "experiment:3", "read"); d.Allowed {
					t.Fatalf("still allowed after revoke: %+v", d)
				}
				if err := w.s.Revoke(ctx, spec); err == nil {
					t.Fatal("revoking a missing grant succeeded")
				}
			})

			t.Run("a deleted element takes its grants along", func(t *testing.T) {
				ctx := t.Context()
				alice := w.users["alice"].ID
				if _, err := w.s.RegisterElement(ctx, w.comp, "registered_model:gone", "project:alpha", &alice); err != nil {
					t.Fatal(err)
				}
				if d := w.decide(ctx, t, "alice", "registered_model:gone", "manage"); !d.Allowed {
					t.Fatalf("the creator lacks manage: %+v", d)
				}
				if err := w.s.DeleteElement(ctx, w.comp, "project:alpha"); err == nil {
					t.Fatal("deleted a project that still holds elements")
				}
				if err := w.s.DeleteElement(ctx, w.comp, "registered_model:gone"); err != nil {
					t.Fatal(err)
				}
				if _, err := w.s.RegisterElement(ctx, w.comp, "registered_model:gone", "project:alpha", nil); err != nil {
					t.Fatalf("the name cannot be used again: %v", err)
				}
				if d := w.decide(ctx, t, "alice", "registered_model:gone", "manage"); d.Allowed {
					t.Fatalf("the old grant survived the deletion: %+v", d)
				}
			})

			t.Run("batch equals single decisions", func(t *testing.T) {
				ctx := t.Context()
				elements := []string{"experiment:1", "experiment:2", "experiment:3", "registered_model:m", "experiment:404"}
				read, _ := w.s.OperationByName("read")
				who := w.users["bob"]
				rows, err := w.s.ChainGrants(ctx, who.ID, w.comp, elements)
				if err != nil {
					t.Fatal(err)
				}
				batch := authz.DecideBatch(who, elements, read, rows)
				for _, e := range elements {
					single := w.decide(ctx, t, "bob", e, "read")
					if batch[e].Allowed != single.Allowed {
						t.Errorf("%s: batch %+v, single %+v", e, batch[e], single)
					}
				}
			})

			t.Run("readable sets", func(t *testing.T) {
				tests := []struct {
					user string
					want authz.Readable
				}{
					{"bob", authz.Readable{Names: []string{"experiment:1"}, Except: []string{}}},
					{"erin", authz.Readable{Names: []string{"experiment:1", "experiment:2"}, Except: []string{}}},
					{"alice", authz.Readable{Names: []string{"experiment:1"}, Except: []string{}}},
					{"frank", authz.Readable{All: true, Names: []string{}, Except: []string{"experiment:3"}}},
					{"root", authz.Readable{All: true, Names: []string{}, Except: []string{}}},
					{"dave", authz.Readable{Names: []string{}, Except: []string{}}},
				}
				read, _ := w.s.OperationByName("read")
				for _, tt := range tests {
					who := w.users[tt.user]
					rows, err := w.s.Reach(t.Context(), who.ID, w.comp, "experiment", read.Ordinal)
					if err != nil {
						t.Fatal(err)
					}
					if got := authz.Reduce(who, rows); !reflect.DeepEqual(got, tt.want) {
						t.Errorf("%s: readable %+v, want %+v", tt.user, got, tt.want)
					}
				}
			})
		})
	}
}

// TestConcealed: a caller who is not an admin reads one reason for every
// denial about an element — unknown, not granted or denied — and the
// detailed ones stay for admins; allowed answers and a disabled subject's
// denial are left as they are.
func TestConcealed(t *testing.T) {
	bob := authz.Subject{ID: 2, Username: "bob", IsActive: true}
	read := store.Operation{Name: "read", Ordinal: 1}
	exists := store.ChainGrant{Start: "experiment:1"}
	tests := []struct {
		name    string
		who     authz.Subject
		element string
		rows    []store.ChainGrant
		want    authz.Decision
	}{
		{"unknown element", bob, "experiment:404", nil, authz.Decision{Reason: "no read access (or no such element)"}},
		{"no grant", bob, "experiment:1", []store.ChainGrant{exists}, authz.Decision{Reason: "no read access (or no such element)"}},
		{"a deny on the root", bob, "experiment:1", []store.ChainGrant{exists, {Start: "experiment:1", Depth: -1, Operation: "read", Ordinal: 1, Effect: store.Deny}},
			authz.Decision{Reason: "no read access (or no such element)"}},
		{"a deny beside an allow", bob, "experiment:1", []store.ChainGrant{exists, {Start: "experiment:1", Operation: "read", Ordinal: 1, Effect: store.Allow},
			{Start: "experiment:1", Operation: "read", Ordinal: 1, Effect: store.Deny}}, authz.Decision{Reason: "no read access (or no such element)"}},
		{"allowed: kept", bob, "experiment:1", []store.ChainGrant{exists, {Start: "experiment:1", Operation: "read", Ordinal: 1, Effect: store.Allow}},
			authz.Decision{Allowed: true, Reason: `read granted on "experiment:1"`}},
		{"disabled: kept", authz.Subject{ID: 3, Username: "dave"}, "experiment:404", nil, authz.Decision{Reason: "user is disabled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			detailed := authz.Decide(tt.who, tt.element, read, tt.rows)
			if got := authz.Concealed(tt.who, read.Name, detailed); got != tt.want {
				t.Errorf("concealed %+v, want %+v (detailed %+v)", got, tt.want, detailed)
			}
		})
	}
}
