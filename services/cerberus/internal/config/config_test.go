package config_test

import (
	"flag"
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
