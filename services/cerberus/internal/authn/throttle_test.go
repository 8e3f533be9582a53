package authn

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for Throttle.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// step is one action in a throttle scenario; exactly one field group is set.
type step struct {
	fail    []string      // Fail(fail...)
	times   int           // repeat the Fail this many times (default 1)
	advance time.Duration // advance the clock
	reset   string        // Reset(reset)
	check   []string      // Check(check...) must return wantBlocked, wantRetry
	blocked bool
	retry   time.Duration // checked only when blocked
}

func TestThrottle(t *testing.T) {
	const (
		window  = 10 * time.Minute
		lockout = 5 * time.Minute
	)
	u, ip := "user:alice", "ip:10.0.0.1"
	tests := []struct {
		name    string
		lockout time.Duration // overrides lockout when set
		steps   []step
	}{
		{name: "no failures", steps: []step{
			{check: []string{u}},
			{check: nil},
		}},
		{name: "under the limit", steps: []step{
			{fail: []string{u}, times: 2},
			{check: []string{u}},
		}},
		{name: "at the limit", steps: []step{
			{fail: []string{u}, times: 3},
			{check: []string{u}, blocked: true, retry: lockout},
		}},
		{name: "still blocked just before lockout ends, retry rounds up to 1s", steps: []step{
			{fail: []string{u}, times: 3},
			{advance: lockout - time.Millisecond},
			{check: []string{u}, blocked: true, retry: time.Second},
		}},
		{name: "unblocked when lockout ends, with a fresh count", steps: []step{
			{fail: []string{u}, times: 3},
			{advance: lockout},
			{check: []string{u}},
			{fail: []string{u}, times: 2},
			{check: []string{u}},
			{fail: []string{u}},
			{check: []string{u}, blocked: true, retry: lockout},
		}},
		{name: "failures leave the window", steps: []step{
			{fail: []string{u}},
			{advance: window / 2},
			{fail: []string{u}},
			{advance: window / 2}, // the first failure is now exactly Window old
			{fail: []string{u}},
			{check: []string{u}},
			{fail: []string{u}}, // second, third and fourth are within Window
			{check: []string{u}, blocked: true, retry: lockout},
		}},
		{name: "failures while locked do not extend the lockout", steps: []step{
			{fail: []string{u}, times: 3},
			{advance: 2 * time.Minute},
			{fail: []string{u}, times: 10},
			{check: []string{u}, blocked: true, retry: 3 * time.Minute},
			{advance: 3 * time.Minute},
			{check: []string{u}},
		}},
		{name: "retry after rounds fractions up", lockout: 1500 * time.Millisecond, steps: []step{
			{fail: []string{u}, times: 3},
			{check: []string{u}, blocked: true, retry: 2 * time.Second},
		}},
		{name: "retry after at least one second", lockout: 100 * time.Millisecond, steps: []step{
			{fail: []string{u}, times: 3},
			{check: []string{u}, blocked: true, retry: time.Second},
		}},
		{name: "reset clears the user key", steps: []step{
			{fail: []string{u}, times: 2},
			{reset: u},
			{fail: []string{u}, times: 2},
			{check: []string{u}},
		}},
		{name: "reset lifts a lockout", steps: []step{
			{fail: []string{u}, times: 3},
			{reset: u},
			{check: []string{u}},
		}},
		{name: "reset of the user key keeps the ip key", steps: []step{
			{fail: []string{u, ip}, times: 2},
			{reset: u},
			{fail: []string{u, ip}},
			{check: []string{u}},
			{check: []string{ip}, blocked: true, retry: lockout},
			{check: []string{u, ip}, blocked: true, retry: lockout},
		}},
		{name: "keys are independent", steps: []step{
			{fail: []string{"user:bob"}, times: 3},
			{check: []string{u}},
			{check: []string{ip}},
			{check: []string{"user:bob"}, blocked: true, retry: lockout},
		}},
		{name: "blocked if any key is blocked", steps: []step{
			{fail: []string{ip}, times: 3},
			{check: []string{u, ip}, blocked: true, retry: lockout},
			{check: []string{ip, u}, blocked: true, retry: lockout},
		}},
		{name: "retry after is the longest remaining lockout", steps: []step{
			{fail: []string{ip}, times: 3},
			{advance: 2 * time.Minute},
			{fail: []string{u}, times: 3},
			{check: []string{ip, u}, blocked: true, retry: lockout},
			{check: []string{ip}, blocked: true, retry: 3 * time.Minute},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			lo := lockout
			if tt.lockout != 0 {
				lo = tt.lockout
			}
			th := NewThrottle(ThrottleConfig{MaxFailures: 3, Window: window, Lockout: lo, Now: clock.Now})
			for i, s := range tt.steps {
				switch {
				case s.fail != nil:
					for range max(1, s.times) {
						th.Fail(s.fail...)
					}
				case s.advance != 0:
					clock.Advance(s.advance)
				case s.reset != "":
					th.Reset(s.reset)
				default:
					retry, blocked := th.Check(s.check...)
					if blocked != s.blocked {
						t.Fatalf("step %d: Check(%q) blocked = %v, want %v", i, s.check, blocked, s.blocked)
					}
					if blocked && retry != s.retry {
						t.Fatalf("step %d: Check(%q) retryAfter = %v, want %v", i, s.check, retry, s.retry)
					}
					if blocked && retry < time.Second {
						t.Fatalf("step %d: retryAfter %v < 1s", i, retry)
					}
					if !blocked && retry != 0 {
						t.Fatalf("step %d: retryAfter = %v when not blocked", i, retry)
					}
				}
			}
		})
	}
}

