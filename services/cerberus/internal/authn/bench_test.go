package authn

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// The two benchmarks show, side by side, why tokens are stored under a fast
// hash: checking a token costs about a microsecond, checking a password at
// the default bcrypt cost tens of milliseconds.

// BenchmarkHashToken measures a whole token check short of the database
// lookup: KindOf plus HashToken.
func BenchmarkHashToken(b *testing.B) {
	secret, _, err := NewToken(Session)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, ok := KindOf(secret); !ok {
			b.Fatal("KindOf rejected a new token")
		}
		HashToken(secret)
	}
}

func BenchmarkPasswordVerify(b *testing.B) {
	p, err := NewPasswords(bcrypt.DefaultCost, 0)
	if err != nil {
		b.Fatal(err)
	}
	const password = "correct horse battery staple"
	hash, err := p.Hash(password)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !p.Verify(hash, password) {
			b.Fatal("Verify rejected the right password")
		}
	}
}
