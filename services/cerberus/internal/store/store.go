// Package store owns cerberus's database: connection, versioned migrations
// and queries. Nothing above it sees SQL or GORM.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"go.uber.org/zap"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

//go:embed migrations
var migrations embed.FS

// ErrUnavailable means the database did not answer.
var ErrUnavailable = errors.New("database unavailable")

// Store is cerberus's database.
type Store struct {
	db        *gorm.DB
	sql       *sql.DB
	dialect   Dialect
	ids       ids // set by LoadCatalogue
	listeners listeners
	counters  counters
	revision  *prepared // Revision's statement
}

// Open connects to the database. It does not migrate: call Migrate.
func Open(dsn DSN, log *zap.Logger) (*Store, error) {
	var dialector gorm.Dialector
	switch dsn.Dialect {
	case SQLite:
		if dir := filepath.Dir(dsn.Path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("create database folder: %w", err)
			}
		}
		dialector = sqlite.Open(dsn.Driver)
	case MySQL:
		// No version query at open: the database may not be up yet, and
		// cerberus waits for it (CERBERUS_DATABASE_WAIT) rather than exiting.
		dialector = mysql.New(mysql.Config{DSN: dsn.Driver, SkipInitializeWithVersion: true})
	default:
		return nil, fmt.Errorf("unknown dialect %q", dsn.Dialect)
	}
	db, err := gorm.Open(dialector, &gorm.Config{
		Logger:                 logger.Discard, // queries may carry secrets' hashes; errors are logged by callers
		SkipDefaultTransaction: true,
		TranslateError:         true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		DisableAutomaticPing:   true,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dsn.Dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("database handle: %w", err)
	}
	sqlDB.SetMaxOpenConns(32)
	sqlDB.SetMaxIdleConns(32)
	sqlDB.SetConnMaxLifetime(30 * time.Minute)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	st := &Store{db: db, sql: sqlDB, dialect: dsn.Dialect, revision: &prepared{query: "SELECT rev FROM access_revision WHERE id = 1"}}
	if err := st.counters.register(db); err != nil {
		return nil, fmt.Errorf("query counter: %w", err)
	}
	log.Debug("database opened", zap.String("dialect", string(dsn.Dialect)))
	return st, nil
}

// Optimize refreshes the query planner's statistics, as after a bulk load
// or as the data grows: SQLite keeps none of its own (without them it
// scans every permission to list a user's readable elements), and
// MariaDB's may lag behind a bulk load. Cerberus runs it at start and
// every hour; with analysis_limit SQLite samples each index, so it stays
// quick however large the tables are.
func (s *Store) Optimize(ctx context.Context) error {
	stmts := []string{"PRAGMA analysis_limit = 1000", "ANALYZE"}
	if s.dialect == MySQL {
		stmts = []string{"ANALYZE TABLE `user`, user_group, user_group_member, element, permission, user_permission, group_permission, credential"}
	}
	conn, err := s.sql.Conn(ctx) // the pragma holds for one connection
	if err != nil {
		return classify(err, "statistics")
	}
	defer func() { _ = conn.Close() }()
	for _, q := range stmts {
		// Exec, not Query: the SQLite driver steps a query only when its
		// rows are read; MySQL's answer rows are read and dropped.
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return classify(err, "statistics")
		}
	}
	return nil
}

// Close releases the connections.
func (s *Store) Close() error { return s.sql.Close() }

// Dialect is the database kind.
func (s *Store) Dialect() Dialect { return s.dialect }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// Migrate applies every pending versioned migration. Concurrent replicas
// take turns through a lock table on MySQL.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	provider, err := s.migrator()
	if err != nil {
		return nil, err
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	applied := make([]string, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Path)
	}
	return applied, nil
}

// migrator is the goose provider of this dialect's migrations.
func (s *Store) migrator() (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations/"+string(s.dialect))
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", s.dialect, err)
	}
	dialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if s.dialect == MySQL {
		dialect = goose.DialectMySQL
		locker, err := lock.NewMySQLTableLocker()
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithLocker(locker))
	}
	provider, err := goose.NewProvider(dialect, s.sql, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("migration provider: %w", err)
	}
	return provider, nil
}

// DatabaseName reads the database's name from the live connection: the
// schema on MySQL, the file's base name on SQLite.
func (s *Store) DatabaseName(ctx context.Context) (string, error) {
	switch s.dialect {
	case MySQL:
		var name sql.NullString
		if err := s.sql.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&name); err != nil {
			return "", fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return name.String, nil
	default:
		rows, err := s.sql.QueryContext(ctx, "PRAGMA database_list")
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				seq        int
				name, file string
			)
			if err := rows.Scan(&seq, &name, &file); err != nil {
				return "", fmt.Errorf("read database list: %w", err)
			}
			if name == "main" {
				base := filepath.Base(file)
				return strings.TrimSuffix(base, filepath.Ext(base)), nil
			}
		}
		if err := rows.Err(); err != nil {
			return "", fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return "", fmt.Errorf("%w: no main database", ErrUnavailable)
	}
}

// Tables lists the tables of the schema, for checks and tests.
func (s *Store) Tables(ctx context.Context) ([]string, error) {
	tables, err := s.db.WithContext(ctx).Migrator().GetTables()
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	return tables, nil
}

// Columns lists a table's column names.
func (s *Store) Columns(ctx context.Context, table string) ([]string, error) {
	types, err := s.db.WithContext(ctx).Migrator().ColumnTypes(table)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", table, err)
	}
	names := make([]string, 0, len(types))
	for _, c := range types {
		names = append(names, c.Name())
	}
	return names, nil
}

// Catalogue is the fixed vocabulary of access control.
type Catalogue struct {
	Components []string
	Operations map[string]int // name → ordinal; use < read < edit < manage, create is 0
}

// Catalogue reads the components and operations.
func (s *Store) Catalogue(ctx context.Context) (Catalogue, error) {
	var cat Catalogue
	if err := s.db.WithContext(ctx).Table("component").Order("name").Pluck("name", &cat.Components).Error; err != nil {
		return cat, fmt.Errorf("read components: %w", err)
	}
	var ops []struct {
		Name    string
		Ordinal int
	}
	if err := s.db.WithContext(ctx).Table("operation").Select("name, ordinal").Scan(&ops).Error; err != nil {
		return cat, fmt.Errorf("read operations: %w", err)
	}
	cat.Operations = make(map[string]int, len(ops))
	for _, op := range ops {
		cat.Operations[op.Name] = op.Ordinal
	}
	return cat, nil
}
