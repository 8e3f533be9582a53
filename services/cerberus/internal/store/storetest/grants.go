package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// runDenies checks that a deny is a row of its own beside the subject's
// allows on the same element — stored, decided, listed and revoked apart —
// and that a revoke or a grant restricted to who placed a deny does so.
func runDenies(t *testing.T, open Opener) {
	// fixture: an admin, alice (a manager) and bob; group team with bob;
	// project:p with experiment:1.
	type fixture struct {
		s                 *store.Store
		comp              uint64
		admin, alice, bob store.User
		team              store.Group
	}
	setup := func(t *testing.T) fixture {
		t.Helper()
		s := Migrated(t, open)
		ctx := ctxFor(t)
		f := fixture{s: s, admin: store.User{Username: "admin", IsActive: true, IsAdmin: true},
			alice: store.User{Username: "alice", IsActive: true}, bob: store.User{Username: "bob", IsActive: true}, team: store.Group{Name: "team"}}
		for _, u := range []*store.User{&f.admin, &f.alice, &f.bob} {
			must(t, s.CreateUser(ctx, u))
		}
		must(t, s.CreateGroup(ctx, &f.team))
		must(t, s.AddMember(ctx, f.team.ID, f.bob.ID))
		var err error
		f.comp, err = s.ComponentID("ml_studio")
		must(t, err)
		for _, e := range [][2]string{{"project:p", ""}, {"experiment:1", "project:p"}} {
			_, err := s.RegisterElement(ctx, f.comp, e[0], e[1], nil)
			must(t, err)
		}
		return f
	}
	subjects := []struct {
		name string
		of   func(f fixture) store.Subject
	}{
		{"user", func(f fixture) store.Subject { return store.Subject{Kind: store.SubjectUser, ID: f.bob.ID} }},
		{"group", func(f fixture) store.Subject { return store.Subject{Kind: store.SubjectGroup, ID: f.team.ID} }},
	}
	for _, sub := range subjects {
		t.Run("a deny beside an allow on one element, to a "+sub.name, func(t *testing.T) {
			f := setup(t)
			ctx := ctxFor(t)
			spec := func(effect, op string, by uint64) store.GrantSpec {
				return store.GrantSpec{Subject: sub.of(f), ComponentID: f.comp, Element: "experiment:1", Operation: op, Effect: effect, By: &by}
			}
			must(t, f.s.Grant(ctx, spec(store.Allow, "read", f.alice.ID)))
			must(t, f.s.Grant(ctx, spec(store.Deny, "", f.admin.ID)))
			if err := f.s.Grant(ctx, spec(store.Deny, "", f.admin.ID)); !errors.Is(err, apierror.ErrConflict) {
				t.Fatalf("the same deny twice: %v, want a conflict", err)
			}

			rows, err := f.s.ChainGrants(ctx, f.bob.ID, f.comp, []string{"experiment:1"})
			must(t, err)
			if got := effects(rows, func(r store.ChainGrant) (int, string, string) { return r.Depth, r.Operation, r.Effect }); !slices.Equal(got, []string{"0 read allow", "0 read deny"}) {
				t.Errorf("the decision reads %v, want the allow and the deny", got)
			}
			list, err := f.s.AccessTo(ctx, f.comp, "experiment:1")
			must(t, err)
			if got := effects(list, func(r store.GrantRow) (int, string, string) { return r.Depth, r.Operation, r.Effect }); !slices.Equal(got, []string{"0 read allow", "0 read deny"}) {
				t.Errorf("the access list shows %v, want the allow and the deny", got)
			}
			mine, err := f.s.GrantsOf(ctx, f.comp, f.bob.ID)
			must(t, err)
			if got := effects(mine, func(r store.GrantRow) (int, string, string) { return r.Depth, r.Operation, r.Effect }); !slices.Equal(got, []string{"0 read allow", "0 read deny"}) {
				t.Errorf("bob's grants show %v, want the allow and the deny", got)
			}
			reach, err := f.s.Reach(ctx, f.bob.ID, f.comp, "experiment", 1)
			must(t, err)
			if !slices.Contains(reach, store.ReachRow{Name: "experiment:1", Effect: store.Deny}) {
				t.Errorf("readable rows %v lack the deny", reach)
			}

			// Each goes on its own: revoking the allow leaves the deny.
			must(t, f.s.Revoke(ctx, spec(store.Allow, "read", f.alice.ID)))
			rows, err = f.s.ChainGrants(ctx, f.bob.ID, f.comp, []string{"experiment:1"})
			must(t, err)
			if got := effects(rows, func(r store.ChainGrant) (int, string, string) { return r.Depth, r.Operation, r.Effect }); !slices.Equal(got, []string{"0 read deny"}) {
				t.Errorf("after revoking the allow the decision reads %v, want the deny alone", got)
			}
		})

		t.Run("a deny lifted only as its placer allows, to a "+sub.name, func(t *testing.T) {
			f := setup(t)
			ctx := ctxFor(t)
			deny := func(by uint64) store.GrantSpec {
				return store.GrantSpec{Subject: sub.of(f), ComponentID: f.comp, Element: "experiment:1", Effect: store.Deny, By: &by}
			}
			onlyBy := func(g store.GrantSpec, id uint64) store.GrantSpec { g.OnlyPlacedBy = &id; return g }
			adopt := func(g store.GrantSpec) store.GrantSpec { g.Adopt = true; return g }

			must(t, f.s.Grant(ctx, deny(f.admin.ID)))
			if err := f.s.Revoke(ctx, onlyBy(deny(f.alice.ID), f.alice.ID)); !errors.Is(err, apierror.ErrForbidden) {
				t.Fatalf("alice lifting the admin's deny: %v, want forbidden", err)
			}
			if err := f.s.Revoke(ctx, onlyBy(store.GrantSpec{Subject: sub.of(f), ComponentID: f.comp, Element: "project:p", Effect: store.Deny}, f.alice.ID)); !errors.Is(err, apierror.ErrNotFound) {
				t.Fatalf("lifting a deny that is not there: %v, want not found", err)
			}
			must(t, f.s.Revoke(ctx, onlyBy(deny(f.admin.ID), f.admin.ID)))

			// A manager's own deny: theirs to lift, until an admin adopts it.
			must(t, f.s.Grant(ctx, deny(f.alice.ID)))
			must(t, f.s.Revoke(ctx, onlyBy(deny(f.alice.ID), f.alice.ID)))
			must(t, f.s.Grant(ctx, deny(f.alice.ID)))
			if err := f.s.Grant(ctx, deny(f.admin.ID)); !errors.Is(err, apierror.ErrConflict) {
				t.Fatalf("the same deny without adopting: %v, want a conflict", err)
			}
			must(t, f.s.Grant(ctx, adopt(deny(f.admin.ID))))
			if err := f.s.Grant(ctx, adopt(deny(f.admin.ID))); !errors.Is(err, apierror.ErrConflict) {
				t.Fatalf("adopting one's own deny again: %v, want a conflict", err)
			}
			if err := f.s.Revoke(ctx, onlyBy(deny(f.alice.ID), f.alice.ID)); !errors.Is(err, apierror.ErrForbidden) {
				t.Fatalf("alice lifting her deny the admin adopted: %v, want forbidden", err)
			}
			must(t, f.s.Revoke(ctx, deny(f.admin.ID)))
			rows, err := f.s.ChainGrants(ctx, f.bob.ID, f.comp, []string{"experiment:1"})
			must(t, err)
			if got := effects(rows, func(r store.ChainGrant) (int, string, string) { return r.Depth, r.Operation, r.Effect }); len(got) != 0 {
				t.Errorf("after lifting the deny the decision reads %v, want nothing", got)
			}
		})
	}
}

// effects renders the grant rows (the existence rows of ChainGrants left
// out) as "depth operation effect", sorted.
func effects[R any](rows []R, f func(R) (depth int, op, effect string)) []string {
	out := []string{}
	for _, r := range rows {
		depth, op, effect := f(r)
		if op == "" {
			continue
		}
		out = append(out, fmt.Sprintf("%d %s %s", depth, op, effect))
	}
	slices.Sort(out)
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
