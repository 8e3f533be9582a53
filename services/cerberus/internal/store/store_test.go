package store_test

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/go-sql-driver/mysql"
	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// openSQLite opens auth.db in a temporary folder: the name must read "auth".
func openSQLite(t *testing.T) (*store.Store, string) {
	t.Helper()
	return mustOpen(t, "sqlite:"+filepath.Join(t.TempDir(), "auth.db")), "auth"
}

// openMySQL opens a fresh test_* database of its own.
func openMySQL(t *testing.T) (*store.Store, string) {
	t.Helper()
	dsn := testenv.NewMySQLDatabase(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return mustOpen(t, dsn), cfg.DBName
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

func TestSQLite(t *testing.T) { storetest.Run(t, openSQLite) }

func TestMySQL(t *testing.T) { storetest.Run(t, openMySQL) }

// The two migration sets must produce the same columns, table by table.
func TestSchemasMatchAcrossBackends(t *testing.T) {
	lite, _ := openSQLite(t)
	my, _ := openMySQL(t)
	for _, s := range []*store.Store{lite, my} {
		if _, err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("migrate %s: %v", s.Dialect(), err)
		}
	}
	if a, b := storetest.Columns(t, lite), storetest.Columns(t, my); !reflect.DeepEqual(a, b) {
		t.Fatalf("schemas differ:\nsqlite: %v\nmysql:  %v", a, b)
	}
}
