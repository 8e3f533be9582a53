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
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/catalogue"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/accesscache"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/audit"
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
	// Cache tunes the in-memory decision cache (Sync 0 turns it off).
	Cache accesscache.Config
	// AuditRetention is how long audit entries are kept; 0 keeps them.
	AuditRetention time.Duration
}

// Service is cerberus's behaviour.
type Service struct {
	cfg       Config
	store     *store.Store
	passwords *authn.Passwords
	throttle  *authn.Throttle
	log       *zap.Logger
	now       func() time.Time
	// access answers the reads of a decision, from memory when it can.
	access *accesscache.Cache
	// denials writes the audit entries of denied decisions in batches.
	denials *audit.Queue
	// sso is sign-in with an OpenID provider, nil when not configured.
	sso *SSO
}

// New wires the service. Run starts its background work.
func New(cfg Config, s *store.Store, p *authn.Passwords, t *authn.Throttle, log *zap.Logger) *Service {
	return &Service{
		cfg: cfg, store: s, passwords: p, throttle: t, log: log,
		now:     func() time.Time { return time.Now().UTC() },
		access:  accesscache.New(s, cfg.Cache, log),
		denials: audit.NewQueue(s, log),
	}
}

// Run keeps the decision cache in step with the database and writes queued
// audit entries until ctx ends; it returns once every queued entry is
// written. Without Run every decision asks the database and every audit
// entry is written at once.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.access.Run(ctx) })
	wg.Go(func() { s.denials.Run(ctx) })
	wg.Go(func() { s.maintain(ctx, time.Hour) })
	wg.Wait()
}

// maintain refreshes the planner's statistics and deletes audit entries
// past the retention, now and every interval, until ctx ends.
func (s *Service) maintain(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.store.Optimize(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("refresh the database statistics", zap.Error(err))
		}
		if n, err := s.PruneAudit(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("audit retention", zap.Error(err))
		} else if n > 0 {
			s.log.Info("audit retention: deleted old entries", zap.Int64("entries", n), zap.Duration("retention", s.cfg.AuditRetention))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PruneAudit deletes the audit entries older than the retention, 10,000 at
// a time, and says how many went.
func (s *Service) PruneAudit(ctx context.Context) (int64, error) {
	if s.cfg.AuditRetention <= 0 {
		return 0, nil
	}
	before := s.now().Add(-s.cfg.AuditRetention)
	var total int64
	for {
		n, err := s.store.PruneAudit(ctx, before, 10_000)
		total += n
		if err != nil || n < 10_000 {
			return total, err
		}
	}
}

// Start reads the access change log once, so the cache answers (and the
// access revision is known) from the first request, then runs Run in the
// background. stop ends it and returns once the queued audit entries are
// written.
func (s *Service) Start(ctx context.Context) (stop func()) {
	if err := s.access.Sync(ctx); err != nil {
		s.log.Warn("decision cache: first read of the access change log", zap.Error(err))
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
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
	// kinds are pkg/catalogue's element kinds, and registered those that
	// stand for MLflow objects.
	kinds, registered = func() (all, reg map[string]bool) {
		all, reg = map[string]bool{}, map[string]bool{}
		for _, k := range catalogue.Kinds {
			all[k.Name], reg[k.Name] = true, k.Registered
		}
		return all, reg
	}()
	// kindList is how an error names them.
	kindList = func() string {
		names := []string{"*"}
		for _, k := range catalogue.Kinds {
			names = append(names, k.Name+":"+k.Key)
		}
		return strings.Join(names, ", ")
	}()
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
		return invalid("element %q must be one of %s", truncate(name), kindList)
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
	return s.cfg.RegistrarSecret != "" && registered[kind]
}

// IsRegistrar checks the secret ml_studio presents, in constant time.
func (s *Service) IsRegistrar(secret string) bool {
	return s.cfg.RegistrarSecret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.RegistrarSecret)) == 1
}

var errRegistrarOnly = fmt.Errorf("experiments, models and AI gateway objects are registered by ML Studio when it creates them: %w", apierror.ErrForbidden)

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
	var who *authz.Subject
	if actor != nil {
		who = &actor.Subject
	}
	if err := s.store.Record(context.WithoutCancel(ctx), auditEntry(m, who, action, target, result, detail)); err != nil {
		s.log.Error("audit", zap.String("action", action), zap.Error(err))
	}
}

// auditDenied records a denied decision through the batching queue: denials
// are the trail's bulk, and a decision should not wait for its own write.
func (s *Service) auditDenied(ctx context.Context, m Meta, who *authz.Subject, action, target, detail string) {
	s.denials.Add(ctx, auditEntry(m, who, action, target, "denied", detail))
}

func auditEntry(m Meta, who *authz.Subject, action, target, result, detail string) *store.AuditEntry {
	e := &store.AuditEntry{Action: action, Target: clip(target, 600), Result: result, Detail: clip(detail, 1024), RequestID: m.RequestID, ClientIP: m.ClientIP}
	if who != nil {
		e.ActorID, e.Actor = &who.ID, who.Username
	}
	return e
}

func requireAdmin(p Principal) error {
	if !p.IsAdmin {
		return fmt.Errorf("only an admin may do this: %w", apierror.ErrForbidden)
	}
	return nil
}

// CacheStats reports what the decision cache holds.
func (s *Service) CacheStats() accesscache.Stats { return s.access.Stats() }

// Revision is the access revision this process vouches for: every
// decision begun now reflects at least floor, every change it has made is
// at most latest; ok is false when it cannot vouch for any (it has not
// read the access change log lately). See accesscache.Cache.Revision.
func (s *Service) Revision() (floor, latest uint64, ok bool) { return s.access.Revision() }
