package storetest

import (
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"
	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// SQLite opens auth.db in a temporary folder; its name must read "auth".
func SQLite(t *testing.T) (*store.Store, string) {
	t.Helper()
	return mustOpen(t, "sqlite:"+filepath.Join(t.TempDir(), "auth.db")), "auth"
}

// MySQL opens a fresh test_* database of its own on the MySQL server.
func MySQL(t *testing.T) (*store.Store, string) {
	t.Helper()
	dsn := testenv.NewMySQLDatabase(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return mustOpen(t, dsn), cfg.DBName
}

// Backends are the openers every storage test runs against.
var Backends = map[string]Opener{"sqlite": SQLite, "mysql": MySQL}

// Migrated opens a store with every migration applied and the catalogue loaded.
func Migrated(t *testing.T, open Opener) *store.Store {
	t.Helper()
	s, _ := open(t)
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if err := s.LoadCatalogue(t.Context()); err != nil {
		t.Fatalf("catalogue: %v", err)
	}
	return s
}

func mustOpen(t *testing.T, raw string) *store.Store {
	t.Helper()
	dsn, err := store.ParseDSN(raw)
	if err != nil {
		t.Fatalf("parse dsn: %v", err)
	}
	s, err := store.Open(dsn, zap.NewNop())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Replicas open two stores on one fresh, migrated database, as two
// cerberus replicas sharing it would.
var Replicas = map[string]func(t *testing.T) (a, b *store.Store){
	"sqlite": func(t *testing.T) (*store.Store, *store.Store) {
		return twins(t, "sqlite:"+filepath.Join(t.TempDir(), "auth.db"))
	},
	"mysql": func(t *testing.T) (*store.Store, *store.Store) {
		return twins(t, testenv.NewMySQLDatabase(t))
	},
}

func twins(t *testing.T, raw string) (*store.Store, *store.Store) {
	t.Helper()
	a := mustOpen(t, raw)
	if _, err := a.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	b := mustOpen(t, raw)
	for _, s := range []*store.Store{a, b} {
		if err := s.LoadCatalogue(t.Context()); err != nil {
			t.Fatalf("catalogue: %v", err)
		}
	}
	return a, b
}
