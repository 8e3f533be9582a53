package store

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Dialect names the database behind a DSN.
type Dialect string

// The supported databases.
const (
	MySQL  Dialect = "mysql"
	SQLite Dialect = "sqlite"
)

// DSN is a parsed database address. It decodes itself from the environment,
// so a bad value stops the service with the variable's name.
type DSN struct {
	Dialect Dialect
	// Driver is what the driver is opened with: a go-sql-driver DSN, or a
	// SQLite file path with its pragmas.
	Driver string
	// Path is the SQLite file.
	Path string
}

const dsnForms = "must be sqlite:<file path>, mysql://user:password@host:port/database or a go-sql-driver DSN user:password@tcp(host:port)/database"

// Decode implements envconfig.Decoder.
func (d *DSN) Decode(v string) error {
	parsed, err := ParseDSN(v)
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// ParseDSN reads the three accepted forms. Errors never repeat the value:
// it may hold a password.
func ParseDSN(v string) (DSN, error) {
	v = strings.TrimSpace(v)
	switch {
	case strings.HasPrefix(v, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(v, "sqlite:"), "//")
		if path == "" {
			return DSN{}, fmt.Errorf("%s", dsnForms)
		}
		// WAL lets readers run beside the one writer; busy_timeout queues
		// writers instead of failing them; SQLite leaves foreign keys off unless asked.
		pragmas := "_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		return DSN{Dialect: SQLite, Path: path, Driver: path + "?" + pragmas}, nil
	case strings.HasPrefix(v, "mysql://"):
		cfg, err := mysqlFromURL(v)
		if err != nil {
			return DSN{}, err
		}
		return DSN{Dialect: MySQL, Driver: withMySQLDefaults(cfg).FormatDSN()}, nil
	default:
		cfg, err := mysql.ParseDSN(v)
		if err != nil || v == "" {
			return DSN{}, fmt.Errorf("%s", dsnForms)
		}
		return DSN{Dialect: MySQL, Driver: withMySQLDefaults(cfg).FormatDSN()}, nil
	}
}

func mysqlFromURL(v string) (*mysql.Config, error) {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		return nil, fmt.Errorf("%s", dsnForms)
	}
	cfg := mysql.NewConfig()
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	if u.Port() == "" {
		cfg.Addr = u.Host + ":3306"
	}
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.DBName = strings.Trim(u.Path, "/")
	params := u.Query()
	if len(params) > 0 {
		cfg.Params = map[string]string{}
		for k := range params {
			cfg.Params[k] = params.Get(k)
		}
	}
	return cfg, nil
}

// withMySQLDefaults sets what cerberus relies on: times parsed as time.Time
// in UTC, and network timeouts so a dead database is reported in seconds
// rather than hanging requests.
func withMySQLDefaults(cfg *mysql.Config) *mysql.Config {
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	// Arguments interpolated client-side: one round trip a query instead of
	// prepare, execute and close (the values are escaped by the driver).
	cfg.InterpolateParams = true
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	return cfg
}
