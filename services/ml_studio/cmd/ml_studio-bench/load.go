package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ml-studio/ml-studio/pkg/procstat"
)

// The workloads.
const (
	wlGet          = "get-experiment"
	wlSearch       = "search-runs"
	wlLogBatch     = "log-batch"
	wlSearchTraces = "search-traces"
	wlIngest       = "trace-ingest"
	wlSparse       = "search-experiments"
)

// allWorkloads are the workloads in the order they are run and reported.
func allWorkloads() []string {
	return []string{wlGet, wlSearch, wlLogBatch, wlSearchTraces, wlIngest, wlSparse}
}

// Components whose CPU time is measured during each timed window.
const (
	cpuMLflow   = "mlflow"
	cpuBasic    = "basic-auth"
	cpuStudio   = "ml_studio"
	cpuCerberus = "cerberus"
	cpuBench    = "bench"
)

// phase is one workload on one target; its figures are pooled over rounds.
type phase struct {
	workload, target, via string // via: the path family (REST or seed)
	method, url, auth     string
	fresh                 bool                   // a new connection per request (no keep-alive)
	body                  func(seq int64) []byte // nil: no body
	header                http.Header            // set on each request (after the JSON Content-Type)
	respBytes             int

	lat       []time.Duration // concurrent load, requests started in the window
	roundP50  []time.Duration // the p50 of each round's window alone
	serialP50 []time.Duration // the one-client p50 of each round alone
	serial    []time.Duration // one client, one request at a time
	errors    int
	firstErr  string
	window    time.Duration
	cpu       map[string]time.Duration
	busy      time.Duration
	cerbCalls float64
	profiles  []string
}

func (ph *phase) label() string { return ph.workload + " via " + ph.target + " " + ph.via }

// plan lists the timed phases of one round, direct first in each workload.
func (b *bench) plan() []*phase {
	if b.phases != nil {
		return b.phases
	}
	const rest = "/api/2.0/mlflow"
	type tgt struct {
		name, base, auth string
		fresh            bool
	}
	targets := []tgt{{direct, b.mlflowURL, "", false}, {directFresh, b.mlflowURL, "", true}, {studio, b.studioURL, "Bearer " + b.token, false}}
	if b.basic != nil {
		targets = append(targets, tgt{basicAuth, b.basicURL, basicHeader(benchUser, b.userPassword), false})
	}
	search := []byte(fmt.Sprintf(`{"experiment_ids":[%q],"max_results":%d}`, b.expID, b.o.searchResults))
	searchTraces := []byte(fmt.Sprintf(`{"locations":[{"type":"MLFLOW_EXPERIMENT","mlflow_experiment":{"experiment_id":%q}}],"max_results":%d}`,
		b.expID, b.o.searchResults))
	sparse := []byte(fmt.Sprintf(`{"filter":"name LIKE '%s-%%'","max_results":%d}`, b.sparsePrefix, b.o.searchResults))
	var out []*phase
	for _, wl := range workloads(b.o.only) {
		for _, t := range targets {
			if wl == wlSparse && t.name == basicAuth {
				continue // what basic-auth's user may read there was never granted: nothing to compare
			}
			ph := &phase{workload: wl, target: t.name, via: rest, auth: t.auth, fresh: t.fresh, cpu: map[string]time.Duration{}}
			switch wl {
			case wlGet:
				ph.method, ph.url = http.MethodGet, t.base+rest+"/experiments/get?experiment_id="+b.expID
			case wlSearch:
				ph.method, ph.url = http.MethodPost, t.base+rest+"/runs/search"
				ph.body = func(int64) []byte { return search }
			case wlLogBatch:
				ph.method, ph.url = http.MethodPost, t.base+rest+"/runs/log-batch"
				ph.body = logBatchBody(b.logRuns[t.name], b.o.metrics)
			case wlSearchTraces:
				ph.via = "/api/3.0/mlflow"
				ph.method, ph.url = http.MethodPost, t.base+ph.via+"/traces/search"
				ph.body = func(int64) []byte { return searchTraces }
			case wlSparse:
				ph.method, ph.url = http.MethodPost, t.base+rest+"/experiments/search"
				ph.body = func(int64) []byte { return sparse }
			case wlIngest:
				ph.via = "OTLP"
				ph.method, ph.url = http.MethodPost, t.base+"/v1/traces"
				ph.body = otlpTrace(b.traceNonce, t.name)
				ph.header = http.Header{"X-Mlflow-Experiment-Id": {b.expID}}
			}
			out = append(out, ph)
			if wl == wlGet && t.name == studio {
				seed := *ph
				seed.via, seed.url, seed.cpu = "/api (seed)", t.base+"/api/experiments/get?experiment_id="+b.expID, map[string]time.Duration{}
				out = append(out, &seed)
			}
		}
	}
	b.phases = out
	return out
}

