package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/catalogue"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authz"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// stale reports whether a credential's last use is old enough to record again.
func stale(c store.Credential, now time.Time) bool {
	return c.LastUsedAt == nil || now.Sub(*c.LastUsedAt) > time.Minute
}

// maxBatch bounds one batch decision.
const maxBatch = 1000

// AuthzRequest asks about one or many elements for one subject. The subject
// is the bearer of Token; for admins asking on someone's behalf, User; and
// when neither is given, the caller authenticated by the request's own
// Authorization header.
type AuthzRequest struct {
	Token     string   `json:"token"`
	User      string   `json:"user"`
	Component string   `json:"component"`
	Element   string   `json:"element"`
	Elements  []string `json:"elements"`
	Operation string   `json:"operation"`
	// Operations, instead of Operation, asks a batch which of them the
	// subject may do on each element ("what may I do here?").
	Operations []string `json:"operations"`
	Kind       string   `json:"kind"`
}

// AuthzAnswer is a single decision and who it was for.
type AuthzAnswer struct {
	authz.Decision
	User *UserView `json:"user"`
}

// subjectFor resolves the request's subject. An unknown, expired or revoked
// token is a denial, not an error: the caller asked a question and gets an answer.
func (s *Service) subjectFor(ctx context.Context, caller *Principal, r AuthzRequest) (authz.Subject, *UserView, string, error) {
	switch {
	case r.Token != "" && r.User != "":
		return authz.Subject{}, nil, "", invalid("give token or user, not both")
	case r.Token != "":
		p, err := s.Authenticate(ctx, r.Token)
		if apierror.Resolve(err).Status == 401 {
			return authz.Subject{}, nil, apierror.Resolve(err).Message, nil
		}
		if err != nil {
			return authz.Subject{}, nil, "", err
		}
		return p.Subject, userView(p.Subject), "", nil
	case r.User != "":
		if caller == nil || !caller.IsAdmin {
			return authz.Subject{}, nil, "", fmt.Errorf("asking on behalf of a user needs an admin's credentials: %w", apierror.ErrForbidden)
		}
		u, err := s.store.UserByName(ctx, r.User)
		if err != nil {
			return authz.Subject{}, nil, "", err
		}
		return subjectOf(u), userView(subjectOf(u)), "", nil
	case caller != nil:
		// No subject named: the decision is about the caller, authenticated
		// by the forwarded Authorization header (Bearer or basic).
		return caller.Subject, userView(caller.Subject), "", nil
	default:
		return authz.Subject{}, nil, "", apierror.Required("token")
	}
}

func userView(s authz.Subject) *UserView {
	return &UserView{ID: s.ID, Username: s.Username, IsAdmin: s.IsAdmin, IsActive: s.IsActive}
}

func (s *Service) component(name string) (uint64, error) {
	if name == "" {
		return 0, apierror.Required("component")
	}
	return s.store.ComponentID(name)
}

// Authorize answers one decision; denials are audited.
func (s *Service) Authorize(ctx context.Context, m Meta, caller *Principal, r AuthzRequest) (AuthzAnswer, error) {
	if r.Element == "" {
		return AuthzAnswer{}, apierror.Required("element")
	}
	if r.Operation == "" {
		return AuthzAnswer{}, apierror.Required("operation")
	}
	comp, err := s.component(r.Component)
	if err != nil {
		return AuthzAnswer{}, err
	}
	who, view, why, err := s.subjectFor(ctx, caller, r)
	if err != nil {
		return AuthzAnswer{}, err
	}
	if why != "" {
		s.auditDenied(ctx, m, nil, "authorize", r.Element, r.Operation+": "+why)
		return AuthzAnswer{Decision: authz.Decision{Reason: why}}, nil
	}
	d, err := s.decide(ctx, who, comp, r.Element, r.Operation)
	if err != nil {
		return AuthzAnswer{}, err
	}
	if !d.Allowed {
		// The trail keeps the detailed reason (unknown element, no grant,
		// which deny); the answer may not.
		s.auditDenied(ctx, m, &who, "authorize", r.Element, r.Operation+": "+d.Reason)
	}
	if !isAdmin(caller) {
		d = authz.Concealed(who, r.Operation, d)
	}
	return AuthzAnswer{Decision: d, User: view}, nil
}

// isAdmin reports whether the caller of a decision is an admin: only an
// admin reads a denial's detailed reason, which tells an element that does
// not exist from one the subject may not use.
func isAdmin(caller *Principal) bool {
	return caller != nil && caller.IsAdmin
}

// BatchAnswer maps each element to its decision about Operation, or, when
// Operations were asked, to those of them the subject may do.
type BatchAnswer struct {
	Decisions  map[string]authz.Decision `json:"decisions,omitempty"`
	Operations map[string][]string       `json:"operations,omitempty"`
	User       *UserView                 `json:"user"`
}

