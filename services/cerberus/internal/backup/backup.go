// Package backup copies cerberus's database to a file and back, for
// `cerberus backup` and `cerberus restore`: SQLite through the store's
// online VACUUM INTO, MySQL/MariaDB through the server's own client tools
// (mariadb-dump and mariadb, or MySQL's mysqldump and mysql) in one
// consistent transaction. A restore goes into a new, empty database only,
// and checks what it restored: SQLite's integrity, and that the schema's
// migration version is one this cerberus can run (older ones it migrates
// at start).
package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/go-sql-driver/mysql"
	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// Result says what a backup or a restore covered.
type Result struct {
	Dialect store.Dialect
	// Version is the schema's migration version in the copy; Latest the
	// newest this cerberus knows.
	Version, Latest int64
}

// Backup writes the database at dsn to the file to, which must not exist.
func Backup(ctx context.Context, dsn store.DSN, to string) (Result, error) {
	if err := mustNotExist(to); err != nil {
		return Result{}, err
	}
	if dsn.Dialect == store.SQLite {
		if _, err := os.Stat(dsn.Path); err != nil { // opening would create it
			return Result{}, fmt.Errorf("the database: %w", err)
		}
	}
	st, err := store.Open(dsn, zap.NewNop())
	if err != nil {
		return Result{}, err
	}
	defer func() { _ = st.Close() }()
	res := Result{Dialect: dsn.Dialect}
	if res.Version, res.Latest, err = st.MigrationVersion(ctx); err != nil {
		return res, err
	}
	if res.Version == 0 {
		return res, errors.New("the database has no migration applied: cerberus has never run on it")
	}
	switch dsn.Dialect {
	case store.SQLite:
		if err = st.BackupInto(ctx, to); err == nil {
			err = os.Chmod(to, 0o600) // hashes of passwords and tokens
		}
	case store.MySQL:
		err = dump(ctx, dsn, to)
	default:
		err = fmt.Errorf("cannot back up a %s database", dsn.Dialect)
	}
	if err != nil {
		_ = os.Remove(to)
	}
	return res, err
}

// Restore loads the backup from into the database at dsn, which must be
// empty: a restore never merges into or overwrites live data.
func Restore(ctx context.Context, dsn store.DSN, from string) (Result, error) {
	if _, err := os.Stat(from); err != nil {
		return Result{}, fmt.Errorf("the backup: %w", err)
	}
	res := Result{Dialect: dsn.Dialect}
	switch dsn.Dialect {
	case store.SQLite:
		if err := mustNotExist(dsn.Path); err != nil {
			return res, fmt.Errorf("restore into a new database file: %w", err)
		}
		if err := copyFile(from, dsn.Path); err != nil {
			return res, err
		}
	case store.MySQL:
		if err := mustBeEmpty(ctx, dsn); err != nil {
			return res, err
		}
		if err := load(ctx, dsn, from); err != nil {
			return res, err
		}
	default:
		return res, fmt.Errorf("cannot restore a %s database", dsn.Dialect)
	}
	err := check(ctx, dsn, &res)
	if err != nil && dsn.Dialect == store.SQLite {
		removeSQLite(dsn.Path) // nothing half-restored is left for cerberus to start on
	}
	return res, err
}

// check verifies what was restored.
func check(ctx context.Context, dsn store.DSN, res *Result) error {
	st, err := store.Open(dsn, zap.NewNop())
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	if err := st.CheckIntegrity(ctx); err != nil {
		return fmt.Errorf("the restored database: %w", err)
	}
	if res.Version, res.Latest, err = st.MigrationVersion(ctx); err != nil {
		return fmt.Errorf("the restored database is not cerberus's: %w", err)
	}
	switch {
	case res.Version == 0:
		return errors.New("the restored database has no migration applied: not a cerberus backup")
	case res.Version > res.Latest:
		return fmt.Errorf("the backup is at migration %d, newer than this cerberus (%d): restore it with the cerberus that made it", res.Version, res.Latest)
	}
	return nil
}

func mustNotExist(path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s already exists", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// copyFile copies from to a new file to, synced to disk.
func copyFile(from, to string) (err error) {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	if dir := filepath.Dir(to); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return err
		}
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(to)
		}
	}()
	if _, err = io.Copy(out, in); err != nil {
		return err
	}
	return out.Sync()
}