// workloads are the workloads of -only, all by default.
func workloads(only string) []string {
	all := allWorkloads()
	if only == "" {
		return all
	}
	var out []string
	for _, wl := range all {
		if slices.Contains(strings.Split(only, ","), wl) {
			out = append(out, wl)
		}
	}
	return out
}

func validWorkloads(only string) bool {
	if only == "" {
		return true
	}
	for _, wl := range strings.Split(only, ",") {
		if !slices.Contains(allWorkloads(), wl) {
			return false
		}
	}
	return true
}

// logBatchBody is a log-batch of n metrics at step seq.
func logBatchBody(runID string, n int) func(seq int64) []byte {
	return func(seq int64) []byte {
		now := time.Now().UnixMilli()
		buf := make([]byte, 0, 64+n*80)
		buf = append(buf, `{"run_id":"`...)
		buf = append(buf, runID...)
		buf = append(buf, `","metrics":[`...)
		for k := range n {
			if k > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, `{"key":"m`...)
			buf = strconv.AppendInt(buf, int64(k), 10)
			buf = append(buf, `","value":`...)
			buf = strconv.AppendFloat(buf, float64(seq%1000)/1000+float64(k), 'f', -1, 64)
			buf = append(buf, `,"timestamp":`...)
			buf = strconv.AppendInt(buf, now, 10)
			buf = append(buf, `,"step":`...)
			buf = strconv.AppendInt(buf, seq, 10)
			buf = append(buf, '}')
		}
		return append(buf, "]}"...)
	}
}

// otlpTrace makes new traces of five spans (a root and four children) in
// OTLP's JSON encoding, as the stock client's exporter sends one: each id
// is unique to the run (nonce), the target and the call, whatever seq the
// phase passes (it starts again every round).
func otlpTrace(nonce uint32, target string) func(seq int64) []byte {
	var tag uint32
	for _, r := range target {
		tag = tag*31 + uint32(r)
	}
	var calls atomic.Int64
	return func(seq int64) []byte {
		traceID := fmt.Sprintf("%08x%08x%016x", nonce, tag, calls.Add(1))
		start := time.Now().UnixNano()
		buf := make([]byte, 0, 2048)
		buf = append(buf, `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"ml_studio-bench"}}]},"scopeSpans":[{"scope":{"name":"bench"},"spans":[`...)
		for k := range 5 {
			if k > 0 {
				buf = append(buf, ',')
			}
			buf = fmt.Appendf(buf, `{"traceId":%q,"spanId":"%016x",`, traceID, k+1)
			if k > 0 {
				buf = append(buf, `"parentSpanId":"0000000000000001",`...)
			}
			buf = fmt.Appendf(buf, `"name":"step-%d","kind":1,"startTimeUnixNano":"%d","endTimeUnixNano":"%d",`, k, start+int64(k)*1000, start+int64(10-k)*1_000_000)
			buf = fmt.Appendf(buf, `"attributes":[{"key":"mlflow.spanInputs","value":{"stringValue":"{\"question\": \"q-%d-%d\"}"}},`, seq, k)
			buf = append(buf, `{"key":"mlflow.spanOutputs","value":{"stringValue":"\"an answer of some length to stand for a model's\""}}],"status":{"code":1}}`...)
		}
		return append(buf, "]}]}]}"...)
	}
}

// measure runs the diagnostics, then every phase -rounds times, interleaved.
func (b *bench) measure(ctx context.Context) error {
	b.diagnose(ctx)
	phases := b.plan()
	total := len(phases) * b.o.rounds
	done := 0
	for round := range b.o.rounds {
		order := phases
		if round%2 == 1 { // alternate who goes first, against order effects
			order = reorder(phases)
		}
		for _, ph := range order {
			if err := ctx.Err(); err != nil {
				return err
			}
			done++
			before, beforeSerial := len(ph.lat), len(ph.serial)
			if err := b.runPhase(ctx, ph, round); err != nil {
				return fmt.Errorf("%s: %w", ph.label(), err)
			}
			ph.roundP50 = append(ph.roundP50, pct(ph.lat[before:], 0.5))
			if len(ph.serial) > beforeSerial {
				ph.serialP50 = append(ph.serialP50, pct(ph.serial[beforeSerial:], 0.5))
			}
			n := len(ph.lat)
			b.log("[%d/%d] %-44s %7.1f req/s  p50 %s  p99 %s  errors %d  (load %s)", done, total, ph.label(),
				float64(n)/ph.window.Seconds(), ms(pct(ph.lat, 0.5)), ms(pct(ph.lat, 0.99)), ph.errors, procstat.LoadAverage())
		}
	}
	return nil
}

