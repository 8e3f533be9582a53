package store

import (
	"strings"
	"testing"
)

func TestParseDSN(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		wantDialect Dialect
		wantErr     bool
		// wantDriver are substrings the driver DSN must hold
		wantDriver []string
	}{
		{name: "sqlite path", in: "sqlite:.data/auth.db", wantDialect: SQLite, wantDriver: []string{".data/auth.db?", "foreign_keys(1)", "busy_timeout"}},
		{name: "sqlite url form", in: "sqlite:///tmp/auth.db", wantDialect: SQLite, wantDriver: []string{"/tmp/auth.db?"}},
		{name: "sqlite empty path", in: "sqlite:", wantErr: true},
		{name: "mysql url", in: "mysql://blendata:s3cret@db:3306/auth", wantDialect: MySQL, wantDriver: []string{"blendata:s3cret@tcp(db:3306)/auth", "parseTime=true", "timeout=5s"}},
		{name: "mysql url default port", in: "mysql://u:p@db/auth", wantDialect: MySQL, wantDriver: []string{"tcp(db:3306)/auth"}},
		{name: "mysql url without database", in: "mysql://u:p@db:3306/", wantErr: true},
		{name: "go-sql-driver dsn", in: "blendata:pw@tcp(127.0.0.1:3306)/auth", wantDialect: MySQL, wantDriver: []string{"tcp(127.0.0.1:3306)/auth", "parseTime=true"}},
		{name: "garbage", in: "not a dsn", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDSN(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseDSN(%q) = %+v, want an error", tt.in, got)
				}
				if strings.Contains(err.Error(), "s3cret") || (len(tt.in) > 8 && strings.Contains(err.Error(), tt.in)) {
					t.Fatalf("error repeats the value: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDSN(%q): %v", tt.in, err)
			}
			if got.Dialect != tt.wantDialect {
				t.Errorf("dialect %q, want %q", got.Dialect, tt.wantDialect)
			}
			for _, want := range tt.wantDriver {
				if !strings.Contains(got.Driver, want) {
					t.Errorf("driver DSN %q lacks %q", got.Driver, want)
				}
			}
		})
	}
}
