package authn

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func newTestPasswords(t *testing.T, minLength int) *Passwords {
	t.Helper()
	p, err := NewPasswords(bcrypt.MinCost, minLength)
	if err != nil {
		t.Fatalf("NewPasswords: %v", err)
	}
	return p
}

func TestNewPasswords(t *testing.T) {
	tests := []struct {
		name          string
		cost, minLen  int
		wantErr       bool
		wantCost      int
		wantMinLength int
	}{
		{name: "min cost explicit length", cost: bcrypt.MinCost, minLen: 8, wantCost: bcrypt.MinCost, wantMinLength: 8},
		{name: "zero length gets default", cost: bcrypt.MinCost, minLen: 0, wantCost: bcrypt.MinCost, wantMinLength: DefaultMinPasswordLength},
		{name: "max length", cost: bcrypt.MinCost, minLen: MaxPasswordBytes, wantCost: bcrypt.MinCost, wantMinLength: MaxPasswordBytes},
		{name: "cost below min", cost: bcrypt.MinCost - 1, minLen: 8, wantErr: true},
		{name: "cost above max", cost: bcrypt.MaxCost + 1, minLen: 8, wantErr: true},
		{name: "negative length", cost: bcrypt.MinCost, minLen: -1, wantErr: true},
		{name: "length beyond bcrypt limit", cost: bcrypt.MinCost, minLen: MaxPasswordBytes + 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPasswords(tt.cost, tt.minLen)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("NewPasswords(%d, %d) = nil error, want error", tt.cost, tt.minLen)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewPasswords(%d, %d): %v", tt.cost, tt.minLen, err)
			}
			if p.cost != tt.wantCost || p.minLength != tt.wantMinLength {
				t.Errorf("cost, minLength = %d, %d, want %d, %d", p.cost, p.minLength, tt.wantCost, tt.wantMinLength)
			}
			if c, err := bcrypt.Cost(p.dummyHash); err != nil || c != tt.wantCost {
				t.Errorf("dummy hash cost = %d, %v, want %d", c, err, tt.wantCost)
			}
		})
	}
}

func TestNewPasswordsDefaultCost(t *testing.T) {
	p, err := NewPasswords(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.cost != bcrypt.DefaultCost {
		t.Errorf("cost = %d, want bcrypt.DefaultCost %d", p.cost, bcrypt.DefaultCost)
	}
}

func TestHashLength(t *testing.T) {
	p := newTestPasswords(t, 6)
	tests := []struct {
		name    string
		plain   string
		wantErr error
	}{
		{name: "exactly minimum", plain: "Zk9#qW"},
		{name: "one short", plain: "Zk9#q", wantErr: ErrPasswordTooShort},
		{name: "empty", plain: "", wantErr: ErrPasswordTooShort},
		// Runes, not bytes: 5 runes in 10 bytes is still too short.
		{name: "multibyte counted as runes", plain: "ééééé", wantErr: ErrPasswordTooShort},
		{name: "multibyte at minimum", plain: "éééééé"},
		{name: "exactly 72 bytes", plain: strings.Repeat("Qz7!", 18)},
		{name: "73 bytes", plain: strings.Repeat("Qz7!", 18) + "x", wantErr: ErrPasswordTooLong},
		// 25 runes but 75 bytes: the byte limit applies.
		{name: "multibyte over 72 bytes", plain: strings.Repeat("€", 25), wantErr: ErrPasswordTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := p.Hash(tt.plain)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Hash: %v", err)
				}
				if !p.Verify(h, tt.plain) {
					t.Error("Verify(Hash(p), p) = false")
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Hash error = %v, want %v", err, tt.wantErr)
			}
			if h != "" {
				t.Errorf("Hash returned %q with an error", h)
			}
			if tt.plain != "" && strings.Contains(err.Error(), tt.plain) {
				t.Errorf("error %q contains the password", err)
			}
		})
	}
}

