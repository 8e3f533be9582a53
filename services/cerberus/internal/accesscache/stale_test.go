package accesscache

import (
	"testing"
	"time"
)

// TestStaleCacheLoadsNobody: while the change log is unread for longer
// than MaxStale, a decision is the store's chain query and nothing else —
// no load of the asker's grants, which the next read would forget anyway
// (and which, under a load that starves the reader, made every decision
// reload its user).
func TestStaleCacheLoadsNobody(t *testing.T) {
	tests := []struct {
		name   string
		loaded bool // the user was in memory before the cache went stale
	}{
		{"a user held before", true},
		{"a user never loaded", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, comp, u := oneUser(t, "frank")
			ctx := t.Context()
			c := newCache(t, s, Config{MaxStale: time.Second})
			now := time.Now()
			c.now = func() time.Time { return now }
			must(t, c.Sync(ctx))
			if tt.loaded {
				fromMemory(t, c, u.ID, comp, []string{"project:default"})
			}
			now = now.Add(2 * time.Second)
			for range 3 {
				// Every statement, the background's too: a load would show.
				count, stop := s.CountQueries()
				got, err := c.ChainGrants(ctx, u.ID, comp, []string{"project:default"})
				time.Sleep(50 * time.Millisecond)
				stop()
				must(t, err)
				if n := count(); n != 1 {
					t.Fatalf("a stale cache made %d statements, want 1: the chain query, no load of the user", n)
				}
				if want := fromStore(t, s, u.ID, comp, []string{"project:default"}); len(sortRows(got)) != len(want) {
					t.Fatalf("stale answer %v, store %v", got, want)
				}
			}
		})
	}
}
