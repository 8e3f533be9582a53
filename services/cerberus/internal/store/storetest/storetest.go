// Package storetest is the one storage test suite every backend runs: the
// same assertions against SQLite and MariaDB/MySQL.
package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// SeedTables are the seed README's six tables, names exactly as it lists them.
var SeedTables = []string{"component", "element", "operation", "permission", "user", "user_permission"}

// Tables are every table the migrations create.
var Tables = append(slices.Clone(SeedTables), "user_group", "user_group_member", "group_permission", "credential", "audit_log", "access_change")

// Opener opens a fresh, unmigrated store and says the database name its
// live connection must report.
type Opener func(t *testing.T) (s *store.Store, name string)

// Run runs the suite on stores from open.
func Run(t *testing.T, open Opener) {
	t.Run("migrate creates the seed tables", func(t *testing.T) {
		s, _ := open(t)
		ctx := ctxFor(t)
		applied, err := s.Migrate(ctx)
		if err != nil {
			t.Fatalf("migrate: %v", err)
		}
		if len(applied) == 0 {
			t.Fatal("a fresh database applied no migration")
		}
		tables, err := s.Tables(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range Tables {
			if !slices.Contains(tables, want) {
				t.Errorf("table %q missing; have %v", want, tables)
			}
		}
	})

	t.Run("migrate twice applies nothing the second time", func(t *testing.T) {
		s, _ := open(t)
		ctx := ctxFor(t)
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		again, err := s.Migrate(ctx)
		if err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		if len(again) != 0 {
			t.Fatalf("second migrate applied %v", again)
		}
	})

	t.Run("catalogue is seeded", func(t *testing.T) {
		s, _ := open(t)
		ctx := ctxFor(t)
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		cat, err := s.Catalogue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(cat.Components, "ml_studio") {
			t.Errorf("components %v lack ml_studio", cat.Components)
		}
		for _, op := range []string{"read", "edit", "manage", "create"} {
			if _, ok := cat.Operations[op]; !ok {
				t.Errorf("operation %q missing from %v", op, cat.Operations)
			}
		}
		if !(cat.Operations["read"] < cat.Operations["edit"] && cat.Operations["edit"] < cat.Operations["manage"]) {
			t.Errorf("operations not ordered read < edit < manage: %v", cat.Operations)
		}
	})

	t.Run("database name comes from the live connection", func(t *testing.T) {
		s, wantName := open(t)
		name, err := s.DatabaseName(ctxFor(t))
		if err != nil {
			t.Fatal(err)
		}
		if name != wantName {
			t.Fatalf("database name %q, want %q", name, wantName)
		}
	})

	t.Run("ping", func(t *testing.T) {
		s, _ := open(t)
		if err := s.Ping(ctxFor(t)); err != nil {
			t.Fatal(err)
		}
	})

	runDenies(t, open)
	runLastAdmin(t, open)
}

// Columns returns each seed table's column names, for comparing backends.
func Columns(t *testing.T, s *store.Store) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, table := range Tables {
		cols, err := s.Columns(ctxFor(t), table)
		if err != nil {
			t.Fatalf("columns of %s: %v", table, err)
		}
		slices.Sort(cols)
		out[table] = cols
	}
	return out
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
