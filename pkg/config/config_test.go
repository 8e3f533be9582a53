package config_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/pkg/config"
)

const prefix = "TEST"

// Shared is embedded, as services embed the pkg-level settings.
type Shared struct {
	ReadTimeout time.Duration `split_words:"true" default:"10s" desc:"time to read a request"`
}

type spec struct {
	Shared
	Port     config.Port    `default:"8080" desc:"port to listen on"`
	Timeout  time.Duration  `default:"5s" desc:"upstream timeout"`
	Debug    bool           `default:"false" desc:"verbose logging"`
	Upstream config.HTTPURL `default:"http://localhost:9000" desc:"upstream base URL"`
	Retries  int            `default:"2" desc:"retries per call"`
	Ratio    float64        `default:"0.5" desc:"sampling ratio"`
	Name     string         `required:"true" desc:"service name"`
}

// keys are the variables spec reads, with their default and description.
var keys = []struct{ key, def, desc string }{
	{"TEST_READ_TIMEOUT", "10s", "time to read a request"},
	{"TEST_PORT", "8080", "port to listen on"},
	{"TEST_TIMEOUT", "5s", "upstream timeout"},
	{"TEST_DEBUG", "false", "verbose logging"},
	{"TEST_UPSTREAM", "http://localhost:9000", "upstream base URL"},
	{"TEST_RETRIES", "2", "retries per call"},
	{"TEST_RATIO", "0.5", "sampling ratio"},
	{"TEST_NAME", "", "service name"},
}

// clearEnv unsets every variable of spec for the test, whatever the
// environment running the tests holds, and restores them afterwards.
func clearEnv(t *testing.T, names ...string) {
	t.Helper()
	for _, k := range keys {
		names = append(names, k.key)
	}
	for _, name := range names {
		t.Setenv(name, "") // registers the restore
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadDefaults(t *testing.T) {
	clearEnv(t)
	t.Setenv("TEST_NAME", "svc")

	var got spec
	if err := config.Load(prefix, &got); err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := spec{
		Shared:   Shared{ReadTimeout: 10 * time.Second},
		Port:     8080,
		Timeout:  5 * time.Second,
		Upstream: "http://localhost:9000",
		Retries:  2,
		Ratio:    0.5,
		Name:     "svc",
	}
	if got != want {
		t.Errorf("Load = %+v, want %+v", got, want)
	}
}

func TestLoadValidValues(t *testing.T) {
	clearEnv(t)
	env := map[string]string{
		"TEST_READ_TIMEOUT": "1m30s",
		"TEST_PORT":         " 65535 ",
		"TEST_TIMEOUT":      "250ms",
		"TEST_DEBUG":        "true",
		"TEST_UPSTREAM":     "https://api.example.com/v1/",
		"TEST_RETRIES":      "7",
		"TEST_RATIO":        "0.25",
		"TEST_NAME":         "cerberus",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}

	var got spec
	if err := config.Load(prefix, &got); err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := spec{
		Shared:   Shared{ReadTimeout: 90 * time.Second},
		Port:     65535,
		Timeout:  250 * time.Millisecond,
		Debug:    true,
		Upstream: "https://api.example.com/v1", // trailing slash dropped
		Retries:  7,
		Ratio:    0.25,
		Name:     "cerberus",
	}
	if got != want {
		t.Errorf("Load = %+v, want %+v", got, want)
	}
}

func TestLoadInvalidValues(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		value  string
		accept string // what the message must say the variable accepts
	}{
		{"non-numeric port", "TEST_PORT", "http", "from 1 to 65535"},
		{"port zero", "TEST_PORT", "0", "from 1 to 65535"},
		{"port above 65535", "TEST_PORT", "70000", "from 1 to 65535"},
		{"negative port", "TEST_PORT", "-1", "from 1 to 65535"},
		{"bad duration", "TEST_TIMEOUT", "5 seconds", "must be a duration"},
		{"duration without unit", "TEST_READ_TIMEOUT", "30", "must be a duration"},
		{"bad bool", "TEST_DEBUG", "yes please", "must be true or false"},
		{"ftp url", "TEST_UPSTREAM", "ftp://files.example.com", "http:// or https://"},
		{"url without scheme", "TEST_UPSTREAM", "localhost:9000", "http:// or https://"},
		{"url without host", "TEST_UPSTREAM", "http://", "http:// or https://"},
		{"bad integer", "TEST_RETRIES", "two", "must be a whole number"},
		{"bad float", "TEST_RATIO", "half", "must be a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv("TEST_NAME", "svc")
			t.Setenv(tt.key, tt.value)

			err := config.Load(prefix, &spec{})
			var cerr *config.Error
			if !errors.As(err, &cerr) {
				t.Fatalf("Load error = %v (%T), want *config.Error", err, err)
			}
			if cerr.Key != tt.key || cerr.Value != tt.value {
				t.Errorf("Error{Key: %q, Value: %q}, want {Key: %q, Value: %q}", cerr.Key, cerr.Value, tt.key, tt.value)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.key) {
				t.Errorf("message %q does not name %s", msg, tt.key)
			}
			if !strings.Contains(msg, tt.accept) {
				t.Errorf("message %q does not say %q", msg, tt.accept)
			}
			// A variable that is not a credential is quoted, to show what was wrong.
			if !strings.Contains(msg, tt.value) {
				t.Errorf("message %q does not show the value %q", msg, tt.value)
			}
		})
	}
}

