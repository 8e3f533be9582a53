// Package access decides whether a call may go on: it names the element and
// operation a call needs (the route table) and asks cerberus, through a
// decision cache that drops an answer once a newer access revision is
// heard of.
package access

import (
	"context"
	"crypto/sha256"
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/cerberus"
)

// Authority is what the authorizer needs from cerberus.
type Authority interface {
	Authorize(ctx context.Context, cred cerberus.Credential, element, op string) (cerberus.Decision, error)
	AuthorizeBatch(ctx context.Context, cred cerberus.Credential, elements []string, op string) (map[string]cerberus.Decision, error)
	Readable(ctx context.Context, cred cerberus.Credential, kind, op string) (cerberus.Readable, error)
}

// Authorizer asks cerberus, remembering answers for at most a TTL and,
// when it follows the access revision (FollowRevisions), only while no
// newer revision is known.
type Authorizer struct {
	authority Authority
	revisions *cerberus.Revisions
	grace     time.Duration
	now       func() time.Time
	decisions *expirable.LRU[string, kept[cerberus.Decision]]
	readable  *expirable.LRU[string, kept[cerberus.Readable]]
}

// kept is a remembered answer and the access revision it reflects.
type kept[T any] struct {
	v   T
	rev uint64
}

// NewAuthorizer returns an authorizer remembering answers for at most ttl
// (0 turns the cache off). Until FollowRevisions, an answer lives for ttl
// whatever changes meanwhile (tests' fakes).
func NewAuthorizer(a Authority, ttl time.Duration) *Authorizer {
	z := &Authorizer{authority: a, now: time.Now}
	if ttl > 0 {
		z.decisions = expirable.NewLRU[string, kept[cerberus.Decision]](50_000, nil, ttl)
		z.readable = expirable.NewLRU[string, kept[cerberus.Readable]](5_000, nil, ttl)
	}
	return z
}

// FollowRevisions makes the cache reuse an answer only while no newer
// access revision than the one it reflects has been heard of, so a change
// is honoured as soon as ml_studio hears of it: on the next request after a
// change made through it (the answer to the change names its revision),
// within a poll (cerberus.Client.Watch) after one made elsewhere. Answers
// are reused only within grace after cerberus last vouched for its
// revision: in an outage of cerberus or of its database a change cannot
// be heard of, so afterwards every call asks cerberus, and fails closed
// while it does not answer. Call it before the authorizer is used.
func (z *Authorizer) FollowRevisions(revisions *cerberus.Revisions, grace time.Duration) *Authorizer {
	z.revisions, z.grace = revisions, grace
	return z
}

// current reports whether an answer reflecting rev may still be used.
func (z *Authorizer) current(rev uint64) bool {
	if z.revisions == nil {
		return true
	}
	return rev >= z.revisions.Latest() && z.now().Sub(z.revisions.Heard()) <= z.grace
}

// keepable says whether an answer may be remembered, and under which revision.
func (z *Authorizer) keepable(r cerberus.Revision) (uint64, bool) {
	if z.revisions == nil {
		return 0, true
	}
	return r.N, r.Known && z.current(r.N)
}

// lookup is a remembered answer that is still current.
func lookup[T any](z *Authorizer, c *expirable.LRU[string, kept[T]], k string) (T, bool) {
	var zero T
	if c == nil {
		return zero, false
	}
	e, ok := c.Get(k)
	if !ok || !z.current(e.rev) {
		return zero, false
	}
	return e.v, true
}

// remember keeps an answer reflecting r, unless a newer revision is known.
func remember[T any](z *Authorizer, c *expirable.LRU[string, kept[T]], k string, v T, r cerberus.Revision) {
	if c == nil {
		return
	}
	if rev, ok := z.keepable(r); ok {
		c.Add(k, kept[T]{v: v, rev: rev})
	}
}

// key never holds the credential itself, only a digest of it.
func key(cred cerberus.Credential, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(cred))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return string(h.Sum(nil))
}

// Require returns nil when the caller may do op on element, and a 403
// naming the element otherwise. Errors reaching cerberus are 503s.
func (z *Authorizer) Require(ctx context.Context, cred cerberus.Credential, element, op string) error {
	d, err := z.decide(ctx, cred, element, op)
	if err != nil {
		return err
	}
	if !d.Allowed {
		// The element is named by kind only: a call addressed by run id must
		// not learn which experiment the run belongs to.
		return apierror.Forbidden("you do not have %s access to this %s", op, kindName(element))
	}
	return nil
}

func (z *Authorizer) decide(ctx context.Context, cred cerberus.Credential, element, op string) (cerberus.Decision, error) {
	if cred == "" {
		return cerberus.Decision{}, apierror.Unauthorized("sign in first: send Authorization: Bearer <token> or basic credentials")
	}
	k := key(cred, element, op)
	if d, ok := lookup(z, z.decisions, k); ok {
		return d, nil
	}
	d, err := z.authority.Authorize(ctx, cred, element, op)
	if err != nil {
		return d, err
	}
	remember(z, z.decisions, k, d, d.Revision)
	return d, nil
}

// Authenticate returns nil when cred is a valid credential (cerberus
// answers a decision for it, allowed or not) and its 401 otherwise.
func (z *Authorizer) Authenticate(ctx context.Context, cred cerberus.Credential) error {
	_, err := z.decide(ctx, cred, Root, Read)
	return err
}

