package soak

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Watched is a service process to measure: its pid (for /proc) and its
// Prometheus /metrics.
type Watched struct {
	Name       string
	PID        int
	MetricsURL string
}

// Measures of a process, as the report names them.
const (
	MeasureRSS        = "RSS (MB)"
	MeasureHeap       = "Go heap in use (MB)"
	MeasureGoroutines = "goroutines"
	MeasureFDs        = "open fds"
	machine           = "machine"
	measureLoad       = "load (1 min)"
)

// Series is one measure of one process over the run.
type Series struct {
	Proc, Measure string
	Points        []Point
}

type sampler struct {
	watch []Watched
	start time.Time
	hc    *http.Client

	mu       sync.Mutex
	series   map[[2]string]*Series
	order    [][2]string
	failures []string
	after    map[[2]string]float64 // set once the load is over: the idle services
}

func newSampler(watch []Watched, start time.Time) *sampler {
	return &sampler{watch: watch, start: start, hc: &http.Client{Timeout: 5 * time.Second}, series: map[[2]string]*Series{}}
}

func (s *sampler) run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 10 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.sampleAll(ctx, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *sampler) add(proc, measure string, at time.Time, v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{proc, measure}
	if s.after != nil {
		s.after[k] = v
		return
	}
	sr := s.series[k]
	if sr == nil {
		sr = &Series{Proc: proc, Measure: measure}
		s.series[k] = sr
		s.order = append(s.order, k)
	}
	sr.Points = append(sr.Points, Point{At: at.Sub(s.start), Value: v})
}

func (s *sampler) fail(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) < 20 {
		s.failures = append(s.failures, fmt.Sprintf(format, args...))
	}
}

func (s *sampler) sampleAll(ctx context.Context, now time.Time) {
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(load)); len(f) > 0 {
			if v, err := strconv.ParseFloat(f[0], 64); err == nil {
				s.add(machine, measureLoad, now, v)
			}
		}
	}
	for _, w := range s.watch {
		rss, err := statusKB(w.PID, "VmRSS")
		if err != nil {
			s.fail("%s: %v", w.Name, err)
			continue
		}
		fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", w.PID))
		if err != nil {
			s.fail("%s: %v", w.Name, err)
			continue
		}
		m, err := s.metrics(ctx, w.MetricsURL, "go_goroutines", "go_memstats_heap_inuse_bytes")
		if err != nil {
			if ctx.Err() == nil {
				s.fail("%s: %v", w.Name, err)
			}
			continue
		}
		s.add(w.Name, MeasureRSS, now, rss/1024)
		s.add(w.Name, MeasureHeap, now, m["go_memstats_heap_inuse_bytes"]/(1<<20))
		s.add(w.Name, MeasureGoroutines, now, m["go_goroutines"])
		s.add(w.Name, MeasureFDs, now, float64(len(fds)))
	}
}

// sampleAfter measures the services once the load is over, apart from
// the series: what they come back to when idle.
func (s *sampler) sampleAfter(ctx context.Context) {
	s.mu.Lock()
	s.after = map[[2]string]float64{}
	s.mu.Unlock()
	s.sampleAll(ctx, time.Now())
}

// snapshot is the series, the measures after the load, and the samples
// that could not be taken.
func (s *sampler) snapshot() ([]Series, []Series, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Series, 0, len(s.order))
	var after []Series
	for _, k := range s.order {
		out = append(out, *s.series[k])
		if v, ok := s.after[k]; ok {
			after = append(after, Series{Proc: k[0], Measure: k[1], Points: []Point{{Value: v}}})
		}
	}
	return out, after, s.failures
}

// statusKB is a field of /proc/PID/status given in kB.
func statusKB(pid int, field string) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				return strconv.ParseFloat(f[0], 64)
			}
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// metrics reads the named unlabelled samples from a Prometheus text page.
func (s *sampler) metrics(ctx context.Context, url string, names ...string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return parseMetrics(body, names...)
}

// parseMetrics finds each name's unlabelled sample in a Prometheus text
// exposition; every name must be there.
func parseMetrics(body []byte, names ...string) (map[string]float64, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || !want[f[0]] {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f[0], err)
		}
		out[f[0]] = v
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			return nil, fmt.Errorf("no %s in the metrics", n)
		}
	}
	return out, sc.Err()
}
