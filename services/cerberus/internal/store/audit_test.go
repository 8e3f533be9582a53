package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// TestPruneAudit: entries older than the cut go, oldest first and at most
// limit a call; newer ones stay, on both backends.
func TestPruneAudit(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			s := storetest.Migrated(t, open)
			ctx := t.Context()
			now := time.Now().UTC()
			var entries []*store.AuditEntry
			for i := range 7 { // 5 old, 2 recent
				at := now.Add(-time.Duration(100-i) * 24 * time.Hour)
				if i >= 5 {
					at = now.Add(-time.Duration(i) * time.Minute)
				}
				entries = append(entries, &store.AuditEntry{At: at, Action: "authorize", Result: "denied", Target: fmt.Sprint(i)})
			}
			if err := s.RecordBatch(ctx, entries); err != nil {
				t.Fatal(err)
			}
			cut := now.Add(-30 * 24 * time.Hour)
			tests := []struct {
				limit      int
				wantPruned int64
				wantLeft   int64
			}{
				{3, 3, 4},
				{3, 2, 2},
				{3, 0, 2},
			}
			for i, tt := range tests {
				n, err := s.PruneAudit(ctx, cut, tt.limit)
				if err != nil {
					t.Fatal(err)
				}
				_, left, err := s.Audit(ctx, store.AuditFilter{}, store.Page{Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				if n != tt.wantPruned || left != tt.wantLeft {
					t.Fatalf("call %d: pruned %d leaving %d, want %d leaving %d", i+1, n, left, tt.wantPruned, tt.wantLeft)
				}
			}
			kept, _, err := s.Audit(ctx, store.AuditFilter{}, store.Page{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range kept {
				if e.At.Before(cut) {
					t.Errorf("entry %s from %s survived the cut %s", e.Target, e.At, cut)
				}
			}
		})
	}
}

// TestOptimize: refreshing the statistics works on both backends, twice,
// and on SQLite leaves the statistics table the planner reads.
func TestOptimize(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			s := storetest.Migrated(t, open)
			for range 2 {
				if err := s.Optimize(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			if s.Dialect() != store.SQLite {
				return
			}
			tables, err := s.Tables(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(tables, "sqlite_stat1") {
				t.Fatalf("no sqlite_stat1 after Optimize: %v", tables)
			}
		})
	}
}
