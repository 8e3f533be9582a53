package cerberus

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Cerberus stamps every /api answer with its access revision, a number
// that grows with every change to who may do what (cerberus's api package
// names the same headers).
const (
	// RevisionHeader: every decision in the answer reflects at least this
	// revision; absent when that cerberus cannot vouch for one.
	RevisionHeader = "X-Access-Revision"
	// LatestRevisionHeader: the newest revision that cerberus has applied,
	// which covers a change the request itself made.
	LatestRevisionHeader = "X-Access-Revision-Latest"
)

// Revision is the access revision an answer reflects. Known is false when
// cerberus vouched for none: such an answer must not be kept.
type Revision struct {
	N     uint64
	Known bool
}

// Revisions is what ml_studio has heard of the access revision: the
// newest any cerberus applied, and when one last vouched for its own.
// Every answer from cerberus goes through Observe: the client's calls,
// the relayed account routes (Transport) and the poll (Watch).
type Revisions struct {
	latest atomic.Uint64
	heard  atomic.Int64 // unix nanoseconds; 0: never
}

// Latest is the newest revision heard of: an answer reflecting less is out of date.
func (r *Revisions) Latest() uint64 { return r.latest.Load() }

// Heard is when a cerberus last vouched for its revision (zero: never).
func (r *Revisions) Heard() time.Time {
	n := r.heard.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// Observe takes the revision headers of an answer received at at, and
// returns the revision the answer's decisions reflect.
func (r *Revisions) Observe(h http.Header, at time.Time) Revision {
	if latest, err := strconv.ParseUint(h.Get(LatestRevisionHeader), 10, 64); err == nil {
		for {
			old := r.latest.Load()
			if latest <= old || r.latest.CompareAndSwap(old, latest) {
				break
			}
		}
	}
	floor, err := strconv.ParseUint(h.Get(RevisionHeader), 10, 64)
	if err != nil {
		return Revision{}
	}
	for {
		old := r.heard.Load()
		if at.UnixNano() <= old || r.heard.CompareAndSwap(old, at.UnixNano()) {
			break
		}
	}
	return Revision{N: floor, Known: true}
}

// Revisions is what this client has heard of the access revision.
func (c *Client) Revisions() *Revisions { return c.revisions }

// Transport is a round tripper to cerberus that observes the revision of
// every answer: relayed requests that change access (a grant given through
// ml_studio) make the decision cache drop what it holds before the
// caller's next request.
func (c *Client) Transport() http.RoundTripper { return observing{c} }

type observing struct{ c *Client }

func (o observing) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := o.c.http.RoundTrip(req)
	if err == nil {
		o.c.revisions.Observe(resp.Header, time.Now())
	}
	return resp, err
}

// Watch asks cerberus for its access revision every interval until ctx
// ends, so that a change made through another ml_studio or straight at
// cerberus (or another replica of it) reaches the decision cache within
// about one interval. A failed poll only leaves Heard behind.
func (c *Client) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		poll, cancel := context.WithTimeout(ctx, max(every, time.Second))
		_, _ = c.send(poll, http.MethodGet, "", "/api/access/revision", nil, nil)
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
