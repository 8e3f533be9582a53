package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/testenv"
)

// migrationAt is a store on each backend migrated up to version, handed to
// check with its migrator and an exec that fails the test on error: the
// frame of every test of one migration's up and down.
func migrationAt(t *testing.T, version int64, check func(t *testing.T, ctx context.Context, s *Store, p *goose.Provider, exec func(q string, args ...any))) {
	t.Helper()
	backends := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "auth.db") },
		"mysql":  func(t *testing.T) string { return testenv.NewMySQLDatabase(t) },
	}
	for backend, raw := range backends {
		t.Run(backend, func(t *testing.T) {
			dsn, err := ParseDSN(raw(t))
			if err != nil {
				t.Fatal(err)
			}
			s, err := Open(dsn, zap.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			ctx := t.Context()
			p, err := s.migrator()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, version); err != nil {
				t.Fatalf("migrate to %d: %v", version, err)
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if err := s.db.WithContext(ctx).Exec(q, args...).Error; err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			check(t, ctx, s, p, exec)
		})
	}
}
