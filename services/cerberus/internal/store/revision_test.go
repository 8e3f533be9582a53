package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/service"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// TestAccessRevision: every committed write that changes access takes the
// next revision, writes that change nothing or fail take none, and the log
// holds every revision, each transaction's changes under one — even with
// writers racing on two connections pools (two replicas) at once. A reader
// can therefore trust that having seen revision N it has seen all below.
func TestAccessRevision(t *testing.T) {
	for backend, replicas := range storetest.Replicas {
		t.Run(backend, func(t *testing.T) {
			a, b := replicas(t)
			ctx := t.Context()
			comp, err := a.ComponentID(service.Component)
			if err != nil {
				t.Fatal(err)
			}
			start, err := a.Revision(ctx)
			if err != nil {
				t.Fatal(err)
			}
			u := store.User{Username: "rev-user", IsActive: true}
			if err := a.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			if rev, err := a.Revision(ctx); err != nil || rev != start {
				t.Fatalf("a new user with no grant moved the revision from %d to %d (%v)", start, rev, err)
			}

			const writers, each = 6, 8
			var wg sync.WaitGroup
			errs := make(chan error, writers*each)
			for w := range writers {
				st := a
				if w%2 == 1 {
					st = b
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						el := fmt.Sprintf("project:rev-%d-%d", w, i)
						if _, err := st.RegisterElement(ctx, comp, el, "", nil); err != nil {
							errs <- err
							return
						}
						g := store.GrantSpec{Subject: store.Subject{Kind: store.SubjectUser, ID: u.ID}, ComponentID: comp, Element: el, Operation: "read", Effect: store.Allow}
						if err := st.Grant(ctx, g); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			mid, err := b.Revision(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want := start + 2*writers*each; mid != want {
				t.Fatalf("revision %d after %d committed writes from %d, want %d", mid, 2*writers*each, start, want)
			}

			// A write refused (the grant exists) takes no revision.
			dup := store.GrantSpec{Subject: store.Subject{Kind: store.SubjectUser, ID: u.ID}, ComponentID: comp, Element: "project:rev-0-0", Operation: "read", Effect: store.Allow}
			if err := a.Grant(ctx, dup); !errors.Is(err, apierror.ErrConflict) {
				t.Fatalf("granting twice: %v, want a conflict", err)
			}
			if rev, _ := a.Revision(ctx); rev != mid {
				t.Fatalf("a refused write moved the revision from %d to %d", mid, rev)
			}

			// One transaction, several changes, one revision: disabling a
			// user forgets them and their credentials together.
			off := false
			if _, err := b.UpdateUser(ctx, u.ID, store.UserChanges{IsActive: &off}); err != nil {
				t.Fatal(err)
			}
			end, err := a.Revision(ctx)
			if err != nil || end != mid+1 {
				t.Fatalf("revision %d after one more write, want %d (%v)", end, mid+1, err)
			}

			changes, err := a.ChangesThrough(ctx, start, end)
			if err != nil {
				t.Fatal(err)
			}
			byRev := map[uint64]int{}
			for _, ch := range changes {
				if ch.Rev <= start || ch.Rev > end {
					t.Errorf("change %+v outside (%d, %d]", ch, start, end)
				}
				byRev[ch.Rev]++
			}
			for r := start + 1; r <= end; r++ {
				if byRev[r] == 0 {
					t.Errorf("revision %d has no change in the log", r)
				}
			}
			if tail, _ := a.ChangesThrough(ctx, mid, end); len(tail) == 0 || tail[0].Rev != end {
				t.Errorf("the last revision's changes: %+v", tail)
			}
			if n, err := b.UnrevisedChanges(ctx); err != nil || n != 0 {
				t.Errorf("%d changes without a revision (%v), want none: every write stamps its revision", n, err)
			}
		})
	}
}
