package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/pkg/testenv"
)

func TestInvalidSettingStopsWithTheVariableNamed(t *testing.T) {
	tests := []struct{ key, value string }{
		{"ML_STUDIO_PORT", "five"},
		{"ML_STUDIO_CERBERUS_URL", "ftp://cerberus"},
		{"ML_STUDIO_MLFLOW_URL", "not a url"},
		{"ML_STUDIO_UPSTREAM_RETRIES", "-1"},
		{"ML_STUDIO_UPSTREAM_TIMEOUT", "0s"},
		{"ML_STUDIO_UPSTREAM_IDLE_TIMEOUT", "0s"},
		{"ML_STUDIO_LOG_FORMAT", "xml"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			t.Setenv(tt.key, tt.value)
			var stdout, stderr bytes.Buffer
			if code := run(t.Context(), nil, &stdout, &stderr); code == 0 {
				t.Fatal("exit code 0 for an invalid setting")
			}
			if !strings.Contains(stderr.String(), tt.key) {
				t.Fatalf("message %q does not name %s", stderr.String(), tt.key)
			}
		})
	}
}

// cerberusProcess is the real cerberus binary, on a MariaDB database.
type cerberusProcess struct {
	bin, dsn string
	port     int
	cmd      *exec.Cmd
	stderr   bytes.Buffer
}

func (c *cerberusProcess) start(t *testing.T) {
	t.Helper()
	c.stderr.Reset()
	c.cmd = exec.Command(c.bin)
	c.cmd.Env = append(os.Environ(),
		"CERBERUS_DATABASE_DSN="+c.dsn,
		"CERBERUS_PORT="+strconv.Itoa(c.port),
		"CERBERUS_LOG_LEVEL=warn",
		"CERBERUS_REGISTRAR_SECRET=main-test-registrar-secret", // required on MySQL
	)
	c.cmd.Stderr = &c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start cerberus: %v", err)
	}
	t.Cleanup(func() { _ = c.cmd.Process.Kill() })
}

// stop sends SIGTERM and requires a clean exit.
func (c *cerberusProcess) stop(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) || err != nil {
			t.Fatalf("cerberus exited with %v after SIGTERM; stderr:\n%s", err, c.stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("cerberus did not exit within 20 s of SIGTERM")
	}
}

// TestStack runs the real cerberus binary on MariaDB and ml_studio in front
// of it and the real MLflow: ml_studio is ready only while both answer.
func TestStack(t *testing.T) {
	mlflowURL := testenv.MLflowURL(t)
	cerb := &cerberusProcess{
		bin:  filepath.Join(t.TempDir(), "cerberus"),
		dsn:  testenv.NewMySQLDatabase(t),
		port: testenv.FreePort(t),
	}
	build := exec.Command("go", "build", "-o", cerb.bin, "github.com/ml-studio/ml-studio/services/cerberus/cmd/cerberus")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build cerberus: %v\n%s", err, out)
	}
	cerb.start(t)
	cerberusURL := "http://127.0.0.1:" + strconv.Itoa(cerb.port)
	testenv.WaitFor(t, 30*time.Second, "cerberus up", testenv.Expect(cerberusURL+"/", 200, "Connected to database: test_"))

	port := testenv.FreePort(t)
	t.Setenv("ML_STUDIO_PORT", strconv.Itoa(port))
	t.Setenv("ML_STUDIO_CERBERUS_URL", cerberusURL)
	t.Setenv("ML_STUDIO_MLFLOW_URL", mlflowURL)
	t.Setenv("ML_STUDIO_UPSTREAM_RETRIES", "0")
	t.Setenv("ML_STUDIO_LOG_LEVEL", "warn")
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() { exit <- run(ctx, nil, io.Discard, io.Discard) }()
	defer func() {
		cancel()
		if code := <-exit; code != 0 {
			t.Errorf("ml_studio exit code %d after shutdown, want 0", code)
		}
	}()

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	const welcome = `{"message":"Welcome to ML Studio","service":"ml_studio","status":"Online"}`
	testenv.WaitFor(t, 10*time.Second, "ml_studio up", testenv.Expect(base+"/", 200, welcome))
	testenv.WaitFor(t, 10*time.Second, "ml_studio ready", testenv.Expect(base+"/readyz", 200, `"cerberus":"ok","mlflow":"ok"`))
	for _, path := range []string{"/healthz", "/metrics"} {
		if code, _, err := testenv.Get(base + path); err != nil || code != 200 {
			t.Errorf("GET %s = %d, %v", path, code, err)
		}
	}

	cerb.stop(t)
	testenv.WaitFor(t, 10*time.Second, "not ready without cerberus", testenv.Expect(base+"/readyz", 503, "cerberus"))
	testenv.WaitFor(t, 5*time.Second, "still alive", testenv.Expect(base+"/healthz", 200, "ok"))

	cerb.start(t)
	testenv.WaitFor(t, 30*time.Second, "ready again", testenv.Expect(base+"/readyz", 200, `"status":"ready"`))
}
