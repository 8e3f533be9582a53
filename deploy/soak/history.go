package soak

import (
	"sync"
	"time"
)

// flip is one change of a user's read grant on its neighbour's
// experiment: when the admin's request was sent and when its answer came.
type flip struct {
	sent, acked time.Time
	allowed     bool
}

// history is the flips of one user's grant, in order (one admin makes
// them, one at a time). Before the first, the user may not read.
type history struct {
	mu      sync.Mutex
	flips   []flip
	unknown bool // a change failed: what it left is not known
}

// begin records a change about to be sent: until done says when it was
// acknowledged (plus any lag allowed before it must be honoured), every
// request answered after sent is of unknown outcome.
func (h *history) begin(sent time.Time, allowed bool) (done func(acked time.Time)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.flips = append(h.flips, flip{sent: sent, acked: pending, allowed: allowed})
	i := len(h.flips) - 1
	return func(acked time.Time) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.flips[i].acked = acked
	}
}

// pending is the acknowledgement time of a change not yet acknowledged.
var pending = time.Unix(1<<62, 0)

func (h *history) lose() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.unknown = true
}

// expect is what a request sent at sent and answered at answered must
// have seen: known only when no change was under way while it was (every
// change acknowledged before it was sent, or sent after it was answered).
// ML Studio honours a change on the very next request through the
// ml_studio that made it, so nothing is allowed for lag.
func (h *history) expect(sent, answered time.Time) (allowed, known bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.unknown {
		return false, false
	}
	for i := len(h.flips) - 1; i >= 0; i-- {
		f := h.flips[i]
		if f.sent.After(answered) {
			continue // made after the answer: no bearing
		}
		if !f.acked.Before(sent) {
			return false, false // under way during the request
		}
		return f.allowed, true
	}
	return false, true
}