func TestThrottleDefaults(t *testing.T) {
	th := NewThrottle(ThrottleConfig{})
	want := ThrottleConfig{MaxFailures: 5, Window: 15 * time.Minute, Lockout: 15 * time.Minute, MaxKeys: 100_000}
	got := th.cfg
	if got.MaxFailures != want.MaxFailures || got.Window != want.Window || got.Lockout != want.Lockout || got.MaxKeys != want.MaxKeys || got.Now == nil {
		t.Errorf("defaults = %+v, want %+v and a clock", got, want)
	}
	// With the real clock: 4 failures pass, the 5th blocks.
	for range 4 {
		th.Fail("user:alice")
	}
	if _, blocked := th.Check("user:alice"); blocked {
		t.Fatal("blocked after 4 failures with the default limit of 5")
	}
	th.Fail("user:alice")
	if retry, blocked := th.Check("user:alice"); !blocked || retry < 14*time.Minute || retry > 15*time.Minute {
		t.Fatalf("after 5 failures Check = %v, %v, want blocked for about 15m", retry, blocked)
	}
}

func TestThrottleMaxKeys(t *testing.T) {
	clock := newFakeClock()
	th := NewThrottle(ThrottleConfig{MaxFailures: 2, MaxKeys: 3, Now: clock.Now})
	for i := range 10 {
		th.Fail(fmt.Sprintf("ip:%d", i))
		if n := th.Len(); n > 3 {
			t.Fatalf("after %d keys Len = %d, want <= 3", i+1, n)
		}
	}
	if n := th.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	// The most recent keys kept their count: one more failure locks them.
	// The oldest was forgotten: one more failure is its first.
	th.Fail("ip:9", "ip:0")
	if _, blocked := th.Check("ip:9"); !blocked {
		t.Error("recent key ip:9 lost its count")
	}
	if _, blocked := th.Check("ip:0"); blocked {
		t.Error("evicted key ip:0 kept its count")
	}
	if n := th.Len(); n != 3 {
		t.Errorf("Len = %d, want 3", n)
	}
}

func TestThrottleEvictsLeastRecentlyTouched(t *testing.T) {
	clock := newFakeClock()
	th := NewThrottle(ThrottleConfig{MaxFailures: 2, MaxKeys: 3, Now: clock.Now})
	th.Fail("a")
	th.Fail("b")
	th.Fail("c")
	th.Fail("a") // "a" locks and becomes most recent; "b" is now the oldest
	th.Fail("d") // evicts "b"
	if _, blocked := th.Check("a"); !blocked {
		t.Error("recently touched key a was evicted")
	}
	if _, blocked := th.Check("b"); blocked {
		t.Error("least recently touched key b was not the one evicted")
	}
	// Order now (most recent first): a (checked), d, c.
	th.Fail("c") // c locks and moves to the front: c, a, d
	th.Fail("e") // evicts d
	th.Fail("d")
	if _, blocked := th.Check("c"); !blocked {
		t.Error("key c lost its count")
	}
	if _, blocked := th.Check("d"); blocked {
		t.Error("key d kept its count although it was least recently touched")
	}
}

func TestThrottleForgetsExpiredKeys(t *testing.T) {
	clock := newFakeClock()
	th := NewThrottle(ThrottleConfig{MaxFailures: 3, Window: time.Minute, Lockout: time.Minute, Now: clock.Now})
	th.Fail("a")
	th.Fail("b", "b", "b") // locked
	th.Fail("c")
	clock.Advance(time.Minute)
	th.Check("a", "b")
	if n := th.Len(); n != 1 {
		t.Errorf("Len = %d after checking expired keys, want 1 (only unchecked c)", n)
	}
}

func TestThrottleFailuresBounded(t *testing.T) {
	clock := newFakeClock()
	th := NewThrottle(ThrottleConfig{MaxFailures: 4, Window: time.Hour, Lockout: time.Second, Now: clock.Now})
	for range 1000 {
		th.Fail("k")
		clock.Advance(100 * time.Millisecond)
		th.mu.Lock()
		n := len(th.entries["k"].Value.(*throttleEntry).failures)
		th.mu.Unlock()
		if n > 4 {
			t.Fatalf("key holds %d failure times, want <= MaxFailures", n)
		}
	}
}

func TestThrottleConcurrent(t *testing.T) {
	clock := newFakeClock()
	const maxKeys = 50
	th := NewThrottle(ThrottleConfig{MaxFailures: 3, Window: time.Minute, Lockout: time.Minute, MaxKeys: maxKeys, Now: clock.Now})
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 500 {
				user := fmt.Sprintf("user:%d", (g*7+i)%120)
				ip := fmt.Sprintf("ip:%d", i%30)
				if _, blocked := th.Check(user, ip); blocked {
					continue
				}
				switch i % 5 {
				case 0:
					th.Reset(user)
				case 1:
					clock.Advance(time.Second)
				default:
					th.Fail(user, ip)
				}
				if n := th.Len(); n > maxKeys {
					t.Errorf("Len = %d > MaxKeys %d", n, maxKeys)
					return
				}
			}
		})
	}
	wg.Wait()
	th.mu.Lock()
	defer th.mu.Unlock()
	if th.lru.Len() != len(th.entries) || len(th.entries) > maxKeys {
		t.Errorf("list has %d entries, map %d, MaxKeys %d", th.lru.Len(), len(th.entries), maxKeys)
	}
}