// Username is who cred is, as cerberus names them; the answer is cached
// with the caller's decisions.
func (z *Authorizer) Username(ctx context.Context, cred cerberus.Credential) (string, error) {
	d, err := z.decide(ctx, cred, Root, Read)
	if err != nil {
		return "", err
	}
	if d.User == nil || d.User.Username == "" {
		return "", apierror.BadGateway(nil, "cerberus did not say who the caller is")
	}
	return d.User.Username, nil
}

// Forget drops what the cache remembers of the caller's access to element:
// after ml_studio itself registers it (a model created under a name the
// caller was just refused), the next check must ask cerberus again. Other
// callers' answers go when the registration's revision is heard of.
func (z *Authorizer) Forget(cred cerberus.Credential, element string) {
	if z.decisions == nil {
		return
	}
	for _, op := range []string{Use, Read, Edit, Manage, Create} {
		z.decisions.Remove(key(cred, element, op))
	}
	kind, _, _ := strings.Cut(element, ":")
	z.readable.Remove(key(cred, "readable", kind)) // the caller's set of that kind lacks it
}

// Allowed filters elements down to those the caller may do op on. Each
// element is looked up in the decision cache first (Require shares it), and
// only the misses go to cerberus, in one batch call, so repeated searches
// over the same experiments do not ask cerberus every time. An element
// cerberus leaves out of its answer is refused and not remembered.
func (z *Authorizer) Allowed(ctx context.Context, cred cerberus.Credential, elements []string, op string) (map[string]bool, error) {
	if cred == "" {
		return nil, apierror.Unauthorized("sign in first: send Authorization: Bearer <token> or basic credentials")
	}
	out := make(map[string]bool, len(elements))
	var missing []string
	for _, e := range elements {
		if _, done := out[e]; done {
			continue
		}
		if d, ok := lookup(z, z.decisions, key(cred, e, op)); ok {
			out[e] = d.Allowed
			continue
		}
		out[e] = false // refused until cerberus says otherwise; also marks e as asked
		missing = append(missing, e)
	}
	if len(missing) == 0 {
		return out, nil
	}
	decisions, err := z.authority.AuthorizeBatch(ctx, cred, missing, op)
	if err != nil {
		return nil, err
	}
	for _, e := range missing {
		d, ok := decisions[e]
		if !ok {
			continue
		}
		out[e] = d.Allowed
		remember(z, z.decisions, key(cred, e, op), d, d.Revision)
	}
	return out, nil
}

// Readable is the set of elements of kind the caller may read.
func (z *Authorizer) Readable(ctx context.Context, cred cerberus.Credential, kind string) (Set, error) {
	if cred == "" {
		return Set{}, apierror.Unauthorized("sign in first: send Authorization: Bearer <token> or basic credentials")
	}
	k := key(cred, "readable", kind)
	if r, ok := lookup(z, z.readable, k); ok {
		return newSet(r), nil
	}
	r, err := z.authority.Readable(ctx, cred, kind, "read")
	if err != nil {
		return Set{}, err
	}
	remember(z, z.readable, k, r, r.Revision)
	return newSet(r), nil
}

// Set answers membership in a readable set.
type Set struct {
	all   bool
	names map[string]bool // with all: the exceptions
}

func newSet(r cerberus.Readable) Set {
	s := Set{all: r.All, names: map[string]bool{}}
	list := r.Names
	if r.All {
		list = r.Except
	}
	for _, n := range list {
		s.names[n] = true
	}
	return s
}

// Has reports whether element is in the set.
func (s Set) Has(element string) bool {
	if s.all {
		return !s.names[element]
	}
	return s.names[element]
}

// Element names: the one place they are spelled.
//
// Experiment is an experiment's element. MLflow reads an experiment id as
// Python's int() does, so "015", " 15", "+15", "1_5" and "١٥" all name
// experiment 15, while cerberus lets anyone who may create in a project
// register "experiment:015". Only the canonical decimal spelling therefore
// names an element; any other gets "experiment:", which cerberus never
// registers (an element needs a key), so only admins pass.
func Experiment(id string) string {
	if !canonicalID(id) {
		return "experiment:"
	}
	return "experiment:" + id
}

// canonicalID reports whether id is a decimal number as MLflow writes it:
// ASCII digits, no sign, no leading zero.
func canonicalID(id string) bool {
	if id == "" || (id[0] == '0' && len(id) > 1) {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// Model is a registered model's element.
func Model(name string) string { return "registered_model:" + name }

// Project is a project's element.
func Project(key string) string { return "project:" + key }

// Listed are the set's elements when it is a plain list; false when it is
// "everything" (with or without exceptions).
func (s Set) Listed() ([]string, bool) {
	if s.all {
		return nil, false
	}
	out := make([]string, 0, len(s.names))
	for n := range s.names {
		out = append(out, n)
	}
	return out, true
}

// Everything reports whether the set holds every element.
func (s Set) Everything() bool { return s.all && len(s.names) == 0 }

// Root is the element standing for the whole component.
const Root = "*"

// kindName is an element's kind in words.
func kindName(element string) string {
	switch kind, _, _ := strings.Cut(element, ":"); kind {
	case "registered_model":
		return "model"
	case "*":
		return "server"
	default:
		return kind
	}
}
