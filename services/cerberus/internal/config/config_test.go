package config_test

import (
	"flag"
	"os"
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
		{"CERBERUS_TRUSTED_PROXIES", "ml_studio", false},
		{"CERBERUS_TRUSTED_PROXIES", "10.0.0.0/33", false},
		{"CERBERUS_TRUSTED_PROXIES", "172.30.80.128/25, 127.0.0.1", true},
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

// TestRegistrarSecret: on MySQL, a shared deployment, cerberus refuses to
// start without the registrar secret unless told to run open, and then
// warns; on the embedded SQLite a missing secret is only warned about.
func TestRegistrarSecret(t *testing.T) {
	const mysqlDSN = "mysql://blendata:hunter2@db:3306/auth"
	tests := []struct {
		name    string
		env     map[string]string
		refused bool
		warn    []string // what the start-up warning says; nil: no warning
	}{
		{name: "mysql without a secret", env: map[string]string{"CERBERUS_DATABASE_DSN": mysqlDSN}, refused: true},
		{name: "a go-sql-driver DSN without a secret", env: map[string]string{"CERBERUS_DATABASE_DSN": "blendata:hunter2@tcp(db:3306)/auth"}, refused: true},
		{name: "mysql with a secret", env: map[string]string{"CERBERUS_DATABASE_DSN": mysqlDSN, "CERBERUS_REGISTRAR_SECRET": "a-registrar-secret-0123"}},
		{name: "mysql, open registration allowed", env: map[string]string{"CERBERUS_DATABASE_DSN": mysqlDSN, "CERBERUS_ALLOW_OPEN_REGISTRATION": "true"},
			warn: []string{"UNSAFE", "CERBERUS_ALLOW_OPEN_REGISTRATION=true", "CERBERUS_REGISTRAR_SECRET", "existing MLflow experiments and models"}},
		{name: "open registration allowed but a secret set", env: map[string]string{"CERBERUS_DATABASE_DSN": mysqlDSN, "CERBERUS_ALLOW_OPEN_REGISTRATION": "true", "CERBERUS_REGISTRAR_SECRET": "a-registrar-secret-0123"}},
		{name: "embedded sqlite without a secret", env: map[string]string{"CERBERUS_DATABASE_DSN": "sqlite:" + t.TempDir() + "/auth.db"},
			warn: []string{"CERBERUS_REGISTRAR_SECRET is not set", "ML_STUDIO_REGISTRAR_SECRET"}},
		{name: "embedded sqlite with a secret", env: map[string]string{"CERBERUS_REGISTRAR_SECRET": "a-registrar-secret-0123"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"CERBERUS_REGISTRAR_SECRET", "CERBERUS_ALLOW_OPEN_REGISTRATION"} {
				t.Setenv(k, "") // restored after the test
				if err := os.Unsetenv(k); err != nil {
					t.Fatal(err)
				}
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := config.Load()
			if tt.refused {
				if err == nil {
					t.Fatal("accepted")
				}
				for _, want := range []string{"CERBERUS_REGISTRAR_SECRET", "ML_STUDIO_REGISTRAR_SECRET", "CERBERUS_ALLOW_OPEN_REGISTRATION=true"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("refusal %q does not name %s", err, want)
					}
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("refusal %q shows the DSN's password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			got := cfg.RegistrationWarning()
			if tt.warn == nil && got != "" {
				t.Fatalf("warning %q, want none", got)
			}
			for _, want := range tt.warn {
				if !strings.Contains(got, want) {
					t.Errorf("warning %q does not say %q", got, want)
				}
			}
		})
	}
}
