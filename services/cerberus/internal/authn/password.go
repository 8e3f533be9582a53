package authn

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

const (
	// MaxPasswordBytes is bcrypt's input limit; it ignores anything beyond
	// it, so longer passwords are rejected rather than silently truncated.
	MaxPasswordBytes = 72
	// DefaultMinPasswordLength applies when NewPasswords gets minLength 0.
	DefaultMinPasswordLength = 12
	// generatedPasswordLength is the length of GeneratePassword's output:
	// 20 base64url characters carry 120 random bits.
	generatedPasswordLength = 20
)

var (
	// ErrPasswordTooShort means the password has fewer runes than the minimum.
	ErrPasswordTooShort = errors.New("authn: password too short")
	// ErrPasswordTooLong means the password exceeds MaxPasswordBytes.
	ErrPasswordTooLong = errors.New("authn: password too long")
)

// Passwords hashes and verifies passwords with bcrypt. Build it with
// NewPasswords: the zero value has no dummy hash, so DummyVerify panics
// rather than silently answering fast for unknown users.
type Passwords struct {
	cost      int
	minLength int
	// dummyHash is a hash of a random password at the same cost, compared
	// against by DummyVerify so a login for an unknown user costs as much as
	// one for a known user.
	dummyHash []byte
}

// NewPasswords returns a Passwords hashing at cost (0 means
// bcrypt.DefaultCost) and requiring at least minLength runes (0 means
// DefaultMinPasswordLength). It computes one bcrypt hash, so it takes as long
// as a login.
func NewPasswords(cost, minLength int) (*Passwords, error) {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("authn: bcrypt cost %d outside [%d, %d]", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	if minLength == 0 {
		minLength = DefaultMinPasswordLength
	}
	// Above MaxPasswordBytes runes no password could be both long enough and
	// short enough.
	if minLength < 0 || minLength > MaxPasswordBytes {
		return nil, fmt.Errorf("authn: minimum password length %d outside [1, %d]", minLength, MaxPasswordBytes)
	}
	dummy, err := GeneratePassword()
	if err != nil {
		return nil, err
	}
	dummyHash, err := bcrypt.GenerateFromPassword([]byte(dummy), cost)
	if err != nil {
		return nil, fmt.Errorf("authn: dummy password hash: %w", err)
	}
	return &Passwords{cost: cost, minLength: minLength, dummyHash: dummyHash}, nil
}

// Hash checks the password's length and returns its bcrypt hash. Errors never
// contain the password.
func (p *Passwords) Hash(plain string) (string, error) {
	if n := utf8.RuneCountInString(plain); n < p.minLength {
		return "", fmt.Errorf("%w: need at least %d characters", ErrPasswordTooShort, p.minLength)
	}
	if len(plain) > MaxPasswordBytes {
		return "", fmt.Errorf("%w: at most %d bytes", ErrPasswordTooLong, MaxPasswordBytes)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(plain), p.cost)
	if err != nil {
		// bcrypt's errors do not echo the password.
		return "", fmt.Errorf("authn: hash password: %w", err)
	}
	return string(h), nil
}

// Verify reports whether plain matches hash, in constant time. An empty or
// malformed hash (e.g. a user without a password) and a password over
// MaxPasswordBytes give false, but only after the same bcrypt work as a real
// comparison, so the answer's timing does not reveal which case applied.
func (p *Passwords) Verify(hash, plain string) bool {
	if _, err := bcrypt.Cost([]byte(hash)); err != nil {
		p.DummyVerify(plain)
		return false
	}
	// bcrypt ignores bytes past 72, so "stored password + anything" would
	// otherwise match; compare first anyway to keep the timing uniform.
	ok := bcrypt.CompareHashAndPassword([]byte(hash), []byte(plain)) == nil
	return ok && len(plain) <= MaxPasswordBytes
}

// DummyVerify does the work of a failing Verify against a hash made at
// construction. Call it when the user does not exist, so that a login for an
// unknown name takes as long as one for a known name (no enumeration of
// usernames by timing).
func (p *Passwords) DummyVerify(plain string) {
	if len(p.dummyHash) == 0 {
		panic("authn: Passwords not built with NewPasswords")
	}
	_ = bcrypt.CompareHashAndPassword(p.dummyHash, []byte(plain))
}

// GeneratePassword returns a random 20-character password from the
// base64url alphabet (A-Z a-z 0-9 - _), e.g. for the first admin account.
func GeneratePassword() (string, error) {
	// 15 bytes encode to exactly 20 characters, each uniformly one of 64.
	var b [generatedPasswordLength * 6 / 8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("authn: generate password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
