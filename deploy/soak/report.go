package soak

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// WarmUp is left out of the slopes: caches, connection pools and the
// runtime's heap fill during the first minute.
const WarmUp = time.Minute

// Trend is a measure's fitted line over the steady part of the run.
type Trend struct {
	Proc, Measure string
	First, Last   float64 // the first and last steady samples
	Mean          float64
	PerMinute     float64 // slope of the least-squares line
	Span          time.Duration
	Flat          bool
}

// Growth is how much the fitted line rises over the steady span.
func (t Trend) Growth() float64 { return t.PerMinute * t.Span.Minutes() }

// tolerance is the rise over the steady span still called flat: what
// sampling noise and the runtime's own pacing give without a leak — 5 % of
// the mean, and never less than a few goroutines or descriptors (the pools'
// idle connections come and go) or 2 MB.
func tolerance(measure string, mean float64) float64 {
	floor := 2.0
	if measure == MeasureGoroutines || measure == MeasureFDs {
		floor = 8
	}
	return max(floor, 0.05*math.Abs(mean))
}

// Trends are the slopes of every process's measures after the warm-up.
func (r *Result) Trends() []Trend {
	var out []Trend
	for _, s := range r.Series {
		if s.Proc == machine || len(s.Points) == 0 {
			continue
		}
		ps := Steady(s.Points, WarmUp)
		slope, _ := Slope(ps)
		mean := 0.0
		for _, p := range ps {
			mean += p.Value
		}
		mean /= float64(len(ps))
		t := Trend{Proc: s.Proc, Measure: s.Measure, First: ps[0].Value, Last: ps[len(ps)-1].Value, Mean: mean,
			PerMinute: slope, Span: ps[len(ps)-1].At - ps[0].At}
		t.Flat = t.Growth() <= tolerance(s.Measure, mean)
		out = append(out, t)
	}
	return out
}

// Meta is what the report says about the run besides the figures.
type Meta struct {
	Title    string
	Settings []string // lines: what ran, against what, with which settings
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
}

// Markdown writes the report: errors by kind, the operations, each
// minute's latency, each minute's measures of the processes, the slopes.
func (r *Result) Markdown(w io.Writer, m Meta) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("## %s\n\n", m.Title)
	for _, s := range m.Settings {
		p("- %s\n", s)
	}
	secs := r.Took.Seconds()
	p("- %d requests in %s (%.0f/s), **%d errors**\n", r.Requests, r.Took.Round(time.Second), float64(r.Requests)/secs, r.Errors)
	p("- reads of a neighbour's experiment: %d answered, %d refused; %d of them made while no grant change was under way, so that the answer had to be exactly the grant's\n\n",
		r.Decisions.Allowed, r.Decisions.Refused, r.Decisions.Checked)

	p("### Errors\n\n")
	if len(r.ErrorKinds) == 0 {
		p("None.\n\n")
	} else {
		p("| kind | count | by operation | examples |\n|---|---:|---|---|\n")
		for _, e := range r.ErrorKinds {
			var ops []string
			for _, op := range slices.Sorted(maps.Keys(e.ByOp)) {
				ops = append(ops, fmt.Sprintf("%s %d", op, e.ByOp[op]))
			}
			p("| %s | %d | %s | %s |\n", e.Kind, e.Count, strings.Join(ops, ", "), cell(strings.Join(e.Examples, " ⏎ ")))
		}
		p("\n")
	}
	if len(r.SamplingFailure) > 0 {
		p("Samples not taken: %s\n\n", cell(strings.Join(r.SamplingFailure, "; ")))
	}

	p("### Operations\n\n| operation | requests | errors | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|\n")
	for _, f := range r.Ops {
		p("| %s | %d | %d | %s | %s |\n", f.Name, f.Requests, f.Errors, ms(f.P50), ms(f.P99))
	}

	load := r.series(machine, measureLoad)
	p("\n### Per minute: requests\n\n| minute | requests | req/s | errors | p50 ms | p99 ms | load (1 min) |\n|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, f := range r.Minutes {
		span := time.Minute
		if rest := r.Took - time.Duration(i)*time.Minute; rest < span {
			span = rest
		}
		p("| %s | %d | %.0f | %d | %s | %s | %s |\n", f.Name, f.Requests, float64(f.Requests)/max(span.Seconds(), 1e-3), f.Errors, ms(f.P50), ms(f.P99), atMinute(load, i, "%.2f"))
	}

	procs := r.procs()
	measures := []string{MeasureRSS, MeasureHeap, MeasureGoroutines, MeasureFDs}
	p("\n### Per minute: the services (the last sample of each minute; the last under load; idle after the load)\n\n| minute |")
	for _, pr := range procs {
		for _, ms := range measures {
			p(" %s %s |", pr, ms)
		}
	}
	p("\n|---:|%s\n", strings.Repeat("---:|", len(procs)*len(measures)))
	rows := len(r.Minutes)
	for i := range rows + 2 {
		switch i {
		case rows:
			p("| last under load |")
		case rows + 1:
			p("| idle after |")
		default:
			p("| %s |", minuteName(i))
		}
		for _, pr := range procs {
			for _, mname := range measures {
				switch i {
				case rows:
					p(" %s |", last(r.series(pr, mname)))
				case rows + 1:
					p(" %s |", last(find(r.After, pr, mname)))
				default:
					p(" %s |", atMinute(r.series(pr, mname), i, "%.1f"))
				}
			}
		}
		p("\n")
	}

	p("\n### Trends after the first minute (least-squares slope; flat = the fitted rise over the span is within max(5 %% of the mean, 2 MB or 8 goroutines/fds))\n\n")
	p("| service | measure | first | last | mean | slope /min | rise over the span | |\n|---|---|---:|---:|---:|---:|---:|---|\n")
	for _, t := range r.Trends() {
		verdict := "flat"
		if !t.Flat {
			verdict = "**grows**"
		}
		p("| %s | %s | %.1f | %.1f | %.1f | %+.3f | %+.1f over %s | %s |\n", t.Proc, t.Measure, t.First, t.Last, t.Mean, t.PerMinute, t.Growth(), t.Span.Round(time.Second), verdict)
	}
	p("\n")
}

func cell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 1500 {
		s = s[:1500] + "…"
	}
	return s
}

func (r *Result) series(proc, measure string) *Series { return find(r.Series, proc, measure) }

func find(ss []Series, proc, measure string) *Series {
	for i := range ss {
		if ss[i].Proc == proc && ss[i].Measure == measure {
			return &ss[i]
		}
	}
	return nil
}

func (r *Result) procs() []string {
	var out []string
	for _, s := range r.Series {
		if s.Proc != machine && !slices.Contains(out, s.Proc) {
			out = append(out, s.Proc)
		}
	}
	return out
}

// atMinute is the last sample taken during minute i.
func atMinute(s *Series, i int, format string) string {
	if s == nil {
		return "–"
	}
	from, to := time.Duration(i)*time.Minute, time.Duration(i+1)*time.Minute
	v, ok := 0.0, false
	for _, p := range s.Points {
		if p.At >= from && p.At < to {
			v, ok = p.Value, true
		}
	}
	if !ok {
		return "–"
	}
	return fmt.Sprintf(format, v)
}

func last(s *Series) string {
	if s == nil || len(s.Points) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f", s.Points[len(s.Points)-1].Value)
}
