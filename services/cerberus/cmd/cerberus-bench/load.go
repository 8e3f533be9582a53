package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/ml-studio/ml-studio/pkg/procstat"
	accesssvc "github.com/ml-studio/ml-studio/services/cerberus/internal/service"
)

// target is the server under test, reached over keep-alive connections.
type target struct {
	base string
	hc   *http.Client
}

func newTarget(base string, clients int) *target {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * clients,
		MaxIdleConnsPerHost: 2 * clients,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &target{base: base, hc: &http.Client{Transport: tr, Timeout: time.Minute}}
}

func (t *target) close() { t.hc.CloseIdleConnections() }

// do sends one request and reads the whole answer into buf. A status other
// than 200 is an error carrying the start of the body.
func (t *target) do(ctx context.Context, method, path string, body []byte, buf *bytes.Buffer) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := t.hc.Do(req)
	if err != nil {
		return err
	}
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		msg := buf.Bytes()
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(msg))
	}
	return nil
}

// session is a logged-in user.
type session struct {
	user  int
	token string
}

// login signs users in through POST /api/auth/login, a few at a time.
func login(ctx context.Context, t *target, users []int, password string) ([]session, error) {
	out := make([]session, len(users))
	err := parallel(ctx, len(users), 4, func(i int) error {
		body, _ := json.Marshal(map[string]string{"username": username(users[i]), "password": password})
		var buf bytes.Buffer
		if err := t.do(ctx, http.MethodPost, "/api/auth/login", body, &buf); err != nil {
			return err
		}
		var s accesssvc.Session
		if err := json.Unmarshal(buf.Bytes(), &s); err != nil || s.Token == "" {
			return fmt.Errorf("login of %s: no token in %q", username(users[i]), buf.String())
		}
		out[i] = session{user: users[i], token: s.Token}
		return nil
	})
	return out, err
}

// asker draws the questions ML Studio would ask: a share (hit) about
// elements the user works on (children of their projects, or elements
// granted to them), the rest about any element at all.
type asker struct {
	w        *world
	sessions []session
	hit      float64
}

type question struct {
	s    *session
	elem int32
	ord  int8
}

func (a *asker) draw(rng *rand.Rand) question {
	s := &a.sessions[rng.IntN(len(a.sessions))]
	return question{s: s, elem: a.element(rng, s.user), ord: randomOp(rng)}
}

func (a *asker) element(rng *rand.Rand, u int) int32 {
	w := a.w
	if rng.Float64() < a.hit {
		reach, direct := w.reachProjects[u], w.directChildren[u]
		switch {
		case len(direct) > 0 && (len(reach) == 0 || rng.IntN(2) == 0):
			return direct[rng.IntN(len(direct))]
		case len(reach) > 0:
			return w.child(int(reach[rng.IntN(len(reach))]), rng.IntN(w.perProject))
		}
	}
	return int32(rng.IntN(w.totalElements()))
}

// distinctElements draws n different elements for a batch.
func (a *asker) distinctElements(rng *rand.Rand, u, n int) []int32 {
	n = min(n, a.w.totalElements())
	seen := make(map[int32]bool, n)
	out := make([]int32, 0, n)
	for len(out) < n {
		if e := a.element(rng, u); !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

// Request bodies are built by hand: names and tokens need no escaping, and
// the load generator shares the CPUs with the server.
func authorizeBody(b []byte, token, element, operation string) []byte {
	b = append(b[:0], `{"token":"`...)
	b = append(b, token...)
	b = append(b, `","component":"ml_studio","element":"`...)
	b = append(b, element...)
	b = append(b, `","operation":"`...)
	b = append(b, operation...)
	return append(b, `"}`...)
}

func batchBody(w *world, token string, elems []int32, operation string) []byte {
	b := append([]byte(`{"token":"`), token...)
	b = append(b, `","component":"ml_studio","operation":"`...)
	b = append(b, operation...)
	b = append(b, `","elements":[`...)
	for i, e := range elems {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, w.names[e]...)
		b = append(b, '"')
	}
	return append(b, "]}"...)
}

func readableBody(token, kind, operation string) []byte {
	return fmt.Appendf(nil, `{"token":%q,"component":"ml_studio","kind":%q,"operation":%q}`, token, kind, operation)
}

var allowedTrue = []byte(`"allowed":true`)

// Outcomes of a decision, for splitting latencies.
const (
	outcomeNone int8 = iota
	outcomeAllowed
	outcomeDenied
)

// stats are the latencies of one phase.
type stats struct {
	lat      []time.Duration // sorted
	allowed  []time.Duration // sorted; decisions only
	denied   []time.Duration
	elapsed  time.Duration
	errors   int
	firstErr error
	cpu      cpuUse // over the measured window of a timed phase
	load     string // load average at its end
}

func (s *stats) n() int { return len(s.lat) }

func (s *stats) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.n()) / s.elapsed.Seconds()
}