// reorder reverses the targets within each workload.
func reorder(phases []*phase) []*phase {
	var out, group []*phase
	flush := func() {
		slices.Reverse(group)
		out = append(out, group...)
		group = nil
	}
	for i, ph := range phases {
		if i > 0 && ph.workload != phases[i-1].workload {
			flush()
		}
		group = append(group, ph)
	}
	flush()
	return out
}

// loadClient is the HTTP client of one phase: -clients keep-alive
// connections, or a new connection per request.
func (b *bench) loadClient(fresh bool) (*http.Client, *http.Transport) {
	tr := &http.Transport{
		DisableKeepAlives:   fresh,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        b.o.clients,
		MaxIdleConnsPerHost: b.o.clients,
		MaxConnsPerHost:     b.o.clients,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}, tr
}

// do makes one timed request and reads the whole answer.
func do(ctx context.Context, hc *http.Client, ph *phase, seq int64) error {
	var body io.Reader
	if ph.body != nil {
		body = bytes.NewReader(ph.body(seq))
	}
	req, err := http.NewRequestWithContext(ctx, ph.method, ph.url, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range ph.header {
		req.Header[k] = v
	}
	if ph.auth != "" {
		req.Header.Set("Authorization", ph.auth)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("status %d: %s", resp.StatusCode, snippet(data))
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// runPhase times one phase: -serial requests one at a time, then
// -clients closed-loop clients for -warmup (not recorded) and -duration.
func (b *bench) runPhase(ctx context.Context, ph *phase, round int) error {
	hc, tr := b.loadClient(ph.fresh)
	defer tr.CloseIdleConnections()
	var seq atomic.Int64
	fail := func(err error) {
		ph.errors++
		if ph.firstErr == "" {
			ph.firstErr = err.Error()
		}
	}
	if b.o.serial > 0 {
		for i := -5; i < b.o.serial; i++ { // 5 unrecorded to open the connection
			if ctx.Err() != nil {
				return ctx.Err()
			}
			t0 := time.Now()
			err := do(ctx, hc, ph, seq.Add(1))
			if i < 0 {
				continue
			}
			if err != nil {
				fail(err)
				continue
			}
			ph.serial = append(ph.serial, time.Since(t0))
		}
	}

	from := time.Now().Add(b.o.warmup)
	until := from.Add(b.o.duration)
	var (
		count   atomic.Int64
		mu      sync.Mutex
		wg      sync.WaitGroup
		samples [2]sample
	)
	wg.Add(1)
	go func() { // CPU and cerberus counters at the window's edges
		defer wg.Done()
		sleepUntil(ctx, from)
		samples[0] = b.sample(ctx)
		if b.pprofURL != "" && ph.target == studio {
			name := fmt.Sprintf("%s-%s-r%d.pprof", ph.workload, strings.Trim(strings.NewReplacer("/", "_", " ", "", "(", "", ")", "").Replace(ph.via), "_"), round+1)
			path := filepath.Join(b.o.profileDir, name)
			if err := b.profile(ctx, path, b.o.duration); err != nil {
				b.log("profile %s: %v", path, err)
			} else {
				ph.profiles = append(ph.profiles, path)
			}
		}
		sleepUntil(ctx, until)
		samples[1] = b.sample(ctx)
	}()
	for range b.o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var errs []error
			for {
				t0 := time.Now()
				if !t0.Before(until) || ctx.Err() != nil || count.Load() >= int64(b.o.maxRequests) {
					break
				}
				err := do(ctx, hc, ph, seq.Add(1))
				if err != nil { // failures count from the warm-up on
					errs = append(errs, err)
				}
				if t0.Before(from) {
					continue
				}
				count.Add(1)
				if err == nil {
					lat = append(lat, time.Since(t0))
				}
			}
			mu.Lock()
			defer mu.Unlock()
			ph.lat = append(ph.lat, lat...)
			for _, err := range errs {
				fail(err)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	ph.window += samples[1].at.Sub(samples[0].at)
	for k, v := range samples[1].cpu {
		ph.cpu[k] += v - samples[0].cpu[k]
	}
	ph.busy += samples[1].busy - samples[0].busy
	ph.cerbCalls += samples[1].cerbCalls - samples[0].cerbCalls
	return nil
}

func sleepUntil(ctx context.Context, t time.Time) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(t)):
	}
}

// sample is the CPU time of each component, the machine's busy time and
// cerberus's authorization calls so far.
type sample struct {
	at        time.Time
	cpu       map[string]time.Duration
	busy      time.Duration
	cerbCalls float64
}

func (b *bench) sample(ctx context.Context) sample {
	s := sample{at: time.Now(), cpu: map[string]time.Duration{}, busy: busyNow()}
	s.cpu[cpuBench] = procstat.SelfCPU()
	for name, p := range map[string]*proc{cpuMLflow: b.mlflow, cpuBasic: b.basic, cpuStudio: b.studio, cpuCerberus: b.cerberus} {
		if p != nil {
			s.cpu[name] = groupCPU(p.pid())
		}
	}
	s.cerbCalls = b.authorizeCalls(ctx)
	return s
}

// authorizeCalls is cerberus's count of answered /api/authorize* requests
// (its Prometheus http_requests_total).
func (b *bench) authorizeCalls(ctx context.Context) float64 {
	_, data, err := b.send(ctx, http.MethodGet, b.cerberusURL+"/metrics", "", nil)
	if err != nil {
		return 0
	}
	var total float64
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "http_requests_total{") || !strings.Contains(line, `route="/api/authorize`) {
			continue
		}
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
				total += v
			}
		}
	}
	return total
}

