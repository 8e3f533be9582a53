package access_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/cerberus"
)

// authority answers from a fixed grant table and records what it was asked.
type authority struct {
	mu      sync.Mutex
	allowed map[string]bool   // element → allowed, for every credential and operation
	omit    map[string]bool   // elements left out of batch answers
	fail    error             // when set, every call fails with it
	singles []string          // elements of Authorize calls
	batches [][]string        // elements of AuthorizeBatch calls
	rev     cerberus.Revision // the access revision of every answer
}

func (a *authority) Authorize(_ context.Context, _ cerberus.Credential, element, op string) (cerberus.Decision, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.singles = append(a.singles, element)
	if a.fail != nil {
		return cerberus.Decision{}, a.fail
	}
	return cerberus.Decision{Allowed: a.allowed[element], Revision: a.rev}, nil
}

func (a *authority) AuthorizeBatch(_ context.Context, _ cerberus.Credential, elements []string, _ string) (map[string]cerberus.Decision, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.batches = append(a.batches, slices.Clone(elements))
	if a.fail != nil {
		return nil, a.fail
	}
	out := map[string]cerberus.Decision{}
	for _, e := range elements {
		if !a.omit[e] {
			out[e] = cerberus.Decision{Allowed: a.allowed[e], Revision: a.rev}
		}
	}
	return out, nil
}

func (a *authority) Readable(context.Context, cerberus.Credential, string, string) (cerberus.Readable, error) {
	return cerberus.Readable{}, errors.New("not used")
}

func (a *authority) asked() (singles []string, batches [][]string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.singles), slices.Clone(a.batches)
}

// step is one call to the authorizer and what it must do.
type step struct {
	cred      cerberus.Credential
	op        string
	elements  []string // Allowed when set, else Require(element)
	element   string
	fail      error           // the authority fails during this step
	want      map[string]bool // Allowed's answer
	wantErr   int             // HTTP status of the error, 0 for none
	wantBatch []string        // the one batch call this step makes; nil for none
	wantOne   string          // the one single call this step makes; "" for none
	sleep     time.Duration   // before the step
	omit      map[string]bool // left out of the authority's answers during this step
}

const (
	bearerA = cerberus.Credential("Bearer a")
	bearerB = cerberus.Credential("Bearer b")
)

