// Package requestid carries the X-Request-ID of a request through a context,
// so a log line and an outbound call can name the request that caused them.
package requestid

import (
	"context"

	"github.com/google/uuid"
)

// Header is the HTTP header that carries the id between services.
const Header = "X-Request-ID"

// maxLen bounds an id accepted from a caller; longer ones are replaced.
const maxLen = 128

type ctxKey struct{}

// NewContext returns ctx carrying id.
func NewContext(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the id in ctx, or "".
func FromContext(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// Accept returns the caller's id when it is safe to log and forward, or a new one.
func Accept(id string) string {
	if Valid(id) {
		return id
	}
	return uuid.NewString()
}

// Valid reports whether id is short and made only of visible ASCII without
// quotes or separators, so it cannot forge log lines or headers.
func Valid(id string) bool {
	if id == "" || len(id) > maxLen {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '-' || r == '_' || r == '.' || r == ':' || r == '/' || r == '+' || r == '='
		if !ok {
			return false
		}
	}
	return true
}
