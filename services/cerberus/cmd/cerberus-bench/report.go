package main

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ml-studio/ml-studio/pkg/procstat"
)

// The goals of the issue.
const (
	goalDecisionsPerSecond = 5000
	goalDecisionP99        = 10 * time.Millisecond
	goalBatch              = 25 * time.Millisecond
)

// report prints the run's conditions and a side-by-side table of the backends.
func report(out io.Writer, o options, w *world, results []*result, worldMB float64, total time.Duration) {
	users, groups, denies := w.counts()
	memberships := 0
	for _, g := range w.userGroups {
		memberships += len(g)
	}
	fmt.Fprintf(out, "\ncerberus-bench: %s users in %s groups (%s memberships) and the admin; %s projects holding %s experiments and models;\n",
		num(w.users), num(w.groups), num(memberships), num(w.projects), num(w.elements))
	fmt.Fprintf(out, "  %s grants: %s to users, %s to groups, %s of them denies\n", num(len(w.grants)), num(users), num(groups), num(denies))
	fmt.Fprintf(out, "load: %d keep-alive HTTP clients in this process, closed loop, %s per timed phase after %s warm-up; %d users signed in;\n",
		o.clients, o.duration, o.warmup, results[0].logins)
	fmt.Fprintf(out, "  %.0f%% of the questions about elements the user works on, operations read 60%% / edit 30%% / manage 10%%\n", o.hit*100)
	fmt.Fprintf(out, "machine: %s; %s %s/%s, GOMAXPROCS %d; load average at the start %s\n\n", machine(), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), o.loadAtStart)

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(label, goal string, cell func(r *result) string) {
		cells := []string{label, goal}
		for _, r := range results {
			cells = append(cells, cell(r))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	head := func(label string) { row(label, "", func(*result) string { return "" }) }

	row("", "goal", func(r *result) string { return r.backend })
	row("database", "", func(r *result) string { return r.version })
	row("seeding: store layer + bulk + statistics", "", func(r *result) string {
		return fmt.Sprintf("%s + %s + %s", secs(r.seed.storeTime), secs(r.seed.bulkTime), secs(r.analyzeTime))
	})
	row("answers checked against the model", "", func(r *result) string {
		return fmt.Sprintf("%d + %s + %d, all match", r.verified.decisions, num(r.verified.batchDecisions), r.verified.readableSets)
	})
	head("GET /healthz (the HTTP floor)")
	row("  requests/s", "", func(r *result) string { return num(int(r.baseline.rate())) })
	row("  p50 / p99", "", func(r *result) string { return p50p99(r.baseline) })
	row("  CPU busy: machine / this process", "", func(r *result) string { return cores(r.baseline.cpu) })
	row("  CPU of this process per request", "", func(r *result) string { return perRequest(r.baseline) })
	head("POST /api/authorize (single decisions)")
	row("  decisions/s", fmt.Sprintf(">= %s on MariaDB", num(goalDecisionsPerSecond)), func(r *result) string {
		return num(int(r.single.rate())) + mark(r, r.single.rate() >= goalDecisionsPerSecond)
	})
	row("  p50 / p99", "p99 <= "+ms(goalDecisionP99)+" on MariaDB", func(r *result) string {
		return p50p99(r.single) + mark(r, r.single.p(0.99) <= goalDecisionP99)
	})
	row("  allowed / denied", "", func(r *result) string {
		n := float64(max(1, r.single.n()))
		return fmt.Sprintf("%.0f%% / %.0f%%", 100*float64(len(r.single.allowed))/n, 100*float64(len(r.single.denied))/n)
	})
	row("  allowed: p50 / p99", "", func(r *result) string {
		return ms(percentile(r.single.allowed, 0.5)) + " / " + ms(percentile(r.single.allowed, 0.99))
	})
	row("  denied (audited): p50 / p99", "", func(r *result) string {
		return ms(percentile(r.single.denied, 0.5)) + " / " + ms(percentile(r.single.denied, 0.99))
	})
	row("  vs the floor: rate; p50, p99", "", func(r *result) string {
		return fmt.Sprintf("%s; %s, %s", ratio(r.single.rate(), r.baseline.rate()),
			ratio(float64(r.single.p(0.5)), float64(r.baseline.p(0.5))), ratio(float64(r.single.p(0.99)), float64(r.baseline.p(0.99))))
	})
	row("  CPU busy: machine / this process", "", func(r *result) string { return cores(r.single.cpu) })
	row("  CPU of this process per decision", "", func(r *result) string { return perRequest(r.single) })
	head("POST /api/authorize, the cache off (the database path; the baseline)")
	row("  decisions/s", "", func(r *result) string { return num(int(r.uncached.rate())) })
	row("  p50 / p99", "", func(r *result) string { return p50p99(r.uncached) })
	row("  cached vs cache off: rate; p50, p99", "", func(r *result) string {
		return fmt.Sprintf("%s; %s, %s", ratio(r.single.rate(), r.uncached.rate()),
			ratio(float64(r.single.p(0.5)), float64(r.uncached.p(0.5))), ratio(float64(r.single.p(0.99)), float64(r.uncached.p(0.99))))
	})
	row("  CPU busy: machine / this process", "", func(r *result) string { return cores(r.uncached.cpu) })
	head(fmt.Sprintf("POST /api/authorize with %s access changes a second", num(o.churn)))
	row("  decisions/s", "", func(r *result) string { return num(int(r.churn.rate())) })
	row("  p50 / p99", "", func(r *result) string { return p50p99(r.churn) })
	row("  changes made (grants given or taken back)", "", func(r *result) string { return num(r.churnWrites) })
	row("  CPU busy: machine / this process", "", func(r *result) string { return cores(r.churn.cpu) })
	head("one decision at a time (no contention)")
	row("  POST /api/authorize: p50 / p99", "", func(r *result) string { return p50p99(r.serialHTTP) })
	row("  the same, the user's cache just emptied", "", func(r *result) string { return p50p99(r.serialCold) })
	row("  store: token lookup", "", func(r *result) string { return p50p99(r.resolve) })
	row("  store: grants on the chain", "", func(r *result) string { return p50p99(r.chain) })
	row("  store: grants on a chain in memory", "", func(r *result) string { return p50p99(r.held) })
	row("  store: audit entry (denials)", "", func(r *result) string { return p50p99(r.audit) })
	head(fmt.Sprintf("POST /api/authorize/batch (%s elements, %d calls)", num(o.batchSize), o.batchCalls))
	row("  p50 / p99", "<= "+ms(goalBatch), func(r *result) string {
		return p50p99(r.batch) + markAll(r.batch.p(0.99) <= goalBatch)
	})
	row("  allowed per answer (avg)", "", func(r *result) string { return fmt.Sprintf("%.0f", r.batchAllowed) })
	head(fmt.Sprintf("POST /api/authorize/readable (experiments, %d calls)", o.readableCalls))
	row("  p50 / p99", "", func(r *result) string { return p50p99(r.readable) })
	row("  names per list answer (avg)", "", func(r *result) string {
		return fmt.Sprintf("%.0f", float64(r.readableNames)/float64(max(1, r.readable.n()-r.readableAll)))
	})
	row("  \"all but\" answers (avg excepted)", "", func(r *result) string {
		return fmt.Sprintf("%d (%.0f)", r.readableAll, float64(r.readableExcept)/float64(max(1, r.readableAll)))
	})
	row("  the first call (nothing of the caller's cached)", "", func(r *result) string { return ms(r.firstBatch) })
	row("decision cache at the end: entries (grants) / estimated memory, bound", "", func(r *result) string {
		c := r.cache
		return fmt.Sprintf("%s (%s) / %s, %s", num(c.Tokens+c.Users+c.Groups+c.Elements+c.Absent), num(c.Grants), mib(c.Bytes/1024), mib(c.MaxBytes()/1024))
	})
	row("RSS: after seeding / peak while measuring", "", func(r *result) string {
		peak := mib(r.peakRSS)
		if !r.peakReset {
			peak += " (peak since start)"
		}
		return mib(r.rssServing) + " / " + peak
	})
	row("server log lines at error level", "", func(r *result) string { return strconv.Itoa(r.serverErrors) })
	_ = tw.Flush()

	fmt.Fprintf(out, "\nRSS is the whole process: server, load generator and the benchmark's data (%.0f MiB of it the reference model).\n", worldMB)
	fmt.Fprintf(out, "Goals are marked on MariaDB for decisions (the issue sets them there) and on both backends for batches (judged on p99).\n")
	for _, r := range results {
		for _, line := range r.serverErrorSample {
			fmt.Fprintf(out, "%s server error: %s\n", r.backend, line)
		}
	}
	fmt.Fprintf(out, "total time %s\n", total.Round(time.Second))
}

// mark judges a decision goal, set for MariaDB only.
func mark(r *result, met bool) string {
	if r.backend != "MariaDB" {
		return ""
	}
	return markAll(met)
}

func markAll(met bool) string {
	if met {
		return "  met"
	}
	return "  MISSED"
}

// cores shows the machine's busy CPU and this process's share, in cores.
func cores(c cpuUse) string {
	if !c.ok {
		return "?"
	}
	return fmt.Sprintf("%.2f / %.2f cores", c.machine, c.self)
}

// perRequest is this process's CPU time (server and load generator) per
// request of a timed phase: unlike rates, it hardly depends on what else
// the machine runs.
func perRequest(s *stats) string {
	if !s.cpu.ok || s.n() == 0 {
		return "?"
	}
	return fmt.Sprintf("%.0f µs", s.cpu.self*s.elapsed.Seconds()/float64(s.n())*1e6)
}

func p50p99(s *stats) string { return ms(s.p(0.5)) + " / " + ms(s.p(0.99)) }

func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64) + " ms"
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
	default:
		return strconv.FormatFloat(v, 'f', 0, 64) + " ms"
	}
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s" }

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return strconv.FormatFloat(a/b, 'f', 2, 64) + "x"
}

