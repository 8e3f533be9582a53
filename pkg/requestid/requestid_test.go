package requestid_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ml-studio/ml-studio/pkg/requestid"
)

func TestValidAndAccept(t *testing.T) {
	tests := []struct {
		name  string
		id    string
		valid bool
	}{
		{"uuid", "3f1c9a52-7a0e-4c0b-9d36-1f1f3b2f8e4d", true},
		{"word", "abc", true},
		{"allowed punctuation", "trace-1_2.3:4/5+6=7", true},
		{"single character", "x", true},
		{"exactly 128", strings.Repeat("a", 128), true},
		{"empty", "", false},
		{"129 long", strings.Repeat("a", 129), false},
		{"very long", strings.Repeat("0123456789", 100), false},
		{"space", "abc def", false},
		{"tab", "abc\tdef", false},
		{"double quote", `abc"def`, false},
		{"single quote", "abc'def", false},
		{"newline", "abc\ndef", false},
		{"carriage return", "abc\rdef", false},
		{"forged header", "abc\r\nSet-Cookie: x=y", false},
		{"forged log line", "abc\n{\"level\":\"info\"}", false},
		{"NUL", "abc\x00", false},
		{"non-ASCII", "idé", false},
		{"semicolon", "a;b", false},
		{"comma", "a,b", false},
		{"angle brackets", "<script>", false},
		{"backslash", `a\b`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := requestid.Valid(tt.id); got != tt.valid {
				t.Errorf("Valid(%q) = %v, want %v", tt.id, got, tt.valid)
			}
			got := requestid.Accept(tt.id)
			if tt.valid {
				if got != tt.id {
					t.Errorf("Accept(%q) = %q, want the id kept", tt.id, got)
				}
				return
			}
			if got == tt.id {
				t.Errorf("Accept(%q) kept an invalid id", tt.id)
			}
			if _, err := uuid.Parse(got); err != nil {
				t.Errorf("Accept(%q) = %q, not a UUID: %v", tt.id, got, err)
			}
			if !requestid.Valid(got) {
				t.Errorf("Accept(%q) = %q, which Valid rejects", tt.id, got)
			}
		})
	}
}

func TestAcceptGeneratesFreshIDs(t *testing.T) {
	seen := make(map[string]bool)
	for range 100 {
		id := requestid.Accept("")
		if seen[id] {
			t.Fatalf("Accept returned %q twice", id)
		}
		seen[id] = true
	}
}

func TestContext(t *testing.T) {
	if got := requestid.FromContext(context.Background()); got != "" {
		t.Errorf("FromContext(empty) = %q, want \"\"", got)
	}
	ctx := requestid.NewContext(context.Background(), "req-1")
	if got := requestid.FromContext(ctx); got != "req-1" {
		t.Errorf("FromContext = %q, want req-1", got)
	}
	inner := requestid.NewContext(ctx, "req-2")
	if got := requestid.FromContext(inner); got != "req-2" {
		t.Errorf("FromContext(inner) = %q, want req-2", got)
	}
	if got := requestid.FromContext(ctx); got != "req-1" {
		t.Errorf("FromContext(outer) = %q after deriving, want req-1", got)
	}
	// A value of another package under the same string key is not the id.
	type otherKey string
	foreign := context.WithValue(context.Background(), otherKey("requestid"), "nope")
	if got := requestid.FromContext(foreign); got != "" {
		t.Errorf("FromContext(foreign) = %q, want \"\"", got)
	}
}
