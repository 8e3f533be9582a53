package store

import (
	"context"
	"errors"
	"fmt"
)

// BackupInto writes a consistent copy of the SQLite database to path while
// cerberus keeps serving: VACUUM INTO reads it in one transaction and
// writes a compacted file of its own (nothing of the write-ahead log to
// carry along). path must not exist. MySQL databases are dumped with
// mariadb-dump instead (package backup).
func (s *Store) BackupInto(ctx context.Context, path string) error {
	if s.dialect != SQLite {
		return fmt.Errorf("VACUUM INTO is SQLite's, not %s's", s.dialect)
	}
	if _, err := s.sql.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("vacuum into the backup: %w", err)
	}
	return nil
}

// CheckIntegrity asks SQLite to check the whole file (a copy restored from
// a backup, before cerberus uses it); on MySQL it does nothing: the
// server checks what it loads.
func (s *Store) CheckIntegrity(ctx context.Context) error {
	if s.dialect != SQLite {
		return nil
	}
	var result string
	if err := s.sql.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&result); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if result != "ok" {
		return fmt.Errorf("integrity check: %s", result)
	}
	return nil
}

// MigrationVersion is the schema's migration version (0: none applied)
// and the newest migration this build knows.
func (s *Store) MigrationVersion(ctx context.Context) (current, latest int64, err error) {
	p, err := s.migrator()
	if err != nil {
		return 0, 0, err
	}
	sources := p.ListSources()
	if len(sources) == 0 {
		return 0, 0, errors.New("no migrations embedded")
	}
	latest = sources[len(sources)-1].Version
	if current, err = p.GetDBVersion(ctx); err != nil {
		return 0, latest, fmt.Errorf("read the migration version: %w", err)
	}
	return current, latest, nil
}