func TestAllowedUsesTheDecisionCache(t *testing.T) {
	grants := map[string]bool{"experiment:1": true, "experiment:2": false, "experiment:3": true}
	down := apierror.Unavailable(errors.New("dial tcp: refused"), "the authorization service is unavailable")
	both := []string{"experiment:1", "experiment:2"}
	tests := []struct {
		name  string
		ttl   time.Duration
		steps []step
	}{
		{"cache off: every call asks", 0, []step{
			{cred: bearerA, elements: both, want: map[string]bool{"experiment:1": true, "experiment:2": false}, wantBatch: both},
			{cred: bearerA, elements: both, want: map[string]bool{"experiment:1": true, "experiment:2": false}, wantBatch: both},
		}},
		{"cache on: the repeat asks nothing", time.Minute, []step{
			{cred: bearerA, elements: both, want: map[string]bool{"experiment:1": true, "experiment:2": false}, wantBatch: both},
			{cred: bearerA, elements: both, want: map[string]bool{"experiment:1": true, "experiment:2": false}},
		}},
		{"only the misses are asked", time.Minute, []step{
			{cred: bearerA, elements: []string{"experiment:1"}, want: map[string]bool{"experiment:1": true}, wantBatch: []string{"experiment:1"}},
			{cred: bearerA, elements: []string{"experiment:1", "experiment:3", "experiment:2"},
				want: map[string]bool{"experiment:1": true, "experiment:2": false, "experiment:3": true}, wantBatch: []string{"experiment:3", "experiment:2"}},
		}},
		{"duplicates are asked once", time.Minute, []step{
			{cred: bearerA, elements: []string{"experiment:2", "experiment:1", "experiment:2"},
				want: map[string]bool{"experiment:1": true, "experiment:2": false}, wantBatch: []string{"experiment:2", "experiment:1"}},
		}},
		{"no elements, no call", time.Minute, []step{
			{cred: bearerA, elements: []string{}, want: map[string]bool{}},
		}},
		{"another credential is asked again", time.Minute, []step{
			{cred: bearerA, elements: both, want: map[string]bool{"experiment:1": true, "experiment:2": false}, wantBatch: both},
			{cred: bearerB, elements: both, want: map[string]bool{"experiment:1": true, "experiment:2": false}, wantBatch: both},
		}},
		{"another operation is asked again", time.Minute, []step{
			{cred: bearerA, op: access.Read, elements: both, want: map[string]bool{"experiment:1": true, "experiment:2": false}, wantBatch: both},
			{cred: bearerA, op: access.Edit, elements: both, want: map[string]bool{"experiment:1": true, "experiment:2": false}, wantBatch: both},
		}},
		{"no credential: 401, nothing asked", time.Minute, []step{
			{cred: "", elements: both, wantErr: http.StatusUnauthorized},
		}},
		{"cerberus down: the error, nothing remembered", time.Minute, []step{
			{cred: bearerA, elements: both, fail: down, wantErr: http.StatusServiceUnavailable, wantBatch: both},
			{cred: bearerA, elements: both, want: map[string]bool{"experiment:1": true, "experiment:2": false}, wantBatch: both},
		}},
		{"cerberus down with part cached: still the error", time.Minute, []step{
			{cred: bearerA, elements: []string{"experiment:1"}, want: map[string]bool{"experiment:1": true}, wantBatch: []string{"experiment:1"}},
			{cred: bearerA, elements: both, fail: down, wantErr: http.StatusServiceUnavailable, wantBatch: []string{"experiment:2"}},
		}},
		{"an element left out of the answer is refused and asked again", time.Minute, []step{
			{cred: bearerA, elements: both, omit: map[string]bool{"experiment:1": true},
				want: map[string]bool{"experiment:1": false, "experiment:2": false}, wantBatch: both},
			{cred: bearerA, elements: both, want: map[string]bool{"experiment:1": true, "experiment:2": false}, wantBatch: []string{"experiment:1"}},
		}},
		{"Require fills the cache for Allowed", time.Minute, []step{
			{cred: bearerA, element: "experiment:1", wantOne: "experiment:1"},
			{cred: bearerA, elements: both, want: map[string]bool{"experiment:1": true, "experiment:2": false}, wantBatch: []string{"experiment:2"}},
		}},
		{"Allowed fills the cache for Require", time.Minute, []step{
			{cred: bearerA, elements: both, want: map[string]bool{"experiment:1": true, "experiment:2": false}, wantBatch: both},
			{cred: bearerA, element: "experiment:1"},
			{cred: bearerA, element: "experiment:2", wantErr: http.StatusForbidden},
		}},
		{"answers expire after the TTL", 50 * time.Millisecond, []step{
			{cred: bearerA, elements: both, want: map[string]bool{"experiment:1": true, "experiment:2": false}, wantBatch: both},
			{cred: bearerA, elements: both, want: map[string]bool{"experiment:1": true, "experiment:2": false}, sleep: 250 * time.Millisecond, wantBatch: both},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &authority{allowed: grants}
			z := access.NewAuthorizer(a, tt.ttl)
			for i, s := range tt.steps {
				time.Sleep(s.sleep)
				a.mu.Lock()
				a.fail, a.omit = s.fail, s.omit
				a.mu.Unlock()
				singles0, batches0 := a.asked()
				op := s.op
				if op == "" {
					op = access.Read
				}
				var (
					got map[string]bool
					err error
				)
				if s.elements != nil {
					got, err = z.Allowed(t.Context(), s.cred, s.elements, op)
				} else {
					err = z.Require(t.Context(), s.cred, s.element, op)
				}
				if status := statusOf(err); status != s.wantErr {
					t.Fatalf("step %d: error %v (status %d), want status %d", i, err, status, s.wantErr)
				}
				if s.elements != nil && s.wantErr == 0 && !maps.Equal(got, s.want) {
					t.Errorf("step %d: Allowed = %v, want %v", i, got, s.want)
				}
				singles, batches := a.asked()
				newBatches, newSingles := batches[len(batches0):], singles[len(singles0):]
				switch {
				case s.wantBatch == nil && len(newBatches) != 0:
					t.Errorf("step %d: asked cerberus %v, want no batch call", i, newBatches)
				case s.wantBatch != nil && (len(newBatches) != 1 || !slices.Equal(newBatches[0], s.wantBatch)):
					t.Errorf("step %d: batch calls %v, want one for %v", i, newBatches, s.wantBatch)
				}
				if want := s.wantOne; (want == "" && len(newSingles) != 0) || (want != "" && !slices.Equal(newSingles, []string{want})) {
					t.Errorf("step %d: single calls %v, want %q", i, newSingles, want)
				}
			}
		})
	}
}

func statusOf(err error) int {
	if err == nil {
		return 0
	}
	return apierror.Resolve(err).Status
}