// AuthorizeBatch answers for up to 1,000 elements in one query.
func (s *Service) AuthorizeBatch(ctx context.Context, m Meta, caller *Principal, r AuthzRequest) (BatchAnswer, error) {
	switch {
	case len(r.Elements) == 0:
		return BatchAnswer{}, apierror.Required("elements")
	case len(r.Elements) > maxBatch:
		return BatchAnswer{}, invalid("at most %d elements per batch", maxBatch)
	case r.Operation != "" && len(r.Operations) > 0:
		return BatchAnswer{}, invalid("give operation or operations, not both")
	case r.Operation == "" && len(r.Operations) == 0:
		return BatchAnswer{}, apierror.Required("operation")
	}
	comp, err := s.component(r.Component)
	if err != nil {
		return BatchAnswer{}, err
	}
	names := r.Operations
	if r.Operation != "" {
		names = []string{r.Operation}
	}
	ops := make([]store.Operation, 0, len(names))
	for _, n := range names {
		op, err := s.store.OperationByName(n)
		if err != nil {
			return BatchAnswer{}, err
		}
		if !slices.ContainsFunc(ops, func(o store.Operation) bool { return o.Name == op.Name }) {
			ops = append(ops, op)
		}
	}
	who, view, why, err := s.subjectFor(ctx, caller, r)
	if err != nil {
		return BatchAnswer{}, err
	}
	var rows []store.ChainGrant
	if why == "" && who.IsActive && !who.IsAdmin {
		refused := func(rows []store.ChainGrant) bool {
			for _, op := range ops {
				for _, d := range authz.DecideBatch(who, r.Elements, op, rows) {
					if !d.Allowed {
						return true
					}
				}
			}
			return false
		}
		if rows, err = s.grantsFor(ctx, who, comp, r.Elements, refused); err != nil {
			return BatchAnswer{}, err
		}
	}
	if len(r.Operations) > 0 {
		// A question about what the subject may do attempts nothing: its
		// "no" answers are not audited as denials, and carry no reason to
		// conceal (an element that does not exist reads as one with no grant).
		out := BatchAnswer{Operations: make(map[string][]string, len(r.Elements)), User: view}
		for _, e := range r.Elements {
			out.Operations[e] = []string{}
		}
		if why != "" {
			return out, nil
		}
		for _, op := range ops {
			for e, d := range authz.DecideBatch(who, r.Elements, op, rows) {
				if d.Allowed {
					out.Operations[e] = append(out.Operations[e], op.Name)
				}
			}
		}
		return out, nil
	}
	out := BatchAnswer{Decisions: make(map[string]authz.Decision, len(r.Elements)), User: view}
	if why != "" {
		for _, e := range r.Elements {
			out.Decisions[e] = authz.Decision{Reason: why}
		}
		return out, nil
	}
	out.Decisions = authz.DecideBatch(who, r.Elements, ops[0], rows)
	// One audit line for the denials of a batch: a batch filters a page, and
	// a line per element would drown the trail.
	var denied []string
	for _, e := range r.Elements {
		if !out.Decisions[e].Allowed {
			denied = append(denied, e)
		}
	}
	if len(denied) > 0 {
		s.auditDenied(ctx, m, &who, "authorize.batch", fmt.Sprintf("%d elements", len(r.Elements)),
			fmt.Sprintf("%s: %d denied: %s", r.Operation, len(denied), strings.Join(denied[:min(len(denied), 20)], ", ")))
	}
	if !isAdmin(caller) {
		for _, e := range denied {
			out.Decisions[e] = authz.Concealed(who, r.Operation, out.Decisions[e])
		}
	}
	return out, nil
}

// ReadableAnswer is the set of elements of one kind the subject may access.
type ReadableAnswer struct {
	authz.Readable
	User *UserView `json:"user"`
}

// Readable answers "which elements of kind K may this user <operation>" in
// one query, for building search filters.
func (s *Service) Readable(ctx context.Context, caller *Principal, r AuthzRequest) (ReadableAnswer, error) {
	if r.Kind == "" {
		return ReadableAnswer{}, apierror.Required("kind")
	}
	if !kinds[r.Kind] {
		return ReadableAnswer{}, invalid("kind must be one of %s", strings.Join(catalogue.KindNames(), ", "))
	}
	if r.Operation == "" {
		r.Operation = "read"
	}
	comp, err := s.component(r.Component)
	if err != nil {
		return ReadableAnswer{}, err
	}
	op, err := s.store.OperationByName(r.Operation)
	if err != nil {
		return ReadableAnswer{}, err
	}
	if op.Ordinal == 0 {
		return ReadableAnswer{}, invalid("operation must be one of %s (create is no access to elements)", strings.Join(catalogue.Ordered(), ", "))
	}
	who, view, why, err := s.subjectFor(ctx, caller, r)
	if err != nil {
		return ReadableAnswer{}, err
	}
	if why != "" {
		return ReadableAnswer{Readable: authz.Reduce(authz.Subject{}, nil)}, nil
	}
	var rows []store.ReachRow
	if who.IsActive && !who.IsAdmin {
		if rows, err = s.store.Reach(ctx, who.ID, comp, r.Kind, op.Ordinal); err != nil {
			return ReadableAnswer{}, err
		}
	}
	return ReadableAnswer{Readable: authz.Reduce(who, rows), User: view}, nil
}

// AuditView is an audit entry as admins see it.
type AuditView struct {
	ID        uint64 `json:"id"`
	At        string `json:"at"`
	Actor     string `json:"actor"`
	Action    string `json:"action"`
	Target    string `json:"target"`
	Result    string `json:"result"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
	ClientIP  string `json:"client_ip"`
}

// Audit lists the trail (admins only).
func (s *Service) Audit(ctx context.Context, p Principal, f store.AuditFilter, page store.Page) ([]AuditView, int64, error) {
	if err := requireAdmin(p); err != nil {
		return nil, 0, err
	}
	// Denials queued before this call are part of the answer.
	s.denials.Flush(ctx)
	rows, total, err := s.store.Audit(ctx, f, page)
	out := make([]AuditView, 0, len(rows))
	for _, e := range rows {
		out = append(out, AuditView{ID: e.ID, At: e.At.UTC().Format(time.RFC3339Nano), Actor: e.Actor, Action: e.Action, Target: e.Target, Result: e.Result, Detail: e.Detail, RequestID: e.RequestID, ClientIP: e.ClientIP})
	}
	return out, total, err
}
