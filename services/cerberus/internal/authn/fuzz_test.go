package authn

import (
	"encoding/base64"
	"testing"
)

// FuzzKindOf: no secret panics KindOf, and what it accepts is exactly a
// prefix and the one canonical base64url spelling of 32 bytes: decoding and
// encoding again gives the secret back, so no two spellings of one token
// reach the database (and a session never passes for an API token).
// The committed corpus is testdata/fuzz/FuzzKindOf; more runs with
// go test -fuzz FuzzKindOf ./services/cerberus/internal/authn
func FuzzKindOf(f *testing.F) {
	for _, k := range []Kind{Session, APIToken} {
		secret, _, err := NewToken(k)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(secret)
		f.Add(secret[:len(secret)-1] + "B") // non-zero unused bits
		f.Add(secret[:10] + "\n" + secret[11:])
		f.Add(secret + "=")
	}
	f.Add("mlt_")
	f.Add("Bearer mls_x")
	f.Fuzz(func(t *testing.T, secret string) {
		kind, ok := KindOf(secret)
		if !ok {
			return
		}
		var prefix string
		switch kind {
		case Session:
			prefix = sessionPrefix
		case APIToken:
			prefix = apiPrefix
		default:
			t.Fatalf("%q: kind %q", secret, kind)
		}
		if secret[:prefixLen] != prefix {
			t.Fatalf("%q taken for a %s", secret, kind)
		}
		raw, err := base64.RawURLEncoding.Strict().DecodeString(secret[prefixLen:])
		if err != nil || len(raw) != tokenBytes {
			t.Fatalf("%q accepted but decodes to %d bytes (%v)", secret, len(raw), err)
		}
		if again := prefix + base64.RawURLEncoding.EncodeToString(raw); again != secret {
			t.Fatalf("%q accepted but its canonical spelling is %q", secret, again)
		}
	})
}
