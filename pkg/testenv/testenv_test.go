package testenv

import (
	"fmt"
	"strings"
	"testing"
)

// logRecorder keeps what a helper logs to its test.
type logRecorder struct {
	testing.TB
	lines []string
}

func (r *logRecorder) Helper() {}
func (r *logRecorder) Logf(format string, args ...any) {
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

// A server taken from the environment is returned as given, and the test's
// log names the variable it came from (the testcontainers path names its
// image and container instead: make test-testcontainers checks those).
func TestEnvironmentPathIsLogged(t *testing.T) {
	for _, tt := range []struct {
		env, value string
		get        func(testing.TB) string
	}{
		{EnvMySQLDSN, "root:pw@tcp(127.0.0.1:3306)/?parseTime=true", MySQLDSN},
		{EnvPostgresDSN, "postgres://u:p@127.0.0.1:5432/mlflow", PostgresDSN},
		{EnvMLflowURL, "http://127.0.0.1:5050", MLflowURL},
	} {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv(tt.env, tt.value)
			rec := &logRecorder{TB: t}
			if got := tt.get(rec); got != tt.value {
				t.Errorf("got %q, want %q", got, tt.value)
			}
			if len(rec.lines) != 1 || !strings.Contains(rec.lines[0], "from "+tt.env) || strings.Contains(rec.lines[0], "pw") {
				t.Errorf("log %q, want one line naming %s (and no secret)", rec.lines, tt.env)
			}
		})
	}
}

func TestLabelsCarryTheRun(t *testing.T) {
	t.Setenv(EnvRun, "")
	if l := labels(); l["io.ml-studio.owner"] != "testenv" || len(l) != 1 {
		t.Errorf("labels without a run: %v", l)
	}
	t.Setenv(EnvRun, "tc-1")
	if l := labels(); l["io.ml-studio.run"] != "tc-1" || l["io.ml-studio.owner"] != "testenv" {
		t.Errorf("labels of run tc-1: %v", l)
	}
}

// With nothing started, Main passes the tests' exit code through.
func TestMainPassesTheCodeThrough(t *testing.T) {
	for _, code := range []int{0, 1, 3} {
		if got := Main(runner(code)); got != code {
			t.Errorf("Main of a run exiting %d = %d", code, got)
		}
	}
}

type runner int

func (r runner) Run() int { return int(r) }