// profile saves a CPU profile of ml_studio taken over d.
func (b *bench) profile(ctx context.Context, path string, d time.Duration) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	secs := max(1, int(d.Round(time.Second).Seconds()))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", b.pprofURL, secs), nil)
	if err != nil {
		return err
	}
	b.profiling.Add(1)
	go func() {
		defer b.profiling.Done()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.log("profile: %v", err)
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(path)
		if err != nil {
			b.log("profile: %v", err)
			return
		}
		defer f.Close()
		_, _ = io.Copy(f, resp.Body)
	}()
	return nil
}

// diagnostics are the one-connection latencies that explain MLflow's
// keep-alive behaviour: the same tiny request on one reused connection
// and on a new connection each time.
type diagnostics struct {
	mlflowKeepAlive, mlflowFresh, studioKeepAlive time.Duration
}

func (b *bench) diagnose(ctx context.Context) {
	const n = 20
	timed := func(hc *http.Client, url string) time.Duration {
		var lat []time.Duration
		for i := -2; i < n && ctx.Err() == nil; i++ {
			t0 := time.Now()
			resp, err := hc.Get(url)
			if err != nil {
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if i >= 0 {
				lat = append(lat, time.Since(t0))
			}
		}
		return pct(lat, 0.5)
	}
	keep := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1}}
	fresh := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	b.diag.mlflowKeepAlive = timed(keep, b.mlflowURL+"/health")
	b.diag.mlflowFresh = timed(fresh, b.mlflowURL+"/health")
	b.diag.studioKeepAlive = timed(keep, b.studioURL+"/healthz")
	keep.CloseIdleConnections()
	b.log("one connection, GET /health: MLflow reused %s, MLflow new each time %s; ml_studio /healthz reused %s",
		ms(b.diag.mlflowKeepAlive), ms(b.diag.mlflowFresh), ms(b.diag.studioKeepAlive))
}

// pct is the q-quantile of the durations (nearest rank), 0 when empty.
func pct(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// memory is what the servers held at the end.
type memory struct {
	studioHWM, studioRSS, cerberusHWM, cerberusRSS int64 // kB
	mlflowRSS, basicRSS                            int64 // kB, summed over the group
}

func (b *bench) collectMemory() {
	b.mem.studioHWM, _ = procstat.StatusKB(b.studio.pid(), "VmHWM")
	b.mem.studioRSS, _ = procstat.StatusKB(b.studio.pid(), "VmRSS")
	b.mem.cerberusHWM, _ = procstat.StatusKB(b.cerberus.pid(), "VmHWM")
	b.mem.cerberusRSS, _ = procstat.StatusKB(b.cerberus.pid(), "VmRSS")
	b.mem.mlflowRSS = groupKB(b.mlflow.pid(), "VmRSS")
	if b.basic != nil {
		b.mem.basicRSS = groupKB(b.basic.pid(), "VmRSS")
	}
}

// mean is the average of the durations, 0 when empty.
func mean(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	return sum / time.Duration(len(d))
}

// busyNow is the machine's busy CPU time so far, 0 when unknown.
func busyNow() time.Duration {
	d, _ := procstat.MachineBusy()
	return d
}
