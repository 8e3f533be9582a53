// Package service is cerberus's use cases: who may call what, and the audit
// trail of it. Handlers call it; it calls the store and the decision engine.
// Errors carry apierror kinds, turned into statuses in one place.
package service

import (
	"context"
	"crypto/subtle"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authz"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// Config tunes the service.
type Config struct {
	SessionTTL     time.Duration
	MaxTokenTTL    time.Duration
	DefaultTokenTT time.Duration
	// RegistrarSecret, when set, reserves registering and renaming
	// experiments and models to admins and to ml_studio (which proves itself
	// with this secret): otherwise anyone allowed to create in a project
	// could claim an MLflow object that exists but is not registered yet.
	RegistrarSecret string
}

// Service is cerberus's behaviour.
type Service struct {
	cfg       Config
	store     *store.Store
	passwords *authn.Passwords
	throttle  *authn.Throttle
	log       *zap.Logger
	now       func() time.Time
}

// New wires the service.
func New(cfg Config, s *store.Store, p *authn.Passwords, t *authn.Throttle, log *zap.Logger) *Service {
	return &Service{cfg: cfg, store: s, passwords: p, throttle: t, log: log, now: func() time.Time { return time.Now().UTC() }}
}

// Principal is an authenticated caller.
type Principal struct {
	authz.Subject
	CredentialID uint64
	Kind         authn.Kind
}

// Meta is what the audit trail records of a request.
type Meta struct {
	RequestID string
	ClientIP  string
}

// Component is the only component so far; the API names it explicitly so
// more can be added.
const Component = "ml_studio"

var (
	usernameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	groupRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$`)
	kinds      = map[string]bool{"project": true, "experiment": true, "registered_model": true}
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), apierror.ErrInvalid)
}

// validElement checks an element name is `*` or kind:key with a known kind.
func validElement(name string) error {
	if name == store.Root {
		return nil
	}
	kind, key, ok := strings.Cut(name, ":")
	switch {
	case !ok || !kinds[kind]:
		return invalid("element %q must be *, project:<key>, experiment:<id> or registered_model:<name>", truncate(name))
	case strings.TrimSpace(key) != key || strings.ContainsFunc(key, unicode.IsControl):
		// MySQL's collations ignore trailing spaces: "m " and "m" would be one element.
		return invalid("element %q: the key may not start or end with spaces or hold control characters", truncate(name))
	case key == "" || len(name) > 512:
		return invalid("element %q needs a key of at most 512 characters in all", truncate(name))
	case kind == "experiment" && !canonicalID(key):
		// MLflow reads "015" and "15" as one experiment: only one spelling may name it.
		return invalid("element %q: an experiment id is a decimal number without leading zeros", truncate(name))
	}
	return nil
}

func canonicalID(id string) bool {
	if id == "" || (id[0] == '0' && len(id) > 1) || len(id) > 19 {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// registrarOnly reports whether registering or renaming this element is
// reserved to admins and the registrar (ml_studio).
func (s *Service) registrarOnly(name string) bool {
	kind := kindOf(name)
	return s.cfg.RegistrarSecret != "" && (kind == "experiment" || kind == "registered_model")
}

// IsRegistrar checks the secret ml_studio presents, in constant time.
func (s *Service) IsRegistrar(secret string) bool {
	return s.cfg.RegistrarSecret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.RegistrarSecret)) == 1
}

var errRegistrarOnly = fmt.Errorf("experiments and models are registered by ML Studio when it creates them: %w", apierror.ErrForbidden)

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// clip bounds s to n bytes for a fixed-width column, cutting before a
// character rather than inside one: MySQL refuses a split UTF-8 sequence,
// and the audit entry would be lost.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// audit records an entry; a failure to record is logged, not returned: the
// action itself already happened.
func (s *Service) audit(ctx context.Context, m Meta, actor *Principal, action, target, result, detail string) {
	e := &store.AuditEntry{Action: action, Target: clip(target, 600), Result: result, Detail: clip(detail, 1024), RequestID: m.RequestID, ClientIP: m.ClientIP}
	if actor != nil {
		e.ActorID, e.Actor = &actor.ID, actor.Username
	}
	if err := s.store.Record(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("audit", zap.String("action", action), zap.Error(err))
	}
}

func requireAdmin(p Principal) error {
	if !p.IsAdmin {
		return fmt.Errorf("only an admin may do this: %w", apierror.ErrForbidden)
	}
	return nil
}
