package soak

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted
	}
	for _, tc := range []struct {
		name string
		ds   []time.Duration
		q    float64
		want time.Duration
	}{
		{"none", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7 * time.Millisecond},
		{"median of odd", ms(5, 1, 3), 0.5, 3 * time.Millisecond},
		{"median of even takes the lower", ms(4, 1, 3, 2), 0.5, 2 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), 0.5, 50 * time.Millisecond},
		{"max", ms(hundred...), 1, 100 * time.Millisecond},
		{"min", ms(hundred...), 0, 1 * time.Millisecond},
		{"p99 of 10 is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 1000), 0.99, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := append([]time.Duration(nil), tc.ds...)
			if got := Quantile(tc.ds, tc.q); got != tc.want {
				t.Errorf("Quantile(%v, %v) = %v, want %v", tc.ds, tc.q, got, tc.want)
			}
			for i := range before {
				if before[i] != tc.ds[i] {
					t.Fatal("Quantile sorted its argument")
				}
			}
		})
	}
}

func TestSlope(t *testing.T) {
	line := func(a, b float64, n int, every time.Duration) []Point {
		ps := make([]Point, n)
		for i := range ps {
			at := time.Duration(i) * every
			ps[i] = Point{At: at, Value: a + b*at.Minutes()}
		}
		return ps
	}
	zigzag := line(100, 0, 60, 10*time.Second)
	for i := range zigzag {
		if i%2 == 1 {
			zigzag[i].Value += 10
		}
	}
	for _, tc := range []struct {
		name   string
		ps     []Point
		want   float64
		wantOK bool
	}{
		{"none", nil, 0, false},
		{"one point", []Point{{At: time.Minute, Value: 3}}, 0, false},
		{"two at the same time", []Point{{At: time.Minute, Value: 3}, {At: time.Minute, Value: 5}}, 0, false},
		{"flat", line(50, 0, 60, 10*time.Second), 0, true},
		{"2 a minute, sampled every 10 s", line(30, 2, 60, 10*time.Second), 2, true},
		{"falling 0.5 a minute", line(30, -0.5, 11, time.Minute), -0.5, true},
		{"two points", []Point{{At: 0, Value: 10}, {At: 2 * time.Minute, Value: 16}}, 3, true},
		// Alternating noise around a flat line fits a slope near 0 (the
		// last point is high: a little above 0).
		{"zigzag", zigzag, 0.05, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Slope(tc.ps)
			if ok != tc.wantOK || math.Abs(got-tc.want) > 1e-3 {
				t.Errorf("Slope = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestSteady(t *testing.T) {
	ps := []Point{{At: 0}, {At: 30 * time.Second}, {At: time.Minute}, {At: 90 * time.Second}, {At: 2 * time.Minute}}
	for _, tc := range []struct {
		name   string
		ps     []Point
		warmUp time.Duration
		first  time.Duration
		n      int
	}{
		{"drops the warm-up", ps, time.Minute, time.Minute, 3},
		{"no warm-up", ps, 0, 0, 5},
		{"too short a run keeps all", ps[:3], time.Minute, 0, 3},
		{"warm-up longer than the run keeps all", ps, time.Hour, 0, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Steady(tc.ps, tc.warmUp)
			if len(got) != tc.n || got[0].At != tc.first {
				t.Errorf("Steady = %v, want %d points from %v", got, tc.n, tc.first)
			}
		})
	}
}

func TestTrends(t *testing.T) {
	series := func(measure string, start, perMinute float64) Series {
		s := Series{Proc: "svc", Measure: measure}
		for i := range 61 { // 10 minutes every 10 s
			at := time.Duration(i) * 10 * time.Second
			s.Points = append(s.Points, Point{At: at, Value: start + perMinute*at.Minutes()})
		}
		return s
	}
	for _, tc := range []struct {
		name      string
		s         Series
		perMinute float64
		flat      bool
	}{
		{"flat goroutines", series(MeasureGoroutines, 40, 0), 0, true},
		{"goroutines +0.5/min stay within 8 over 9 min", series(MeasureGoroutines, 40, 0.5), 0.5, true},
		{"goroutines +2/min grow", series(MeasureGoroutines, 40, 2), 2, false},
		{"RSS +1 MB/min on 30 MB grows", series(MeasureRSS, 30, 1), 1, false},
		{"RSS +0.1 MB/min on 30 MB is flat", series(MeasureRSS, 30, 0.1), 0.1, true},
		{"RSS shrinking is flat", series(MeasureRSS, 60, -3), -3, true},
		{"fds +1/min grow", series(MeasureFDs, 20, 1), 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Result{Series: []Series{tc.s, {Proc: machine, Measure: measureLoad, Points: tc.s.Points}}}
			trends := r.Trends()
			if len(trends) != 1 {
				t.Fatalf("trends of %d series, want 1 (the machine's load is not a service's)", len(trends))
			}
			tr := trends[0]
			if math.Abs(tr.PerMinute-tc.perMinute) > 1e-9 || tr.Flat != tc.flat || tr.Span != 9*time.Minute {
				t.Errorf("trend %+v, want %v/min over 9m, flat %v", tr, tc.perMinute, tc.flat)
			}
		})
	}
}

func TestHistoryExpect(t *testing.T) {
	at := func(ms int) time.Time { return time.Unix(1000, 0).Add(time.Duration(ms) * time.Millisecond) }
	h := &history{}
	h.begin(at(100), true)(at(110))
	h.begin(at(200), false)(at(250))
	for _, tc := range []struct {
		name           string
		sent, answered int
		allowed, known bool
	}{
		{"before any change: refused", 10, 50, false, true},
		{"answered as the grant is sent", 90, 100, false, false},
		{"sent while the grant is under way", 105, 120, false, false},
		{"sent as the grant is acknowledged", 110, 120, false, false},
		{"after the grant: allowed", 111, 150, true, true},
		{"spans the revocation", 150, 220, false, false},
		{"sent during the revocation", 240, 260, false, false},
		{"after the revocation: refused", 251, 400, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			allowed, known := h.expect(at(tc.sent), at(tc.answered))
			if allowed != tc.allowed || known != tc.known {
				t.Errorf("expect(%d, %d) = %v, %v; want %v, %v", tc.sent, tc.answered, allowed, known, tc.allowed, tc.known)
			}
		})
	}
	done := h.begin(at(300), true)
	if _, known := h.expect(at(290), at(5000)); known {
		t.Error("a change not yet acknowledged leaves the outcome known")
	}
	done(at(310))
	if allowed, known := h.expect(at(311), at(320)); !allowed || !known {
		t.Errorf("after the acknowledged grant: %v, %v", allowed, known)
	}
	h.lose()
	if _, known := h.expect(at(1000), at(1001)); known {
		t.Error("after a failed change the state is still known")
	}
}

func TestParseMetrics(t *testing.T) {
	page := "# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines 42\n" +
		"go_memstats_heap_inuse_bytes 1.2e+07\nhttp_requests_total{code=\"200\"} 7\ngo_goroutines_extra 3\n"
	for _, tc := range []struct {
		name    string
		page    string
		names   []string
		want    map[string]float64
		wantErr bool
	}{
		{"both", page, []string{"go_goroutines", "go_memstats_heap_inuse_bytes"}, map[string]float64{"go_goroutines": 42, "go_memstats_heap_inuse_bytes": 12e6}, false},
		{"missing", page, []string{"process_open_fds"}, nil, true},
		{"unparseable", "go_goroutines many\n", []string{"go_goroutines"}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMetrics([]byte(tc.page), tc.names...)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}

// TestRunSmoke runs the soak for a moment against the fake ml_studio:
// behaving, the report has no error, both answers to the neighbours'
// reads and the process's measures; each fault shows as its kind of error.
func TestRunSmoke(t *testing.T) {
	for _, tc := range []struct {
		name, fault string
		wantKind    string
		notKind     string // an error the fault must not be mistaken for
	}{
		{"faultless", faultNone, "", ""},
		{"leak", faultLeak, kindLeak, ""},
		{"refusal shape", faultShape, kindBadRefusal, ""},
		{"server error", faultServer, kind5xx, ""},
		{"stale", faultStale, kindStale, ""},
		{"wrong run", faultWrongRun, kindWrongData, ""},
		// The failed upload is an error; the content it left is not.
		{"upload answered 504 but stored", faultLateUpload, kind5xx, kindWrongData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFakeStudio(t, tc.fault)
			c := NewClient(srv.URL, 8)
			defer c.Close()
			ctx := context.Background()
			w, err := Setup(ctx, c, fakeAdminToken, 4, "t")
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(ctx, c, w, Config{Duration: 2 * time.Second, Clients: 8, Think: 2 * time.Millisecond,
				Flip: 20 * time.Millisecond, Sample: 200 * time.Millisecond, Settle: 50 * time.Millisecond,
				Cerberus: NewClient(srv.URL, 1), CerberusLag: 10 * time.Millisecond,
				Watch: []Watched{{Name: "fake", PID: os.Getpid(), MetricsURL: srv.URL + "/metrics"}}})
			if err != nil {
				t.Fatal(err)
			}
			var md strings.Builder
			res.Markdown(&md, Meta{Title: "smoke"})
			kinds := map[string]int{}
			for _, e := range res.ErrorKinds {
				kinds[e.Kind] = e.Count
			}
			if tc.wantKind == "" {
				if res.Errors != 0 {
					t.Fatalf("%d errors against a faultless fake:\n%s", res.Errors, md.String())
				}
			} else if kinds[tc.wantKind] == 0 {
				t.Fatalf("no %q error when the fake %s; errors %v:\n%s", tc.wantKind, tc.fault, kinds, md.String())
			}
			if tc.notKind != "" && kinds[tc.notKind] > 0 {
				t.Fatalf("%d %q errors when the fake %s:\n%s", kinds[tc.notKind], tc.notKind, tc.fault, md.String())
			}
			t.Logf("%d requests", res.Requests)
			if res.Requests < 50 || len(res.Minutes) != 1 || res.Minutes[0].Requests != res.Requests {
				t.Errorf("%d requests, minutes %+v", res.Requests, res.Minutes)
			}
			if tc.fault == faultNone {
				d := res.Decisions
				if d.Allowed == 0 || d.Refused == 0 || d.Checked == 0 {
					t.Errorf("neighbours' reads %+v: want some answered, some refused, some checked", d)
				}
				for _, op := range []string{opLogBatch, opSearchOwn, opGetRun, opGetExp, opUpload, opDownload, opNbGetExp, opNbGetRun, opNbSearch, opNbDownload, opGrant, opGrantCerberus} {
					if !strings.Contains(md.String(), "| "+op+" | ") {
						t.Errorf("the report has no row for %s", op)
					}
				}
				for _, m := range []string{MeasureRSS, MeasureHeap, MeasureGoroutines, MeasureFDs} {
					s := res.series("fake", m)
					if s == nil || len(s.Points) < 3 || s.Points[len(s.Points)-1].Value <= 0 {
						t.Errorf("series %s: %+v", m, s)
					}
					if a := find(res.After, "fake", m); a == nil || len(a.Points) != 1 || a.Points[0].Value <= 0 {
						t.Errorf("%s idle after the load: %+v", m, a)
					}
				}
				if !strings.Contains(md.String(), "| idle after |") {
					t.Error("the report has no row for the services idle after the load")
				}
				if len(res.Trends()) != 4 {
					t.Errorf("trends %+v", res.Trends())
				}
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"504", &StatusError{Status: 504, Want: 200}, kind5xx},
		{"wrapped 500", fmt.Errorf("new run: %w", &StatusError{Status: 500, Want: 200}), kind5xx},
		{"404", &StatusError{Status: 404, Want: 200}, kindStatus},
		{"no answer", errors.New("connection refused"), kindTransport},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := kindOf(tc.err); got != tc.want {
				t.Errorf("kindOf(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}