func (s *stats) p(q float64) time.Duration { return percentile(s.lat, q) }

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func (s *stats) add(o *stats) {
	s.lat = append(s.lat, o.lat...)
	s.allowed = append(s.allowed, o.allowed...)
	s.denied = append(s.denied, o.denied...)
	s.errors += o.errors
	if s.firstErr == nil {
		s.firstErr = o.firstErr
	}
}

func (s *stats) sort() {
	slices.Sort(s.lat)
	slices.Sort(s.allowed)
	slices.Sort(s.denied)
}

// runTimed is a closed loop: each of clients sends its next request as soon
// as it has read the previous answer. Requests started during warm are not
// counted; those started in the dur after it are.
func runTimed(ctx context.Context, clients int, warm, dur time.Duration, newWorker func(i int) func() (int8, error)) *stats {
	from := time.Now().Add(warm)
	end := from.Add(dur)
	parts := make([]stats, clients)
	lasts := make([]time.Time, clients)
	var wg sync.WaitGroup
	var cpu cpuUse
	wg.Go(func() {
		time.Sleep(time.Until(from))
		first := sampleCPU()
		time.Sleep(time.Until(end))
		cpu = cpuBetween(first, sampleCPU())
	})
	for i := range clients {
		wg.Go(func() {
			call, st := newWorker(i), &parts[i]
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				outcome, err := call()
				t1 := time.Now()
				if t0.Before(from) {
					continue
				}
				lasts[i] = t1
				if err != nil {
					st.errors++
					if st.firstErr == nil {
						st.firstErr = err
					}
					continue
				}
				d := t1.Sub(t0)
				st.lat = append(st.lat, d)
				switch outcome {
				case outcomeAllowed:
					st.allowed = append(st.allowed, d)
				case outcomeDenied:
					st.denied = append(st.denied, d)
				}
			}
		})
	}
	wg.Wait()
	out := &stats{}
	last := end
	for i := range parts {
		out.add(&parts[i])
		if lasts[i].After(last) {
			last = lasts[i]
		}
	}
	out.elapsed = last.Sub(from)
	out.cpu, out.load = cpu, procstat.LoadAverage()
	out.sort()
	return out
}

// runSequential times n calls one after the other; each call returns the
// time it counts (the request, not the decoding after it).
func runSequential(ctx context.Context, n int, call func(i int) (time.Duration, error)) (*stats, error) {
	out := &stats{}
	start := time.Now()
	for i := range n {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d, err := call(i)
		if err != nil {
			return nil, err
		}
		out.lat = append(out.lat, d)
	}
	out.elapsed = time.Since(start)
	out.sort()
	return out, nil
}

// waitHealthy polls /healthz until the server answers.
func waitHealthy(ctx context.Context, t *target) error {
	var buf bytes.Buffer
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := t.do(ctx, http.MethodGet, "/healthz", nil, &buf)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.Join(errors.New("the server did not answer /healthz"), err, ctx.Err())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
