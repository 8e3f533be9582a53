package config_test

import (
	"flag"
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