func mib(kb int64) string { return strconv.FormatInt(kb/1024, 10) + " MiB" }

// num writes n with thousands separators.
func num(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + num(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// machine describes the CPUs and memory.
func machine() string {
	m := procstat.ReadMachine()
	model, mem := m.Model, ""
	if model == "" {
		model = "unknown CPU"
	}
	if m.MemoryKB > 0 {
		mem = fmt.Sprintf(", %.1f GiB RAM", m.MemoryGiB())
	}
	return fmt.Sprintf("%d CPUs (%s)%s", runtime.NumCPU(), model, mem)
}

// The goals of the scaling issue, at 1M grants on MariaDB.
const (
	goalColdP99      = 5 * time.Millisecond
	goalReadableP99  = 50 * time.Millisecond
	goalCachedVsHTTP = 0.5
)

// scaled is one backend's figures in one world of a -scale series.
type scaled struct {
	k, grants int
	r         *result
}

// scalingReport prints the series side by side: how each figure grows with
// the world.
func scalingReport(out io.Writer, o options, series []scaled) {
	if len(series) == 0 {
		return
	}
	fmt.Fprintf(out, "\nscaling: each world multiplies %s users, %s groups, %s projects, %s elements and %s grants; goals at 1M grants on MariaDB\n\n",
		num(o.users), num(o.groups), num(o.projects), num(o.elements), num(o.grants))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(label, goal string, cell func(s scaled) string) {
		cells := []string{label, goal}
		for _, s := range series {
			cells = append(cells, cell(s))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	row("", "goal (1M, MariaDB)", func(s scaled) string { return fmt.Sprintf("%s ×%d", s.r.backend, s.k) })
	row("grants", "", func(s scaled) string { return num(s.grants) })
	row("seeding (store + bulk + statistics)", "", func(s scaled) string {
		return secs(s.r.seed.storeTime + s.r.seed.bulkTime + s.r.analyzeTime)
	})
	row("cached decisions/s (32 clients)", "", func(s scaled) string { return num(int(s.r.single.rate())) })
	row("  vs GET /healthz of the run", fmt.Sprintf(">= %.1fx", goalCachedVsHTTP), func(s scaled) string {
		return ratio(s.r.single.rate(), s.r.baseline.rate())
	})
	row("  p50 / p99", "", func(s scaled) string { return p50p99(s.r.single) })
	row("one at a time, cached: p50 / p99", "", func(s scaled) string { return p50p99(s.r.serialHTTP) })
	row("one at a time, cold: p50 / p99", "p99 <= "+ms(goalColdP99), func(s scaled) string { return p50p99(s.r.serialCold) })
	row("  store: chain query p50 / p99", "", func(s scaled) string { return p50p99(s.r.chain) })
	row("  store: grants on a chain in memory", "", func(s scaled) string { return p50p99(s.r.held) })
	row("1k batch: p50 / p99", "p99 <= "+ms(goalBatch), func(s scaled) string { return p50p99(s.r.batch) })
	row("  the first call", "", func(s scaled) string { return ms(s.r.firstBatch) })
	row("readable set: p50 / p99", "p99 <= "+ms(goalReadableP99), func(s scaled) string { return p50p99(s.r.readable) })
	row("  names per answer (avg)", "", func(s scaled) string {
		return fmt.Sprintf("%.0f", float64(s.r.readableNames)/float64(max(1, s.r.readable.n()-s.r.readableAll)))
	})
	row("peak RSS while measuring", "", func(s scaled) string { return mib(s.r.peakRSS) })
	row("decision cache: estimated memory / bound", "", func(s scaled) string {
		return mib(s.r.cache.Bytes/1024) + " / " + mib(s.r.cache.MaxBytes()/1024)
	})
	_ = tw.Flush()
	fmt.Fprintln(out, "\nRSS is the whole process: server, load generator and the reference model of the world.")
}
