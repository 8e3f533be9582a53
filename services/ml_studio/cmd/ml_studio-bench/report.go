package main

import (
	"fmt"
	"io"
	"math"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ml-studio/ml-studio/pkg/procstat"
)

// The goals.
const (
	goalAddedP50   = 2 * time.Millisecond
	goalThroughput = 0.8
	goalRSSBytes   = 100_000_000 // 100 MB
)

func (ph *phase) rate() float64 {
	if ph.window <= 0 {
		return 0
	}
	return float64(len(ph.lat)) / ph.window.Seconds()
}

// cpuPerRequest is a component's CPU time per completed request, in ms.
func (ph *phase) cpuPerRequest(component string) float64 {
	if len(ph.lat) == 0 {
		return 0
	}
	return float64(ph.cpu[component]) / float64(time.Millisecond) / float64(len(ph.lat))
}

// mlflowCPU is the CPU per request of the MLflow server the phase used.
func (ph *phase) mlflowCPU() float64 {
	if ph.target == basicAuth {
		return ph.cpuPerRequest(cpuBasic)
	}
	return ph.cpuPerRequest(cpuMLflow)
}

// find is the phase of a workload, target and path family.
func (b *bench) find(workload, target string, seed bool) *phase {
	for _, ph := range b.phases {
		if ph.workload == workload && ph.target == target && strings.HasSuffix(ph.via, "(seed)") == seed {
			return ph
		}
	}
	return nil
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func signed(v float64) string { return fmt.Sprintf("%+.2f", v) }

func mark(ok bool) string {
	if ok {
		return "MET"
	}
	return "NOT MET"
}

// noise is how far the p50 of one unchanged set-up (MLflow direct, either
// variant) moved from round to round: an added p50 smaller than that cannot
// be told from chance. Zero with one round.
func (b *bench) noise(workload string) time.Duration {
	return b.spread(workload, func(ph *phase) []time.Duration { return ph.roundP50 })
}

// serialNoise is noise for the one-client p50.
func (b *bench) serialNoise(workload string) time.Duration {
	return b.spread(workload, func(ph *phase) []time.Duration { return ph.serialP50 })
}

func (b *bench) spread(workload string, rounds func(*phase) []time.Duration) time.Duration {
	var spread time.Duration
	for _, target := range []string{direct, directFresh} {
		if ph := b.find(workload, target, false); ph != nil && len(rounds(ph)) > 1 {
			spread = max(spread, slices.Max(rounds(ph))-slices.Min(rounds(ph)))
		}
	}
	return spread
}

// p50Verdict judges an added p50: met, not met, or within the noise of
// this run when the noise is larger than what was added.
func p50Verdict(add, noise time.Duration) string {
	switch {
	case add <= goalAddedP50:
		return "MET"
	case add <= noise:
		return "WITHIN NOISE (p50 of direct moved " + ms(noise) + " between rounds)"
	}
	return "NOT MET"
}

// baseline is the faster of the two direct variants of a workload (by
// requests/s): the stricter reference for what ml_studio adds.
func (b *bench) baseline(workload string) *phase {
	ka, fresh := b.find(workload, direct, false), b.find(workload, directFresh, false)
	if fresh == nil || (ka != nil && ka.rate() >= fresh.rate()) {
		return ka
	}
	return fresh
}

// serialBaseline is the direct variant with the lower one-client p50.
func (b *bench) serialBaseline(workload string) *phase {
	ka, fresh := b.find(workload, direct, false), b.find(workload, directFresh, false)
	if fresh == nil || (ka != nil && pct(ka.serial, 0.5) <= pct(fresh.serial, 0.5)) {
		return ka
	}
	return fresh
}

// versus is a phase's throughput ratio and added p50 and p99 against ref.
// A phase none of whose requests started in the window (each took longer)
// counts as infinitely slow.
func versus(ph, ref *phase) (ratio float64, addP50, addP99 time.Duration) {
	if ref == nil || ref.rate() == 0 {
		return 0, 0, 0
	}
	if len(ph.lat) == 0 {
		return 0, math.MaxInt64, math.MaxInt64
	}
	return ph.rate() / ref.rate(), pct(ph.lat, 0.5) - pct(ref.lat, 0.5), pct(ph.lat, 0.99) - pct(ref.lat, 0.99)
}

// addedMS formats an added latency; the infinite one says why.
func addedMS(d time.Duration) string {
	if d == math.MaxInt64 {
		return "> window"
	}
	return signed(msf(d))
}

// addedUnit is addedMS with its unit.
func addedUnit(d time.Duration) string {
	if d == math.MaxInt64 {
		return addedMS(d)
	}
	return addedMS(d) + " ms"
}

// latMS is a quantile in ms, or "—" when nothing was recorded.
func latMS(ph *phase, q float64) string {
	if len(ph.lat) == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", msf(pct(ph.lat, q)))
}

func (b *bench) report(out io.Writer) {
	m := procstat.ReadMachine()
	cores, model, mem := m.Processors, m.Model, ""
	if m.MemoryKB > 0 {
		mem = fmt.Sprintf("%.1f GiB", m.MemoryGiB())
	}
	basicNote := "MLflow's basic-auth app (default settings: credential cache off, a password hash check on every call)"
	if b.o.basicCacheTTL > 0 {
		basicNote = fmt.Sprintf("MLflow's basic-auth app with auth_cache_ttl_seconds = %d", b.o.basicCacheTTL)
	}
	if b.basic == nil {
		basicNote = "basic-auth skipped"
	}
	if b.o.directExtras {
		basicNote += "; the plain MLflow given the mlflow[auth] packages (-direct-auth-extras)"
	}
	settings := "default settings"
	if extra := append([]string{}, b.o.studioEnv...); b.o.decisionCache != "" || len(extra) > 0 {
		if b.o.decisionCache != "" {
			extra = append(extra, "ML_STUDIO_DECISION_CACHE="+b.o.decisionCache)
		}
		settings = strings.Join(extra, " ")
	}
	loop := "uvicorn-opts " + strconv.Quote(b.o.uvicornOpts)
	if b.o.uvicornOpts == "" {
		loop = "uvicorn's defaults"
	}
	store := "SQLite"
	if u, err := url.Parse(b.o.backendStore); err == nil && b.o.backendStore != "" {
		store = u.Scheme // the scheme only: the URI may hold a password
	}
	fmt.Fprintf(out, "\nml_studio-bench: MLflow %s (%d uvicorn workers, %s, %s, --serve-artifacts) direct; through ml_studio + cerberus (%s); %s\n",
		b.versions["mlflow"], b.o.workers, loop, store, settings, basicNote)
	fmt.Fprintf(out, "data: experiment %s with %d runs (5 params, 5 metrics, 3 tags each) and %d traces (5 spans each); search-runs and search-traces return %d (search-runs %d bytes); log-batch writes %d metrics; trace-ingest sends a new trace of 5 spans over OTLP; search-experiments finds %d a page of the %d of %d experiments the user may read (basic-auth: not run)\n",
		b.expID, b.o.runs, b.o.runs, b.o.searchResults, b.searchBytes(), b.o.metrics, b.o.searchResults, b.o.readableExps, b.o.experiments)
	fmt.Fprintf(out, "load: %d clients in this process, closed loop, %s per phase after %s warm-up, %d round(s) interleaved; before each, %d requests one at a time\n",
		b.o.clients, b.o.duration, b.o.warmup, b.o.rounds, b.o.serial)
	fmt.Fprintf(out, "  direct, ml_studio, basic-auth: keep-alive clients; direct-fresh: a new connection per request (ml_studio's own calls to MLflow: ML_STUDIO_MLFLOW_KEEP_ALIVE)\n")
	fmt.Fprintf(out, "  ratios and added latency are against the faster direct variant of each workload (marked *)\n")
	fmt.Fprintf(out, "machine: %d × %s, %s; %s; load average at start %s (wait for a quiet machine: %s)\n\n",
		cores, model, mem, runtime.Version(), b.loadAtStart, b.quiet)
	if b.o.pin {
		fmt.Fprintf(out, "pinned (-pin): the MLflow servers on CPU %s; cerberus, ml_studio and the load generator on CPUs %s\n\n", mlflowCPUs, otherCPUs())
	}

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tvia\tpath\treq/s\tp50 ms\tp99 ms\tmean ms\terrors (with warm-up)\t× direct req/s\t+p50 ms\t+p99 ms\tcerberus calls/req\tCPU ms/req: MLflow\tml_studio\tcerberus\tbench\tmachine busy (cores)\t")
	for _, ph := range b.phases {
		ref := b.baseline(ph.workload)
		target, ratio, addP50, addP99 := ph.target, "", "", ""
		if ph == ref {
			target += " *"
		} else {
			r, a50, a99 := versus(ph, ref)
			ratio, addP50, addP99 = fmt.Sprintf("%.2f", r), addedMS(a50), addedMS(a99)
		}
		cerb, studioCPU, cerbCPU := "", "", ""
		if ph.target == studio {
			cerb = fmt.Sprintf("%.3f", ph.cerbCalls/float64(max(1, len(ph.lat))))
			studioCPU = fmt.Sprintf("%.2f", ph.cpuPerRequest(cpuStudio))
			cerbCPU = fmt.Sprintf("%.2f", ph.cpuPerRequest(cpuCerberus))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f\t%s\t%s\t%.2f\t%d\t%s\t%s\t%s\t%s\t%.2f\t%s\t%s\t%.2f\t%.2f\t\n",
			ph.workload, target, ph.via, ph.rate(), latMS(ph, 0.5), latMS(ph, 0.99), msf(mean(ph.lat)), ph.errors,
			ratio, addP50, addP99, cerb, ph.mlflowCPU(), studioCPU, cerbCPU, ph.cpuPerRequest(cpuBench),
			float64(ph.busy)/float64(max(ph.window, 1)))
	}
	_ = tw.Flush()

	if b.o.serial > 0 {
		fmt.Fprintf(out, "\none client, one request at a time (%d requests each): p50, and added to the faster direct variant (*)\n", b.o.serial*b.o.rounds)
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		for _, ph := range b.phases {
			ref := b.serialBaseline(ph.workload)
			target, add := ph.target, ""
			if ph == ref {
				target += " *"
			} else if ref != nil {
				add = "(" + signed(msf(pct(ph.serial, 0.5)-pct(ref.serial, 0.5))) + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f ms\t%s\t\n", ph.workload, target, ph.via, msf(pct(ph.serial, 0.5)), add)
		}
		_ = tw.Flush()
	}

	fmt.Fprintf(out, "\nMLflow's keep-alive: GET /health on one reused connection %s, on a new connection each time %s (ml_studio /healthz reused: %s)\n",
		ms(b.diag.mlflowKeepAlive), ms(b.diag.mlflowFresh), ms(b.diag.studioKeepAlive))
	fmt.Fprintf(out, "memory at the end: ml_studio peak RSS (VmHWM) %.1f MB (now %.1f MB); cerberus peak %.1f MB (now %.1f MB); MLflow %.0f MB",
		mb(b.mem.studioHWM), mb(b.mem.studioRSS), mb(b.mem.cerberusHWM), mb(b.mem.cerberusRSS), mb(b.mem.mlflowRSS))
	if b.basic != nil {
		fmt.Fprintf(out, ", basic-auth MLflow %.0f MB", mb(b.mem.basicRSS))
	}
	fmt.Fprintln(out, " (RSS summed over each server's processes)")
	for _, ph := range b.phases {
		if len(ph.profiles) > 0 {
			fmt.Fprintf(out, "CPU profiles of ml_studio, %s: %s\n", ph.label(), strings.Join(ph.profiles, " "))
		}
		if ph.firstErr != "" {
			fmt.Fprintf(out, "first error of %s: %s\n", ph.label(), ph.firstErr)
		}
	}

	fmt.Fprintln(out, "\ngoals: ml_studio through MLflow's REST path, against the faster direct variant (* above); in brackets against keep-alive direct")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "goal\tworkload\tml_studio\tbasic-auth\tverdict\t\n")
	workloads := allWorkloads()
	for _, wl := range workloads {
		ref, ka, st, ba := b.baseline(wl), b.find(wl, direct, false), b.find(wl, studio, false), b.find(wl, basicAuth, false)
		if ref == nil || st == nil || ref.rate() == 0 {
			continue
		}
		_, add, _ := versus(st, ref)
		_, addKA, _ := versus(st, ka)
		bas := "—"
		if ba != nil {
			_, a, _ := versus(ba, ref)
			bas = addedUnit(a)
		}
		fmt.Fprintf(tw, "adds <= %s at p50\t%s\t%s (%s)\t%s\t%s\t\n", ms(goalAddedP50), wl, addedUnit(add), addedMS(addKA), bas, p50Verdict(add, b.noise(wl)))
	}
	for _, wl := range workloads {
		ref, st, ba := b.serialBaseline(wl), b.find(wl, studio, false), b.find(wl, basicAuth, false)
		if ref == nil || st == nil || len(ref.serial) == 0 || len(st.serial) == 0 {
			continue
		}
		add := pct(st.serial, 0.5) - pct(ref.serial, 0.5)
		bas := "—"
		if ba != nil && len(ba.serial) > 0 {
			bas = addedUnit(pct(ba.serial, 0.5) - pct(ref.serial, 0.5))
		}
		fmt.Fprintf(tw, "adds <= %s at p50, one client\t%s\t%s\t%s\t%s\t\n", ms(goalAddedP50), wl, addedUnit(add), bas, p50Verdict(add, b.serialNoise(wl)))
	}
	for _, wl := range workloads {
		ref, ka, st, ba := b.baseline(wl), b.find(wl, direct, false), b.find(wl, studio, false), b.find(wl, basicAuth, false)
		if ref == nil || st == nil || ref.rate() == 0 {
			continue
		}
		r, _, _ := versus(st, ref)
		rKA, _, _ := versus(st, ka)
		bas := "—"
		if ba != nil {
			br, _, _ := versus(ba, ref)
			bas = fmt.Sprintf("%.2f", br)
		}
		fmt.Fprintf(tw, ">= %.1f of direct req/s\t%s\t%.2f (%.2f)\t%s\t%s\t\n", goalThroughput, wl, r, rKA, bas, mark(r >= goalThroughput))
	}
	for _, wl := range workloads {
		ref, st, ba := b.baseline(wl), b.find(wl, studio, false), b.find(wl, basicAuth, false)
		if ref == nil || st == nil || ba == nil || ref.rate() == 0 {
			continue
		}
		stR, stAdd, _ := versus(st, ref)
		baR, baAdd, _ := versus(ba, ref)
		fmt.Fprintf(tw, "beats basic-auth's overhead\t%s\t%s, %.2f×\t%s, %.2f×\t%s\t\n", wl, addedUnit(stAdd), stR, addedUnit(baAdd), baR,
			mark(stAdd < baAdd && stR > baR))
	}
	fmt.Fprintf(tw, "peak RSS < 100 MB\t(all)\t%.1f MB\t\t%s\t\n", mb(b.mem.studioHWM), mark(b.mem.studioHWM > 0 && b.mem.studioHWM*1024 < goalRSSBytes))
	fmt.Fprintf(tw, "(cerberus peak RSS)\t(all)\t%.1f MB\t\t\t\n", mb(b.mem.cerberusHWM))
	_ = tw.Flush()
	fmt.Fprintf(out, "\ntotal time %s; load average at the end %s\n", time.Since(b.started).Round(time.Second), procstat.LoadAverage())
}

func (b *bench) searchBytes() int {
	if ph := b.find(wlSearch, direct, false); ph != nil {
		return ph.respBytes
	}
	return 0
}

// mb turns kB (KiB, as /proc counts) into MB (10^6 bytes).
func mb(kb int64) float64 { return float64(kb) * 1024 / 1e6 }
