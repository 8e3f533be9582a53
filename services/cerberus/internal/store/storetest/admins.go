package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// runLastAdmin checks that no update leaves the database without an active
// admin — one at a time, and when two admins demote each other at once.
func runLastAdmin(t *testing.T, open Opener) {
	no, yes := false, true
	name := "New Name"
	// Accounts: "admin" (active admin), "other" as the case sets it up.
	tests := []struct {
		name                string
		otherAdmin, otherOn bool
		change              store.UserChanges
		onOther             bool // change "other" rather than "admin"
		wantLast            bool
	}{
		{"demoting the only admin", false, true, store.UserChanges{IsAdmin: &no}, false, true},
		{"disabling the only admin", false, true, store.UserChanges{IsActive: &no}, false, true},
		{"demoting the only active admin beside a disabled one", true, false, store.UserChanges{IsAdmin: &no}, false, true},
		{"disabling the only active admin beside a disabled one", true, false, store.UserChanges{IsActive: &no}, false, true},
		{"renaming the only admin", false, true, store.UserChanges{DisplayName: &name}, false, false},
		{"keeping the only admin an active admin", false, true, store.UserChanges{IsAdmin: &yes, IsActive: &yes}, false, false},
		{"demoting an admin beside another active one", true, true, store.UserChanges{IsAdmin: &no}, false, false},
		{"disabling an admin beside another active one", true, true, store.UserChanges{IsActive: &no}, false, false},
		{"disabling a member", false, true, store.UserChanges{IsActive: &no}, true, false},
		{"demoting a disabled admin", true, false, store.UserChanges{IsAdmin: &no}, true, false},
	}
	for _, tt := range tests {
		t.Run("last admin: "+tt.name, func(t *testing.T) {
			s := Migrated(t, open)
			ctx := ctxFor(t)
			admin := store.User{Username: "admin", IsActive: true, IsAdmin: true}
			other := store.User{Username: "other", IsActive: tt.otherOn, IsAdmin: tt.otherAdmin}
			must(t, s.CreateUser(ctx, &admin))
			must(t, s.CreateUser(ctx, &other))
			target := admin
			if tt.onOther {
				target = other
			}
			got, err := s.UpdateUser(ctx, target.ID, tt.change)
			if tt.wantLast {
				if !errors.Is(err, store.ErrLastAdmin) {
					t.Fatalf("UpdateUser = %v, want ErrLastAdmin", err)
				}
				after, err := s.UserByID(ctx, target.ID)
				must(t, err)
				if !after.IsAdmin || !after.IsActive {
					t.Fatalf("refused, yet the admin changed: %+v", after)
				}
				return
			}
			must(t, err)
			if tt.change.DisplayName != nil && got.DisplayName != *tt.change.DisplayName {
				t.Errorf("display name %q, want %q", got.DisplayName, *tt.change.DisplayName)
			}
		})
	}

	// Two admins demote each other at the same moment, again and again: one
	// may win, never both (the loser is refused, or on SQLite may find the
	// database busy), and an active admin always remains.
	t.Run("last admin: two admins demoting each other at once", func(t *testing.T) {
		s := Migrated(t, open)
		ctx := ctxFor(t)
		for round := range 10 {
			a := store.User{Username: "a" + string(rune('a'+round)), IsActive: true, IsAdmin: true}
			b := store.User{Username: "b" + string(rune('a'+round)), IsActive: true, IsAdmin: true}
			must(t, s.CreateUser(ctx, &a))
			must(t, s.CreateUser(ctx, &b))
			if round > 0 { // only a and b are admins in this round
				prevA, prevB := "a"+string(rune('a'+round-1)), "b"+string(rune('a'+round-1))
				for _, n := range []string{prevA, prevB} {
					u, err := s.UserByName(ctx, n)
					must(t, err)
					if u.IsAdmin {
						_, err = s.UpdateUser(ctx, u.ID, store.UserChanges{IsAdmin: &no})
						must(t, err)
					}
				}
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, id := range []uint64{a.ID, b.ID} {
				wg.Go(func() { _, errs[i] = s.UpdateUser(ctx, id, store.UserChanges{IsAdmin: &no}) })
			}
			wg.Wait()
			if errs[0] == nil && errs[1] == nil {
				t.Fatalf("round %d: both admins were demoted", round)
			}
			for _, err := range errs {
				if err != nil && !errors.Is(err, store.ErrLastAdmin) && !errors.Is(err, store.ErrUnavailable) {
					t.Fatalf("round %d: %v", round, err)
				}
			}
			left := 0
			for _, id := range []uint64{a.ID, b.ID} {
				u, err := s.UserByID(ctx, id)
				must(t, err)
				if u.IsAdmin && u.IsActive {
					left++
				}
			}
			if left == 0 {
				t.Fatalf("round %d: no active admin left (%v)", round, errs)
			}
		}
	})
}