// TestForgetAfterRegistering: a refusal remembered for an element (a model
// name looked up before it existed) is not served once ml_studio has
// registered the element for the caller.
func TestForgetAfterRegistering(t *testing.T) {
	a := &authority{allowed: map[string]bool{}}
	z := access.NewAuthorizer(a, time.Minute)
	ctx, cred, model := context.Background(), cerberus.Credential("Bearer mlt_alice"), access.Model("new")
	if err := z.Require(ctx, cred, model, access.Read); err == nil {
		t.Fatal("allowed before it exists")
	}
	a.mu.Lock()
	a.allowed[model] = true // registered: cerberus now allows
	a.mu.Unlock()
	if err := z.Require(ctx, cred, model, access.Read); err == nil {
		t.Fatal("the cached refusal should still be served: the test proves nothing")
	}
	z.Forget(cred, model)
	if err := z.Require(ctx, cred, model, access.Read); err != nil {
		t.Fatalf("after Forget: %v", err)
	}
}

// TestAnswersFollowTheRevision: an answer is reused only while no newer
// access revision has been heard of, and only within the grace after
// cerberus last vouched for its revision; an answer from a cerberus that
// lags behind (or vouches for nothing) is used once, not kept.
func TestAnswersFollowTheRevision(t *testing.T) {
	const grace = 200 * time.Millisecond
	revision := func(n uint64) cerberus.Revision { return cerberus.Revision{N: n, Known: true} }
	down := apierror.Unavailable(errors.New("dial tcp: refused"), "the authorization service is unavailable")
	type event struct {
		heard   *uint64       // a poll: cerberus vouches for this revision (latest too)
		latest  *uint64       // an answer naming a newer latest revision only (a write's)
		sleep   time.Duration // before the event
		answers cerberus.Revision
		fail    error
		asks    bool // the call goes to cerberus
		wantErr int
	}
	n := func(v uint64) *uint64 { return &v }
	tests := []struct {
		name   string
		events []event
	}{
		{"kept while the revision stands", []event{
			{heard: n(5), answers: revision(5), asks: true},
			{asks: false},
			{heard: n(5), asks: false},
		}},
		{"a newer revision drops it", []event{
			{heard: n(5), answers: revision(5), asks: true},
			{latest: n(6), answers: revision(6), asks: true},
			{asks: false},
		}},
		{"a lagging replica's answer is used, not kept", []event{
			{heard: n(5), answers: revision(5), asks: true},
			{latest: n(6), answers: revision(5), asks: true},
			{answers: revision(6), asks: true},
			{asks: false},
		}},
		{"an answer vouching for nothing is not kept", []event{
			{heard: n(5), answers: cerberus.Revision{}, asks: true},
			{answers: revision(5), asks: true},
			{asks: false},
		}},
		{"an outage within the grace: answers still served", []event{
			{heard: n(5), answers: revision(5), asks: true},
			{fail: down, asks: false},
		}},
		{"an outage past the grace: cerberus is asked and fails closed", []event{
			{heard: n(5), answers: revision(5), asks: true},
			{fail: down, asks: false},
			{sleep: grace + 100*time.Millisecond, fail: down, asks: true, wantErr: http.StatusServiceUnavailable},
			{heard: n(5), asks: false}, // back: what was kept is current again
		}},
		{"nothing heard yet: nothing kept", []event{
			{answers: revision(0), asks: true},
			{answers: revision(0), asks: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			revs := &cerberus.Revisions{}
			a := &authority{allowed: map[string]bool{"experiment:1": true}}
			z := access.NewAuthorizer(a, time.Hour).FollowRevisions(revs, grace)
			for i, e := range tt.events {
				h := http.Header{}
				if e.heard != nil {
					h.Set(cerberus.RevisionHeader, strconv.FormatUint(*e.heard, 10))
					h.Set(cerberus.LatestRevisionHeader, strconv.FormatUint(*e.heard, 10))
				}
				if e.latest != nil {
					h.Set(cerberus.LatestRevisionHeader, strconv.FormatUint(*e.latest, 10))
				}
				time.Sleep(e.sleep)
				revs.Observe(h, time.Now())
				a.mu.Lock()
				a.fail, a.rev = e.fail, e.answers
				a.mu.Unlock()
				before, _ := a.asked()
				err := z.Require(t.Context(), bearerA, "experiment:1", access.Read)
				if status := statusOf(err); status != e.wantErr {
					t.Fatalf("event %d: error %v (status %d), want %d", i, err, status, e.wantErr)
				}
				after, _ := a.asked()
				if asked := len(after) > len(before); asked != e.asks {
					t.Fatalf("event %d: asked cerberus %v, want %v", i, asked, e.asks)
				}
			}
		})
	}
}
