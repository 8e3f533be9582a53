// Package testenv finds the real servers integration tests run against.
//
// Each server is looked up in this order: an environment variable (what
// `make test` exports after starting local servers), then a container
// started with testcontainers-go when a Docker API answers (Docker, or
// podman's, which `make test-testcontainers` starts; see containers.go for
// the images). When neither is there, the test fails under CI and is
// skipped elsewhere: under CI an integration test never silently skips.
// Each call logs which path the test got. A package whose tests may start
// containers removes them in TestMain with Main.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// The variables `make test` exports (deploy/local/stack.sh env prints them).
const (
	EnvMySQLDSN    = "ML_STUDIO_TEST_MYSQL_DSN"
	EnvPostgresDSN = "ML_STUDIO_TEST_POSTGRES_DSN"
	EnvMLflowURL   = "ML_STUDIO_TEST_MLFLOW_URL"
)

// unavailable fails under CI and skips elsewhere.
func unavailable(t testing.TB, what, env string, cause error) {
	t.Helper()
	msg := fmt.Sprintf("%s is not available: set %s (make test starts local servers and sets it) or run a Docker engine", what, env)
	if cause != nil {
		msg += ": " + cause.Error()
	}
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// MySQLDSN is a go-sql-driver DSN of a MySQL-compatible server whose user
// may create databases named test_*. The test's log says where it came from.
func MySQLDSN(t testing.TB) string {
	t.Helper()
	if dsn := os.Getenv(EnvMySQLDSN); dsn != "" {
		t.Logf("testenv: MySQL from %s (a server started outside the test)", EnvMySQLDSN)
		return dsn
	}
	srv, err := containers.mysql()
	if err != nil {
		unavailable(t, "MySQL", EnvMySQLDSN, err)
	}
	t.Logf("testenv: MySQL from %s", srv.origin)
	return srv.addr
}

// PostgresDSN is a postgres:// URL of the database MLflow stores its data in.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	if dsn := os.Getenv(EnvPostgresDSN); dsn != "" {
		t.Logf("testenv: PostgreSQL from %s (a server started outside the test)", EnvPostgresDSN)
		return dsn
	}
	env, err := containers.mlflowOnPostgres()
	if err != nil {
		unavailable(t, "PostgreSQL", EnvPostgresDSN, err)
	}
	t.Logf("testenv: PostgreSQL from %s", env.postgres.origin)
	return env.postgres.addr
}

// MLflowURL is the base URL of a real MLflow server backed by PostgresDSN.
func MLflowURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvMLflowURL); u != "" {
		t.Logf("testenv: MLflow from %s (a server started outside the test)", EnvMLflowURL)
		return u
	}
	env, err := containers.mlflowOnPostgres()
	if err != nil {
		unavailable(t, "MLflow", EnvMLflowURL, err)
	}
	t.Logf("testenv: MLflow from %s", env.mlflow.origin)
	return env.mlflow.addr
}

// NewMySQLDatabase creates an empty database of its own for the test on the
// MySQL server and drops it when the test ends. It returns its DSN.
func NewMySQLDatabase(t testing.TB) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(MySQLDSN(t))
	if err != nil {
		t.Fatalf("parse %s: %v", EnvMySQLDSN, err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("open MySQL: %v", err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	name := "test_" + RandomSuffix()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// OpenPostgres opens the PostgreSQL database behind MLflow.
func OpenPostgres(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", PostgresDSN(t))
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// RandomSuffix is 12 random hex characters for names that must not collide
// between tests or runs.
func RandomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago, for
// starting a whole service whose configuration takes a port number.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}

// WaitFor polls cond every 50 ms until it returns nil or timeout passes, and
// then fails the test with cond's last error.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// EnvMLflowPython names the Python interpreter that has the pinned MLflow.
const EnvMLflowPython = "ML_STUDIO_TEST_MLFLOW_PYTHON"

// MLflowPython is the interpreter of the pinned MLflow: the variable, else
// the project virtualenv that make test installs (.venv/mlflow).
func MLflowPython(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvMLflowPython); p != "" {
		return p
	}
	root, err := repoRoot()
	if err == nil {
		p := filepath.Join(root, ".venv", "mlflow", "bin", "python")
		if _, err = os.Stat(p); err == nil {
			return p
		}
	}
	unavailable(t, "the pinned MLflow's Python", EnvMLflowPython, err)
	return ""
}

// Get returns the status and body of GET url.
func Get(url string) (int, string, error) {
	resp, err := http.Get(url) //nolint:noctx // test helper with the default client's timeouts
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// Expect is a WaitFor condition: GET url answers status with a body
// containing body.
func Expect(url string, status int, body string) func() error {
	return func() error {
		code, got, err := Get(url)
		if err != nil {
			return err
		}
		if code != status || !strings.Contains(got, body) {
			return fmt.Errorf("GET %s = %d %q, want %d containing %q", url, code, got, status, body)
		}
		return nil
	}
}
