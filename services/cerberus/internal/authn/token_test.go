package authn

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestNewTokenFormat(t *testing.T) {
	tests := []struct {
		kind   Kind
		prefix string
	}{
		{Session, "mls_"},
		{APIToken, "mlt_"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			secret, hash, err := NewToken(tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(secret, tt.prefix) {
				t.Errorf("secret %q lacks prefix %q", secret, tt.prefix)
			}
			if len(secret) != len(tt.prefix)+43 {
				t.Errorf("len(secret) = %d, want %d", len(secret), len(tt.prefix)+43)
			}
			if k, ok := KindOf(secret); !ok || k != tt.kind {
				t.Errorf("KindOf(new secret) = %q, %v, want %q, true", k, ok, tt.kind)
			}
			if hash != HashToken(secret) {
				t.Errorf("returned hash %q != HashToken(secret) %q", hash, HashToken(secret))
			}
			if strings.Contains(hash, secret[len(tt.prefix):]) {
				t.Error("hash contains the secret")
			}
		})
	}
}

func TestNewTokenUnknownKind(t *testing.T) {
	for _, k := range []Kind{"", "Session", "password"} {
		secret, hash, err := NewToken(k)
		if !errors.Is(err, ErrUnknownKind) {
			t.Errorf("NewToken(%q) error = %v, want ErrUnknownKind", k, err)
		}
		if secret != "" || hash != "" {
			t.Errorf("NewToken(%q) = %q, %q with an error", k, secret, hash)
		}
	}
}

func TestKindOf(t *testing.T) {
	// A canonical 43-char body: 32 zero bytes are "A"*43.
	body := strings.Repeat("A", 43)
	tests := []struct {
		name   string
		secret string
		want   Kind
		wantOK bool
	}{
		{name: "session", secret: "mls_" + body, want: Session, wantOK: true},
		{name: "api", secret: "mlt_" + body, want: APIToken, wantOK: true},
		{name: "all alphabet chars", secret: "mls_" + "AZaz09-_" + strings.Repeat("w", 34) + "A", want: Session, wantOK: true},
		{name: "empty", secret: ""},
		{name: "prefix only", secret: "mls_"},
		{name: "no prefix", secret: body},
		{name: "body only, prefix length", secret: "AAAA" + body},
		{name: "wrong prefix", secret: "mlx_" + body},
		{name: "upper-case prefix", secret: "MLS_" + body},
		{name: "prefix without underscore", secret: "mls-" + body},
		{name: "one char short", secret: "mls_" + body[:42]},
		{name: "one char long", secret: "mls_" + body + "A"},
		{name: "api one char short", secret: "mlt_" + body[:42]},
		{name: "session prefix with 44-char body", secret: "mls_" + body + "A"},
		{name: "session prefix with padded base64", secret: "mls_" + body[:42] + "="},
		{name: "standard base64 plus", secret: "mls_+" + body[1:]},
		{name: "standard base64 slash", secret: "mls_/" + body[1:]},
		{name: "space", secret: "mls_ " + body[1:]},
		{name: "newline", secret: "mls_\n" + body[1:]},
		{name: "carriage return at end", secret: "mls_" + body[:42] + "\r"},
		{name: "non-ASCII", secret: "mls_é" + body[2:]},
		{name: "NUL", secret: "mls_" + body[:42] + "\x00"},
		// Last char carries 4 bits + 2 unused; "B" sets an unused bit, so it
		// is a second spelling of a valid token and must be refused.
		{name: "non-canonical last char", secret: "mls_" + body[:42] + "B"},
		{name: "canonical last char E", secret: "mls_" + body[:42] + "E", want: Session, wantOK: true},
		{name: "leading space", secret: " mls_" + body[:42]},
		{name: "bearer scheme included", secret: "Bearer mls_" + body},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := KindOf(tt.secret)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("KindOf(%q) = %q, %v, want %q, %v", tt.secret, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestTokensDistinct(t *testing.T) {
	secrets := make(map[string]bool)
	hashes := make(map[string]bool)
	for i := range 1000 {
		k := Session
		if i%2 == 1 {
			k = APIToken
		}
		secret, hash, err := NewToken(k)
		if err != nil {
			t.Fatal(err)
		}
		// Compare bodies, so two kinds sharing random bytes would be caught.
		body := secret[4:]
		if secrets[body] {
			t.Fatalf("duplicate token body %q after %d tokens", body, i)
		}
		if hashes[hash] {
			t.Fatalf("duplicate token hash after %d tokens", i)
		}
		secrets[body] = true
		hashes[hash] = true
	}
}

func TestHashToken(t *testing.T) {
	body := strings.Repeat("A", 43)
	tests := []struct {
		name   string
		secret string
		want   string
	}{
		// Known answer: guards against hashing only the body or a different
		// encoding, which would orphan every stored hash.
		{name: "empty", secret: "", want: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{name: "abc", secret: "abc", want: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{name: "session", secret: "mls_" + body},
		{name: "api", secret: "mlt_" + body},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := tt.secret
			h := HashToken(secret)
			if len(h) != 64 {
				t.Fatalf("len(HashToken) = %d, want 64", len(h))
			}
			if _, err := hex.DecodeString(h); err != nil || strings.ToLower(h) != h {
				t.Fatalf("HashToken = %q, not lower-case hex", h)
			}
			if h2 := HashToken(secret); h2 != h {
				t.Errorf("HashToken not deterministic: %q then %q", h, h2)
			}
			if tt.want != "" && h != tt.want {
				t.Errorf("HashToken(%q) = %q, want %q", secret, h, tt.want)
			}
		})
	}
	// The prefix is hashed: re-labelling a session as an API token must not
	// find the session's row.
	if HashToken("mls_"+body) == HashToken("mlt_"+body) {
		t.Error("hash ignores the prefix")
	}
	// One changed character changes the hash.
	if HashToken("mls_"+body) == HashToken("mls_"+body[:42]+"E") {
		t.Error("hash ignores the last character")
	}
}
