// Package config is cerberus's settings, read from CERBERUS_* variables.
package config

import (
	"time"

	pkgconfig "github.com/ml-studio/ml-studio/pkg/config"
	"github.com/ml-studio/ml-studio/pkg/logging"
	"github.com/ml-studio/ml-studio/pkg/server"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// Prefix starts every variable's name.
const Prefix = "CERBERUS"

// Aliases give the embedded shared settings distinct field names.
type (
	ServerConfig  = server.Config
	LoggingConfig = logging.Config
)

// Config is every setting cerberus reads.
type Config struct {
	Port         pkgconfig.Port `default:"5000" desc:"TCP port to listen on"`
	DatabaseDSN  store.DSN      `split_words:"true" default:"sqlite:auth.db" desc:"database: sqlite:PATH (embedded; the file's base name is the database name) or mysql://user:password@host:3306/auth"`
	DatabaseWait time.Duration  `split_words:"true" default:"60s" desc:"at start, how long to wait for the database before giving up"`
	ServerConfig
	LoggingConfig
}

// Load reads and validates the settings.
func Load() (Config, error) {
	var c Config
	err := pkgconfig.Load(Prefix, &c)
	return c, err
}

// Table documents every variable.
func Table() (string, error) {
	return pkgconfig.Table(Prefix, &Config{})
}
