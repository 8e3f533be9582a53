package main

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/ml-studio/ml-studio/pkg/testenv"
)

func TestInvalidSettingStopsWithTheVariableNamed(t *testing.T) {
	tests := []struct {
		key, value, want string
	}{
		{"CERBERUS_PORT", "abc", "CERBERUS_PORT"},
		{"CERBERUS_PORT", "70000", "CERBERUS_PORT"},
		{"CERBERUS_READ_TIMEOUT", "soon", "CERBERUS_READ_TIMEOUT"},
		{"CERBERUS_LOG_LEVEL", "loud", "CERBERUS_LOG_LEVEL"},
		{"CERBERUS_DATABASE_DSN", "postgres://x:hunter2@h/db", "CERBERUS_DATABASE_DSN"},
		// MySQL is a shared deployment: no start without the registrar secret.
		{"CERBERUS_DATABASE_DSN", "mysql://x:hunter2@h:3306/auth", "CERBERUS_REGISTRAR_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			t.Setenv(tt.key, tt.value)
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), nil, &stdout, &stderr)
			if code == 0 {
				t.Fatal("exit code 0 for an invalid setting")
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("message %q does not name %s", stderr.String(), tt.want)
			}
			if strings.Contains(stderr.String(), "hunter2") {
				t.Fatalf("message leaks a password: %q", stderr.String())
			}
		})
	}
}

// TestDatabaseOutageAndRecovery runs cerberus on MariaDB behind a proxy the
// test cuts: / and /readyz answer 503 while the database is gone and recover
// by themselves when it is back.
func TestDatabaseOutageAndRecovery(t *testing.T) {
	cfg, err := mysql.ParseDSN(testenv.NewMySQLDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.NewProxy(t, cfg.Addr)
	cfg.Addr = proxy.Addr()
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 2*time.Second, 2*time.Second, 2*time.Second

	port := testenv.FreePort(t)
	t.Setenv("CERBERUS_DATABASE_DSN", cfg.FormatDSN())
	t.Setenv("CERBERUS_REGISTRAR_SECRET", testRegistrar)
	t.Setenv("CERBERUS_PORT", strconv.Itoa(port))
	t.Setenv("CERBERUS_LOG_LEVEL", "warn")
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() { exit <- run(ctx, nil, io.Discard, io.Discard) }()
	defer func() {
		cancel()
		if code := <-exit; code != 0 {
			t.Errorf("exit code %d after shutdown, want 0", code)
		}
	}()

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	want := "Connected to database: " + cfg.DBName
	testenv.WaitFor(t, 30*time.Second, "cerberus up", testenv.Expect(base+"/", 200, want))
	if code, body, _ := testenv.Get(base + "/"); body != want {
		t.Fatalf("GET / = %d %q, want exactly %q", code, body, want)
	}
	testenv.WaitFor(t, 5*time.Second, "ready", testenv.Expect(base+"/readyz", 200, `"database":"ok"`))

	proxy.Cut()
	testenv.WaitFor(t, 10*time.Second, "/ reports the outage", testenv.Expect(base+"/", 503, `{"error":"cannot reach the database"}`))
	testenv.WaitFor(t, 10*time.Second, "/readyz reports the outage", testenv.Expect(base+"/readyz", 503, `"error"`))
	testenv.WaitFor(t, 10*time.Second, "/healthz stays up", testenv.Expect(base+"/healthz", 200, "ok"))

	proxy.Restore()
	testenv.WaitFor(t, 15*time.Second, "/ recovers", testenv.Expect(base+"/", 200, want))
	testenv.WaitFor(t, 15*time.Second, "/readyz recovers", testenv.Expect(base+"/readyz", 200, `"status":"ready"`))
}

// TestEmbeddedDefault runs cerberus on the embedded SQLite file as make run does.
func TestEmbeddedDefault(t *testing.T) {
	port := testenv.FreePort(t)
	t.Setenv("CERBERUS_DATABASE_DSN", "sqlite:"+t.TempDir()+"/auth.db")
	t.Setenv("CERBERUS_PORT", strconv.Itoa(port))
	t.Setenv("CERBERUS_LOG_LEVEL", "warn")
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() { exit <- run(ctx, nil, io.Discard, io.Discard) }()

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	testenv.WaitFor(t, 10*time.Second, "cerberus up", testenv.Expect(base+"/", 200, "Connected to database: auth"))
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if code, _, err := testenv.Get(base + path); err != nil || code != 200 {
			t.Errorf("GET %s = %d, %v", path, code, err)
		}
	}
	cancel()
	if code := <-exit; code != 0 {
		t.Fatalf("exit code %d after shutdown, want 0", code)
	}
}

// TestWaitsForTheDatabase starts cerberus while MariaDB is unreachable: it
// waits (CERBERUS_DATABASE_WAIT) instead of exiting, and serves once the
// database answers.
func TestWaitsForTheDatabase(t *testing.T) {
	cfg, err := mysql.ParseDSN(testenv.NewMySQLDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.NewProxy(t, cfg.Addr)
	proxy.Cut()
	cfg.Addr = proxy.Addr()
	port := testenv.FreePort(t)
	t.Setenv("CERBERUS_DATABASE_DSN", cfg.FormatDSN())
	t.Setenv("CERBERUS_DATABASE_WAIT", "60s")
	t.Setenv("CERBERUS_REGISTRAR_SECRET", testRegistrar)
	t.Setenv("CERBERUS_PORT", strconv.Itoa(port))
	t.Setenv("CERBERUS_LOG_LEVEL", "error")
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() { exit <- run(ctx, nil, io.Discard, io.Discard) }()
	defer func() {
		cancel()
		if code := <-exit; code != 0 {
			t.Errorf("exit code %d after shutdown, want 0", code)
		}
	}()
	select {
	case code := <-exit:
		t.Fatalf("cerberus exited (%d) instead of waiting for its database", code)
	case <-time.After(1500 * time.Millisecond):
	}
	proxy.Restore()
	testenv.WaitFor(t, 30*time.Second, "cerberus up once the database answers",
		testenv.Expect("http://127.0.0.1:"+strconv.Itoa(port)+"/", 200, "Connected to database: "+cfg.DBName))
}
