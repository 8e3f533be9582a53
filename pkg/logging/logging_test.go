package logging_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"

	"github.com/ml-studio/ml-studio/pkg/config"
	"github.com/ml-studio/ml-studio/pkg/logging"
)

func TestLevelDecode(t *testing.T) {
	tests := []struct {
		in      string
		want    logging.Level
		wantErr bool
	}{
		{"debug", "debug", false},
		{"info", "info", false},
		{"warn", "warn", false},
		{"error", "error", false},
		{"INFO", "info", false},
		{" Warn\n", "warn", false},
		{"verbose", "", true},
		{"trace", "", true},
		{"warning!", "", true},
		{"dpanic", "", true},
		{"panic", "", true},
		{"fatal", "", true},
		{"FATAL", "", true},
		{"1", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var l logging.Level
			err := l.Decode(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Decode(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if l != tt.want {
				t.Errorf("Decode(%q) = %q, want %q", tt.in, l, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), "debug, info, warn, error") {
				t.Errorf("error %q does not list the accepted levels", err)
			}
		})
	}
}

func TestFormatDecode(t *testing.T) {
	tests := []struct {
		in      string
		want    logging.Format
		wantErr bool
	}{
		{"json", "json", false},
		{"console", "console", false},
		{" JSON ", "json", false},
		{"Console", "console", false},
		{"text", "", true},
		{"logfmt", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var f logging.Format
			err := f.Decode(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Decode(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if f != tt.want {
				t.Errorf("Decode(%q) = %q, want %q", tt.in, f, tt.want)
			}
		})
	}
}

// captureStderr runs fn with os.Stderr redirected to a file and returns
// what was written. The logger opens stderr when built, so fn builds it.
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	orig := os.Stderr
	os.Stderr = f
	defer func() { os.Stderr = orig }()
	fn()
	out, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestNewJSON(t *testing.T) {
	levels := []struct {
		level      logging.Level
		debugShown bool
		infoShown  bool
	}{
		{"debug", true, true},
		{"info", false, true},
		{"warn", false, false},
		{"error", false, false},
	}
	for _, tt := range levels {
		t.Run(string(tt.level), func(t *testing.T) {
			out := captureStderr(t, func() {
				log, err := logging.New(logging.Config{LogLevel: tt.level, LogFormat: "json"}, "cerberus")
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				log.Debug("debug line")
				log.Info("info line")
				log.Error("error line")
				_ = log.Sync()
			})
			var msgs []string
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				var entry map[string]any
				if err := json.Unmarshal([]byte(line), &entry); err != nil {
					t.Fatalf("line %q is not JSON: %v", line, err)
				}
				if entry["service"] != "cerberus" {
					t.Errorf("service = %v, want cerberus", entry["service"])
				}
				if ts, _ := entry["time"].(string); !strings.Contains(ts, "T") {
					t.Errorf("time = %v, want an ISO 8601 time", entry["time"])
				}
				msgs = append(msgs, entry["msg"].(string))
			}
			want := []string{}
			if tt.debugShown {
				want = append(want, "debug line")
			}
			if tt.infoShown {
				want = append(want, "info line")
			}
			want = append(want, "error line")
			if strings.Join(msgs, ",") != strings.Join(want, ",") {
				t.Errorf("logged %q, want %q", msgs, want)
			}
		})
	}
}

func TestNewConsole(t *testing.T) {
	out := captureStderr(t, func() {
		log, err := logging.New(logging.Config{LogLevel: "info", LogFormat: "console"}, "ml_studio")
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		log.Debug("hidden line")
		log.Info("shown line")
		_ = log.Sync()
	})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("logged %d lines, want 1:\n%s", len(lines), out)
	}
	line := lines[0]
	if json.Valid([]byte(line)) {
		t.Errorf("console line %q is JSON", line)
	}
	for _, want := range []string{"INFO", "shown line", `"service": "ml_studio"`} {
		if !strings.Contains(line, want) {
			t.Errorf("console line %q lacks %q", line, want)
		}
	}
}

func TestNewDefaultsToInfo(t *testing.T) {
	// A Config not decoded through Level (the zero value) still builds.
	log, err := logging.New(logging.Config{}, "svc")
	if err != nil {
		t.Fatal(err)
	}
	if log.Core().Enabled(zapcore.DebugLevel) || !log.Core().Enabled(zapcore.InfoLevel) {
		t.Error("zero Config: want info level")
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	tests := []struct {
		name      string
		level     string
		format    string
		wantKey   string // the variable the error names; "" for success
		wantLevel zapcore.Level
	}{
		{"defaults", "", "", "", zapcore.InfoLevel},
		{"debug console", "debug", "console", "", zapcore.DebugLevel},
		{"bad level", "loud", "", "TEST_LOG_LEVEL", 0},
		{"bad format", "", "xml", "TEST_LOG_FORMAT", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range map[string]string{"TEST_LOG_LEVEL": tt.level, "TEST_LOG_FORMAT": tt.format} {
				t.Setenv(k, v)
				if v == "" {
					if err := os.Unsetenv(k); err != nil {
						t.Fatal(err)
					}
				}
			}
			var cfg logging.Config
			err := config.Load("TEST", &cfg)
			if tt.wantKey != "" {
				var cerr *config.Error
				if !errors.As(err, &cerr) || cerr.Key != tt.wantKey {
					t.Fatalf("Load = %v, want a *config.Error naming %s", err, tt.wantKey)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			log, err := logging.New(cfg, "svc")
			if err != nil {
				t.Fatal(err)
			}
			if !log.Core().Enabled(tt.wantLevel) || log.Core().Enabled(tt.wantLevel-1) {
				t.Errorf("logger level is not %s", tt.wantLevel)
			}
		})
	}
}