func TestHashTooShortSaysMinimum(t *testing.T) {
	p := newTestPasswords(t, 14)
	_, err := p.Hash("Zk9#")
	if err == nil || !strings.Contains(err.Error(), "14") {
		t.Errorf("error %v does not state the minimum 14", err)
	}
}

func TestVerify(t *testing.T) {
	p := newTestPasswords(t, 8)
	const password = "correct horse battery"
	hash, err := p.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	// A hash made at another cost (e.g. before a cost change) still verifies.
	other, err := NewPasswords(bcrypt.MinCost+1, 8)
	if err != nil {
		t.Fatal(err)
	}
	otherHash, err := other.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	max72 := strings.Repeat("Qz7!", 18)
	hash72, err := p.Hash(max72)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		hash, plain string
		want        bool
	}{
		{name: "right password", hash: hash, plain: password, want: true},
		{name: "wrong password", hash: hash, plain: "correct horse battery!", want: false},
		{name: "case differs", hash: hash, plain: "Correct horse battery", want: false},
		{name: "empty password", hash: hash, plain: "", want: false},
		{name: "empty hash", hash: "", plain: password, want: false},
		{name: "empty hash and password", hash: "", plain: "", want: false},
		{name: "malformed hash", hash: "not-a-bcrypt-hash", plain: password, want: false},
		{name: "plaintext stored as hash", hash: password, plain: password, want: false},
		{name: "other cost", hash: otherHash, plain: password, want: true},
		{name: "72 bytes", hash: hash72, plain: max72, want: true},
		// bcrypt ignores bytes past 72; Verify must not.
		{name: "72 bytes plus suffix", hash: hash72, plain: max72 + "extra", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Verify(tt.hash, tt.plain); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHashSalted(t *testing.T) {
	p := newTestPasswords(t, 8)
	const password = "same password twice"
	a, err := p.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two hashes of the same password are equal (%q): no salt", a)
	}
	if strings.Contains(a, password) {
		t.Error("hash contains the password")
	}
	if !p.Verify(a, password) || !p.Verify(b, password) {
		t.Error("a salted hash does not verify")
	}
}

func TestDummyVerify(t *testing.T) {
	p := newTestPasswords(t, 8)
	// The dummy hash is a real bcrypt hash at the configured cost, so
	// DummyVerify does a full-cost comparison; and it matches no chosen
	// password, so it can never stand in for a real account.
	if c, err := bcrypt.Cost(p.dummyHash); err != nil || c != bcrypt.MinCost {
		t.Fatalf("dummy hash cost = %d, %v, want %d", c, err, bcrypt.MinCost)
	}
	for _, plain := range []string{"", "guess", "correct horse battery", strings.Repeat("x", 100)} {
		p.DummyVerify(plain)
		if p.Verify(string(p.dummyHash), plain) {
			t.Errorf("dummy hash verifies %q", plain)
		}
	}
	a := newTestPasswords(t, 8)
	if string(a.dummyHash) == string(p.dummyHash) {
		t.Error("two Passwords share a dummy hash")
	}
}

func TestDummyVerifyZeroValuePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("DummyVerify on a zero Passwords did not panic")
		}
	}()
	var p Passwords
	p.DummyVerify("x")
}

func TestGeneratePassword(t *testing.T) {
	p := newTestPasswords(t, 20)
	seen := make(map[string]bool)
	for range 200 {
		pw, err := GeneratePassword()
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != 20 {
			t.Fatalf("len(%q) = %d, want 20", pw, len(pw))
		}
		for i := 0; i < len(pw); i++ {
			if !isBase64URL(pw[i]) {
				t.Fatalf("%q has non-URL-safe character %q", pw, pw[i])
			}
		}
		if seen[pw] {
			t.Fatalf("duplicate password %q", pw)
		}
		seen[pw] = true
	}
	// A generated password satisfies a 20-character minimum.
	for pw := range seen {
		if _, err := p.Hash(pw); err != nil {
			t.Fatalf("Hash(generated): %v", err)
		}
		break
	}
}