func TestLoadRequiredMissing(t *testing.T) {
	clearEnv(t)
	err := config.Load(prefix, &spec{})
	if err == nil {
		t.Fatal("Load succeeded without the required TEST_NAME")
	}
	if !strings.Contains(err.Error(), "TEST_NAME") {
		t.Errorf("message %q does not name TEST_NAME", err)
	}
}

type ranged struct {
	Min int `default:"1"`
	Max int `default:"10"`
}

var errRange = errors.New("TEST_MIN must not exceed TEST_MAX")

func (r *ranged) Validate() error {
	if r.Min > r.Max {
		return errRange
	}
	return nil
}

func TestLoadValidator(t *testing.T) {
	tests := []struct {
		name    string
		min     string
		wantErr error
	}{
		{"valid", "5", nil},
		{"invalid", "11", errRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TEST_MAX", "")
			if err := os.Unsetenv("TEST_MAX"); err != nil {
				t.Fatal(err)
			}
			t.Setenv("TEST_MIN", tt.min)
			var r ranged
			if err := config.Load(prefix, &r); !errors.Is(err, tt.wantErr) {
				t.Errorf("Load error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// secrets holds variables whose names say they may hold a credential, one of
// each type whose parse error could otherwise quote the value.
type secrets struct {
	DatabaseDSN    config.HTTPURL    `envconfig:"DATABASE_DSN"`
	AdminPassword  int               `envconfig:"ADMIN_PASSWORD"`
	ClientSecret   bool              `envconfig:"CLIENT_SECRET"`
	TokenTTL       time.Duration     `envconfig:"TOKEN_TTL"`
	SigningKeys    map[string]string `envconfig:"SIGNING_KEYS"`
	AccessKeyPort  config.Port       `envconfig:"ACCESS_KEY_PORT"`
	SessionSecrets []int             `envconfig:"SESSION_SECRETS"`
}

func TestErrorNeverRepeatsSecretValues(t *testing.T) {
	const credential = "hunter2-Sup3r'secret\"value"
	tests := []struct{ key, value string }{
		{"TEST_DATABASE_DSN", "postgres://admin:" + credential + "@db:5432/app"},
		{"TEST_ADMIN_PASSWORD", credential},
		{"TEST_CLIENT_SECRET", credential},
		{"TEST_TOKEN_TTL", credential},
		{"TEST_SIGNING_KEYS", credential},
		{"TEST_ACCESS_KEY_PORT", credential},
		{"TEST_SESSION_SECRETS", credential},
	}
	var names []string
	for _, tt := range tests {
		names = append(names, tt.key)
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			clearEnv(t, names...)
			t.Setenv(tt.key, tt.value)

			err := config.Load(prefix, &secrets{})
			var cerr *config.Error
			if !errors.As(err, &cerr) {
				t.Fatalf("Load error = %v (%T), want *config.Error", err, err)
			}
			if cerr.Key != tt.key {
				t.Errorf("Key = %q, want %q", cerr.Key, tt.key)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.key) {
				t.Errorf("message %q does not name %s", msg, tt.key)
			}
			for _, part := range []string{"hunter2", "Sup3r", "secret\\\"value", "admin:"} {
				if strings.Contains(msg, part) {
					t.Errorf("message %q repeats part of the value (%q)", msg, part)
				}
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		err  config.Error
		want string
	}{
		{config.Error{Key: "TEST_PORT", Value: "abc", Reason: "must be a port"}, `invalid TEST_PORT="abc": must be a port`},
		{config.Error{Key: "TEST_PORT", Reason: "must be set"}, `invalid TEST_PORT: must be set`},
		{config.Error{Key: "TEST_DB_DSN", Value: "pg://u:p@h", Reason: "bad"}, `invalid TEST_DB_DSN: bad`},
		{config.Error{Key: "TEST_API_KEY", Value: "k", Reason: "bad"}, `invalid TEST_API_KEY: bad`},
		{config.Error{Key: "TEST_TOKEN", Value: "t", Reason: "bad"}, `invalid TEST_TOKEN: bad`},
		{config.Error{Key: "TEST_ADMIN_PASSWORD", Value: "p", Reason: "bad"}, `invalid TEST_ADMIN_PASSWORD: bad`},
		{config.Error{Key: "TEST_JWT_SECRET", Value: "s", Reason: "bad"}, `invalid TEST_JWT_SECRET: bad`},
	}
	for _, tt := range tests {
		t.Run(tt.err.Key, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTable(t *testing.T) {
	table, err := config.Table(prefix, &spec{})
	if err != nil {
		t.Fatalf("Table: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	if len(lines) != 2+len(keys) {
		t.Fatalf("table has %d lines, want a header, a separator and %d rows:\n%s", len(lines), len(keys), table)
	}
	if lines[0] != "| Variable | Default | Description |" || lines[1] != "|---|---|---|" {
		t.Errorf("header = %q / %q", lines[0], lines[1])
	}
	rows := make(map[string][]string)
	for _, line := range lines[2:] {
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 3 {
			t.Fatalf("row %q has %d cells, want 3", line, len(cells))
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows[cells[0]] = cells[1:]
	}
	for _, k := range keys {
		if n := strings.Count(table, "`"+k.key+"`"); n != 1 {
			t.Errorf("%s appears %d times, want once", k.key, n)
		}
		row, ok := rows["`"+k.key+"`"]
		if !ok {
			t.Errorf("no row for %s", k.key)
			continue
		}
		wantDef := "—"
		if k.def != "" {
			wantDef = "`" + k.def + "`"
		}
		if row[0] != wantDef {
			t.Errorf("%s default = %q, want %q", k.key, row[0], wantDef)
		}
		wantDesc := k.desc
		if k.key == "TEST_NAME" {
			wantDesc += " (required)"
		}
		if row[1] != wantDesc {
			t.Errorf("%s description = %q, want %q", k.key, row[1], wantDesc)
		}
	}
}

func TestTableRejectsNonStruct(t *testing.T) {
	var n int
	if _, err := config.Table(prefix, &n); err == nil {
		t.Error("Table of *int succeeded")
	}
}

func TestPortDecode(t *testing.T) {
	tests := []struct {
		in      string
		want    config.Port
		wantErr bool
	}{
		{"1", 1, false},
		{"8080", 8080, false},
		{" 443\n", 443, false},
		{"65535", 65535, false},
		{"0", 0, true},
		{"65536", 0, true},
		{"70000", 0, true},
		{"-80", 0, true},
		{"80.5", 0, true},
		{"", 0, true},
		{"http", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var p config.Port
			err := p.Decode(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Decode(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if p != tt.want {
				t.Errorf("Decode(%q) = %d, want %d", tt.in, p, tt.want)
			}
		})
	}
}

func TestHTTPURLDecode(t *testing.T) {
	tests := []struct {
		in      string
		want    config.HTTPURL
		wantErr bool
	}{
		{"http://localhost:9000", "http://localhost:9000", false},
		{"https://api.example.com/", "https://api.example.com", false},
		{" https://api.example.com/v1/ ", "https://api.example.com/v1", false},
		{"http://10.0.0.1:8080/base", "http://10.0.0.1:8080/base", false},
		{"ftp://example.com", "", true},
		{"postgres://u:p@db/app", "", true},
		{"example.com", "", true},
		{"/relative/path", "", true},
		{"http://", "", true},
		{"https:///path", "", true},
		{"http://bad host", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var u config.HTTPURL
			err := u.Decode(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Decode(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if u != tt.want || u.String() != string(tt.want) {
				t.Errorf("Decode(%q) = %q, want %q", tt.in, u, tt.want)
			}
		})
	}
}
