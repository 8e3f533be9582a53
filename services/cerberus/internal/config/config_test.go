package config_test

import (
	"flag"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/config"
)

var update = flag.Bool("update", false, "rewrite the configuration table in README.md")

// The README's table is generated from the struct tags; this fails when
// they drift apart (make docs rewrites it).
func TestREADMEDocumentsEveryVariable(t *testing.T) {
	table, err := config.Table()
	if err != nil {
		t.Fatal(err)
	}
	testenv.CheckDocSection(t, "README.md", "cerberus", table, *update)
}

func TestDefaultsLoad(t *testing.T) {
	cfg, err := config.Load()
	if err != nil {
		t.Fatalf("defaults do not load: %v", err)
	}
	if cfg.Port != 5000 || cfg.DatabaseDSN.Dialect != "sqlite" {
		t.Fatalf("defaults: port %d, dialect %q; want 5000 and the embedded sqlite", cfg.Port, cfg.DatabaseDSN.Dialect)
	}
}

// TestRejectsBadSettings: each bad value fails Load naming its variable.
func TestRejectsBadSettings(t *testing.T) {
	tests := []struct {
		key, value string
		ok         bool
	}{
		{"CERBERUS_AUDIT_RETENTION", "1h", false},
		{"CERBERUS_AUDIT_RETENTION", "-24h", false},
		{"CERBERUS_AUDIT_RETENTION", "2160h", true},
		{"CERBERUS_AUDIT_RETENTION", "0s", true},
		{"CERBERUS_CACHE_SYNC", "-1s", false},
		{"CERBERUS_CACHE_SYNC", "2m", false},
		{"CERBERUS_CACHE_SYNC", "0s", true},
		{"CERBERUS_PASSWORD_MIN_LENGTH", "6", false},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			t.Setenv(tt.key, tt.value)
			_, err := config.Load()
			switch {
			case tt.ok && err != nil:
				t.Fatalf("refused: %v", err)
			case !tt.ok && err == nil:
				t.Fatal("accepted")
			case !tt.ok && !strings.Contains(err.Error(), tt.key):
				t.Fatalf("error %q does not name %s", err, tt.key)
			}
		})
	}
}
