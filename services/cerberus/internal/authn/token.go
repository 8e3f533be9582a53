package authn

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Kind is the kind of a token secret.
type Kind string

const (
	// Session is a login session's token.
	Session Kind = "session"
	// APIToken is a long-lived token a user creates for scripts.
	APIToken Kind = "api"
	// IdPToken is a bearer JWT the OpenID provider signed; cerberus issues
	// none and stores none.
	IdPToken Kind = "idp"
)

const (
	sessionPrefix = "mls_"
	apiPrefix     = "mlt_"
	prefixLen     = 4
	// tokenBytes random bytes give 256 bits: unguessable, so a fast hash
	// suffices for storage.
	tokenBytes = 32
	// tokenBodyLen is the unpadded base64url length of tokenBytes.
	tokenBodyLen = (tokenBytes*8 + 5) / 6
	tokenLen     = prefixLen + tokenBodyLen
)

// ErrUnknownKind means NewToken got a Kind other than Session or APIToken.
var ErrUnknownKind = errors.New("authn: unknown token kind")

// prefix returns the visible prefix of k's secrets.
func (k Kind) prefix() (string, bool) {
	switch k {
	case Session:
		return sessionPrefix, true
	case APIToken:
		return apiPrefix, true
	}
	return "", false
}

// NewToken returns a fresh secret of kind k, to hand to the client once, and
// its hash, the only form to store.
func NewToken(k Kind) (secret string, hash string, err error) {
	prefix, ok := k.prefix()
	if !ok {
		return "", "", fmt.Errorf("%w: %q", ErrUnknownKind, string(k))
	}
	var b [tokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("authn: generate token: %w", err)
	}
	secret = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashToken(secret), nil
}

// HashToken returns the hex SHA-256 of the whole secret, prefix included, so
// a secret re-labelled with the other kind's prefix does not match.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// KindOf returns the kind of a well-formed secret, and false for anything
// else (unknown prefix, wrong length, characters outside base64url,
// non-canonical encoding). Call it before HashToken so garbage is rejected
// without reaching the database.
func KindOf(secret string) (Kind, bool) {
	if len(secret) != tokenLen {
		return "", false
	}
	var k Kind
	switch {
	case strings.HasPrefix(secret, sessionPrefix):
		k = Session
	case strings.HasPrefix(secret, apiPrefix):
		k = APIToken
	default:
		return "", false
	}
	body := secret[prefixLen:]
	// Check the alphabet explicitly: the base64 decoder skips '\r' and '\n'.
	for i := 0; i < len(body); i++ {
		if !isBase64URL(body[i]) {
			return "", false
		}
	}
	// Strict decoding rejects a last character with non-zero unused bits, so
	// each 32-byte value has exactly one accepted spelling.
	var b [tokenBytes]byte
	if n, err := base64.RawURLEncoding.Strict().Decode(b[:], []byte(body)); err != nil || n != tokenBytes {
		return "", false
	}
	return k, true
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}
