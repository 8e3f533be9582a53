package authn

import (
	"container/list"
	"sync"
	"time"
)

// Throttle defaults, used for zero (or negative) ThrottleConfig fields.
const (
	DefaultMaxFailures = 5
	DefaultWindow      = 15 * time.Minute
	DefaultLockout     = 15 * time.Minute
	DefaultMaxKeys     = 100_000
)

// ThrottleConfig configures a Throttle. Zero fields get the defaults above
// and time.Now.
type ThrottleConfig struct {
	// MaxFailures failures of one key within Window lock that key.
	MaxFailures int
	Window      time.Duration
	// Lockout is how long a key stays locked, from the failure that locked it.
	Lockout time.Duration
	// MaxKeys bounds memory: beyond it the least recently touched key is
	// forgotten. Keep it well above the number of keys seen per Window, or a
	// flood of new keys (e.g. spoofed user names) evicts real counters early.
	MaxKeys int
	Now     func() time.Time
}

// Throttle counts failed logins per key (e.g. "user:alice", "ip:10.0.0.1")
// and locks keys that fail too often. It is safe for concurrent use.
//
// The rule: when a key's MaxFailures-th failure within Window is recorded,
// the key is locked for Lockout. Failures while locked are ignored, so the
// lockout end — and the Retry-After given — stays fixed. When the lockout
// ends the key starts afresh with no failures.
type Throttle struct {
	cfg ThrottleConfig

	mu      sync.Mutex
	lru     *list.List // of *throttleEntry; front is most recently touched
	entries map[string]*list.Element
}

type throttleEntry struct {
	key string
	// failures holds the times of recent failures, oldest first; at most
	// MaxFailures, since older ones cannot change the outcome.
	failures    []time.Time
	lockedUntil time.Time // zero when not locked
}

// NewThrottle returns a Throttle with cfg's zero fields defaulted.
func NewThrottle(cfg ThrottleConfig) *Throttle {
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = DefaultMaxFailures
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Lockout <= 0 {
		cfg.Lockout = DefaultLockout
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Throttle{cfg: cfg, lru: list.New(), entries: make(map[string]*list.Element)}
}

// Check reports whether any of keys is locked and, if so, how long until all
// of them are unlocked (the longest remaining lockout, rounded up to whole
// seconds, at least 1 s) — suitable for a Retry-After header.
func (t *Throttle) Check(keys ...string) (retryAfter time.Duration, blocked bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.cfg.Now()
	for _, key := range keys {
		el, ok := t.entries[key]
		if !ok {
			continue
		}
		e := el.Value.(*throttleEntry)
		if left := e.lockedUntil.Sub(now); left > 0 {
			blocked = true
			retryAfter = max(retryAfter, left)
			t.lru.MoveToFront(el)
			continue
		}
		if t.expire(e, now) {
			t.remove(el)
		}
	}
	if !blocked {
		return 0, false
	}
	// Round up: a client retrying after a rounded-down value would still be
	// locked out.
	return max(time.Second, (retryAfter + time.Second - 1).Truncate(time.Second)), true
}

// Fail records one failed login for each of keys.
func (t *Throttle) Fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.cfg.Now()
	for _, key := range keys {
		e := t.touch(key)
		if e.lockedUntil.After(now) {
			continue
		}
		t.expire(e, now)
		e.failures = append(e.failures, now)
		if len(e.failures) >= t.cfg.MaxFailures {
			e.lockedUntil = now.Add(t.cfg.Lockout)
			e.failures = e.failures[:0]
		}
	}
}

// Reset forgets key, e.g. the user key after a successful login. Which keys
// to reset is the caller's choice: resetting the IP key too would let one
// valid account launder an attacker's failures against others.
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.entries[key]; ok {
		t.remove(el)
	}
}

// Len returns the number of keys tracked.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}

// touch returns key's entry, creating it (and evicting the least recently
// touched entry beyond MaxKeys) if needed, and marks it most recently used.
func (t *Throttle) touch(key string) *throttleEntry {
	if el, ok := t.entries[key]; ok {
		t.lru.MoveToFront(el)
		return el.Value.(*throttleEntry)
	}
	e := &throttleEntry{key: key}
	t.entries[key] = t.lru.PushFront(e)
	for len(t.entries) > t.cfg.MaxKeys {
		t.remove(t.lru.Back())
	}
	return e
}

func (t *Throttle) remove(el *list.Element) {
	delete(t.entries, t.lru.Remove(el).(*throttleEntry).key)
}

// expire drops an ended lockout and failures that have left the window, and
// reports whether the entry is now empty (so it can be forgotten).
func (t *Throttle) expire(e *throttleEntry, now time.Time) bool {
	if !e.lockedUntil.IsZero() && !e.lockedUntil.After(now) {
		e.lockedUntil = time.Time{}
		e.failures = e.failures[:0]
	}
	cutoff := now.Add(-t.cfg.Window)
	i := 0
	for i < len(e.failures) && !e.failures[i].After(cutoff) {
		i++
	}
	// Shift rather than reslice so the backing array does not creep forward
	// and grow on every append.
	e.failures = e.failures[:copy(e.failures, e.failures[i:])]
	return e.lockedUntil.IsZero() && len(e.failures) == 0
}
