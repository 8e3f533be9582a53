package config_test

import (
	"flag"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/config"
)

var update = flag.Bool("update", false, "rewrite the configuration table in README.md")

// The README's table is generated from the struct tags; this fails when
// they drift apart (make docs rewrites it).
func TestREADMEDocumentsEveryVariable(t *testing.T) {
	table, err := config.Table()
	if err != nil {
		t.Fatal(err)
	}
	testenv.CheckDocSection(t, "README.md", "ml_studio", table, *update)
}

func TestDefaultsLoad(t *testing.T) {
	cfg, err := config.Load()
	if err != nil {
		t.Fatalf("defaults do not load: %v", err)
	}
	if cfg.Port != 5001 || cfg.CerberusURL != "http://127.0.0.1:5000" || cfg.MlflowURL != "http://127.0.0.1:5050" {
		t.Fatalf("defaults: %+v", cfg)
	}
}

// TestTrustedProxies: ML_STUDIO_TRUSTED_PROXIES decides whose
// X-Forwarded-For names the client cerberus throttles; a value that is no
// address or CIDR stops ml_studio rather than trusting no proxy.
func TestTrustedProxies(t *testing.T) {
	tests := []struct {
		value string
		want  []string // nil: refused
	}{
		{"", []string{}},
		{"172.30.80.128/25", []string{"172.30.80.128/25"}},
		{"172.30.80.128/25,", []string{"172.30.80.128/25"}}, // compose's "${NETWORK_CONTAINERS},${TRUSTED_PROXIES:-}"
		{"127.0.0.1, 10.0.0.0/8", []string{"127.0.0.1", "10.0.0.0/8"}},
		{"ui", nil},
		{"10.0.0.0/40", nil},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			t.Setenv("ML_STUDIO_TRUSTED_PROXIES", tt.value)
			cfg, err := config.Load()
			if tt.want == nil {
				if err == nil || !strings.Contains(err.Error(), "ML_STUDIO_TRUSTED_PROXIES") {
					t.Fatalf("error %v, want one naming ML_STUDIO_TRUSTED_PROXIES", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Proxies(); strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("proxies %q, want %q", got, tt.want)
			}
		})
	}
}