func removeSQLite(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		_ = os.Remove(p)
	}
}

// ---- MySQL ----------------------------------------------------------------------

// mustBeEmpty refuses a MySQL database that holds any table.
func mustBeEmpty(ctx context.Context, dsn store.DSN) error {
	st, err := store.Open(dsn, zap.NewNop())
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	tables, err := st.Tables(ctx)
	if err != nil {
		return err
	}
	if len(tables) > 0 {
		return fmt.Errorf("the database is not empty (%d tables, e.g. %s): restore into a new database", len(tables), tables[0])
	}
	return nil
}

// dump runs mariadb-dump (or mysqldump) into the file to: one
// transaction's consistent view of InnoDB, taking no table lock, so
// cerberus keeps serving meanwhile.
func dump(ctx context.Context, dsn store.DSN, to string) error {
	cfg, defaults, cleanup, err := clientConfig(dsn)
	if err != nil {
		return err
	}
	defer cleanup()
	bin, err := tool("mariadb-dump", "mysqldump")
	if err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // hashes of passwords and tokens
	if err != nil {
		return err
	}
	defer func() { _ = out.Close() }()
	// --defaults-extra-file must come first; the password is read from it,
	// never from the command line (which other users may list).
	cmd := exec.CommandContext(ctx, bin, "--defaults-extra-file="+defaults,
		"--single-transaction", "--skip-lock-tables", "--quick", "--hex-blob", "--no-tablespaces",
		"--default-character-set=utf8mb4", cfg.DBName)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = out, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(bin), err, strings.TrimSpace(stderr.String()))
	}
	return out.Sync()
}

// load runs the mariadb (or mysql) client on the dump.
func load(ctx context.Context, dsn store.DSN, from string) error {
	cfg, defaults, cleanup, err := clientConfig(dsn)
	if err != nil {
		return err
	}
	defer cleanup()
	bin, err := tool("mariadb", "mysql")
	if err != nil {
		return err
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	cmd := exec.CommandContext(ctx, bin, "--defaults-extra-file="+defaults, "--default-character-set=utf8mb4", "--batch", cfg.DBName)
	cmd.Stdin = in
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(bin), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// tool finds the first of names on PATH.
func tool(names ...string) (string, error) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("neither %s is installed (Debian: apt-get install mariadb-client)", strings.Join(names, " nor "))
}

// clientConfig writes the DSN's address and credentials to an option file
// only this user can read, for the client tools' --defaults-extra-file.
func clientConfig(dsn store.DSN) (*mysql.Config, string, func(), error) {
	cfg, err := mysql.ParseDSN(dsn.Driver)
	if err != nil {
		return nil, "", nil, fmt.Errorf("the database address: %w", err)
	}
	if cfg.DBName == "" {
		return nil, "", nil, errors.New("the database address names no database")
	}
	var b strings.Builder
	b.WriteString("[client]\n")
	option := func(k, v string) {
		if v != "" {
			b.WriteString(k + "=" + quote(v) + "\n")
		}
	}
	option("user", cfg.User)
	option("password", cfg.Passwd)
	switch cfg.Net {
	case "unix":
		option("socket", cfg.Addr)
	default:
		host, port := cfg.Addr, "3306"
		if i := strings.LastIndex(cfg.Addr, ":"); i >= 0 {
			host, port = cfg.Addr[:i], cfg.Addr[i+1:]
		}
		option("host", strings.Trim(host, "[]"))
		option("port", port)
		option("protocol", "TCP") // "localhost" would otherwise mean the socket
	}
	f, err := os.CreateTemp("", "cerberus-client-*.cnf") // mode 0600
	if err != nil {
		return nil, "", nil, err
	}
	cleanup := func() { _ = os.Remove(f.Name()) }
	if _, err := f.WriteString(b.String()); err != nil {
		_ = f.Close()
		cleanup()
		return nil, "", nil, err
	}
	if err := f.Close(); err != nil {
		cleanup()
		return nil, "", nil, err
	}
	return cfg, f.Name(), cleanup, nil
}

// quote writes an option value as the client tools read it: in double
// quotes, with backslashes, quotes and line breaks escaped.
func quote(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`).Replace(v) + `"`
}
