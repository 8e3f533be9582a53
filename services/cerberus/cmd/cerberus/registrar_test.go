package main

import (
	"os"
	"strings"
	"testing"
)

// testRegistrar is the registrar secret of the tests that run cerberus on
// MySQL, where it must have one.
const testRegistrar = "test-registrar-secret-0123456789"

// TestRegistrarSecretAtStart: what cerberus logs at start about the
// registrar secret. Without one it serves on the embedded SQLite with a
// warning, and on MySQL only when open registration is allowed, with a
// louder one (the refusal otherwise is in TestInvalidSettingStopsWithTheVariableNamed).
func TestRegistrarSecretAtStart(t *testing.T) {
	tests := []struct {
		name, backend string
		secret        string // "" starts without one
		open          bool   // CERBERUS_ALLOW_OPEN_REGISTRATION=true
		warn          string // in the log; "" wants no warning about it
	}{
		{"sqlite without a secret", "sqlite", "", false, "CERBERUS_REGISTRAR_SECRET is not set"},
		{"sqlite with a secret", "sqlite", testRegistrar, false, ""},
		{"mysql, open registration allowed", "mysql", "", true, "UNSAFE: CERBERUS_ALLOW_OPEN_REGISTRATION=true and no CERBERUS_REGISTRAR_SECRET"},
		{"mysql with a secret", "mysql", testRegistrar, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CERBERUS_REGISTRAR_SECRET", tt.secret)
			t.Setenv("CERBERUS_ALLOW_OPEN_REGISTRATION", "true")
			if !tt.open {
				if err := os.Unsetenv("CERBERUS_ALLOW_OPEN_REGISTRATION"); err != nil {
					t.Fatal(err)
				}
			}
			var dsn string
			for _, b := range backends {
				if b.name == tt.backend {
					dsn = b.dsn(t)
				}
			}
			in := start(t, dsn, "admin-password-registrar-test")
			_, logs := in.stop(t)
			switch {
			case tt.warn == "" && strings.Contains(logs, "REGISTRAR_SECRET"):
				t.Errorf("warned about the registrar secret although it is set:\n%s", logs)
			case tt.warn != "" && !strings.Contains(logs, tt.warn):
				t.Errorf("the log lacks %q:\n%s", tt.warn, logs)
			}
			if strings.Contains(logs, testRegistrar) {
				t.Errorf("the log shows the registrar secret:\n%s", logs)
			}
		})
	}
}
