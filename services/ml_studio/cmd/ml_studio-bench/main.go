// Command ml_studio-bench measures what ml_studio costs in front of MLflow,
// side by side in one run, on this machine:
//
//   - direct: a dedicated MLflow server (the pinned one in .venv/mlflow),
//     started here on a free port with the flags of deploy/local/mlflow.sh
//     (2 workers, SQLite in a temporary folder, --serve-artifacts), called
//     by keep-alive clients; direct-fresh: the same server called with a new
//     connection per request (on asyncio's loop MLflow answers a reused
//     connection ~40 ms late; see -mlflow-uvicorn-opts);
//   - ml_studio: the same MLflow through the real ml_studio and cerberus
//     binaries (go build, default settings: decision cache 2 s), as a
//     non-admin user granted edit on the experiment, with an API token;
//   - basic-auth: MLflow's own `mlflow server --app-name basic-auth` on the
//     same SQLite store, as the same user with EDIT on the experiment,
//     over HTTP basic.
//
// Workloads, each by -clients concurrent clients for -duration after
// -warmup: get-experiment (MLflow's REST path, and for ml_studio also the
// seed path /api/experiments/get), search-runs returning -search-results
// runs of an experiment seeded with -runs runs, and log-batch of -metrics
// metrics per call. It prints p50, p99, requests/s, errors, the ratios to
// direct, the CPU each process spent per request, the cerberus calls per
// request, and the peak RSS (VmHWM) of ml_studio and cerberus, with the
// goals next to the figures. It exits 0 whether or not the goals are met,
// and non-zero when a server or the set-up fails (every timed call is made
// and checked once before the load; failures under load are reported).
//
//	go run ./services/ml_studio/cmd/ml_studio-bench            # one round, ~5 minutes
//	go run ./services/ml_studio/cmd/ml_studio-bench -quick     # smoke run, ~2 minutes
//	make bench-ml-studio BENCH_ML_STUDIO_FLAGS="-rounds 2 -wait-load 1.0"
//
// Every process it starts runs in its own process group on 127.0.0.1 and is
// stopped when the run ends, fails or is interrupted (Ctrl-C); the
// temporary folder is removed unless -keep is given. Linux only (/proc).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ml-studio/ml-studio/pkg/procstat"
)

// options are the command line.
type options struct {
	repo          string
	mlflowBin     string
	cerberusBin   string
	studioBin     string
	workers       int
	uvicornOpts   string
	clients       int
	duration      time.Duration
	warmup        time.Duration
	rounds        int
	backendStore  string
	pin           bool
	runs          int
	searchResults int
	experiments   int
	readableExps  int
	metrics       int
	serial        int
	maxRequests   int
	decisionCache string
	studioEnv     envList
	only          string
	profileDir    string
	waitLoad      float64
	waitMax       time.Duration
	startTimeout  time.Duration
	keep          bool
	quick         bool
	skipBasicAuth bool
	basicCacheTTL int
	directExtras  bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("ml_studio-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.repo, "repo", "", "repository root (holds go.work); default: found from the working directory")
	fs.StringVar(&o.mlflowBin, "mlflow", "", "the mlflow executable; default <repo>/.venv/mlflow/bin/mlflow (deploy/local/mlflow.sh install)")
	fs.StringVar(&o.cerberusBin, "cerberus-bin", "", "a cerberus binary to use instead of building ./services/cerberus/cmd/cerberus")
	fs.StringVar(&o.studioBin, "ml_studio-bin", "", "an ml_studio binary to use instead of building ./services/ml_studio/cmd/ml_studio")
	fs.StringVar(&o.backendStore, "mlflow-backend-store-uri", "", "MLflow's --backend-store-uri, e.g. postgresql+psycopg2://user:pw@127.0.0.1:5432/db (an empty database of its own: the program seeds it); default a fresh SQLite file")
	fs.BoolVar(&o.pin, "pin", runtime.NumCPU() >= 2, "run the MLflow servers on CPU 0 and cerberus, ml_studio and the load generator on the other CPUs (taskset), so that what ml_studio costs does not come out of MLflow's CPU and MLflow's queue is the same for every target")
	fs.IntVar(&o.workers, "mlflow-workers", 2, "MLflow worker processes (deploy/local/mlflow.sh: 2)")
	fs.StringVar(&o.uvicornOpts, "mlflow-uvicorn-opts", "--loop uvloop", "MLflow's --uvicorn-opts (deploy/local/mlflow.sh: --loop uvloop); \"--loop asyncio\" for the asyncio loop, which with several workers answers a reused connection ~40 ms late")
	fs.IntVar(&o.clients, "clients", 16, "concurrent keep-alive HTTP clients of each timed phase")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each timed phase")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load before each timed phase")
	fs.IntVar(&o.rounds, "rounds", 1, "times every phase is run (interleaved); the samples of all rounds are pooled")
	fs.IntVar(&o.runs, "runs", 110, "runs, and traces of five spans, seeded in the experiment (at least -search-results)")
	fs.IntVar(&o.searchResults, "search-results", 100, "max_results of search-runs and search-traces")
	fs.IntVar(&o.experiments, "experiments", 10_000, "experiments of search-experiments, made directly in MLflow")
	fs.IntVar(&o.readableExps, "readable-experiments", 100, "of those, how many the user may read (made through ml_studio, read granted): search-experiments pages them -search-results at a time")
	fs.IntVar(&o.metrics, "metrics", 10, "metrics per log-batch call")
	fs.IntVar(&o.serial, "serial", 50, "requests timed one at a time (one client) per phase before the concurrent load; 0 skips")
	fs.IntVar(&o.maxRequests, "max-requests", 500_000, "upper bound of the requests of one timed phase")
	fs.StringVar(&o.decisionCache, "decision-cache", "", "ML_STUDIO_DECISION_CACHE for ml_studio (default: ml_studio's own, 2s)")
	fs.StringVar(&o.only, "only", "", "comma-separated workloads to time (get-experiment, search-runs, log-batch, search-traces, trace-ingest, search-experiments); default all")
	fs.Var(&o.studioEnv, "studio-env", "an extra ML_STUDIO_*=value setting for ml_studio (repeatable), e.g. ML_STUDIO_MLFLOW_KEEP_ALIVE=true")
	fs.StringVar(&o.profileDir, "profile", "", "build ml_studio with a pprof listener (go build -overlay, no source change) and write a CPU profile of each ml_studio phase to this folder")
	fs.Float64Var(&o.waitLoad, "wait-load", 0, "before starting anything, wait until the 1-minute load average is below this (0: do not wait)")
	fs.DurationVar(&o.waitMax, "wait-max", 20*time.Minute, "longest wait for -wait-load; the run goes on afterwards and says so")
	fs.DurationVar(&o.startTimeout, "start-timeout", 180*time.Second, "time allowed for each MLflow server to become ready")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder (databases, logs) for inspection")
	fs.IntVar(&o.basicCacheTTL, "basic-auth-cache", 0, "auth_cache_ttl_seconds of the basic-auth app (0, its default, checks the password hash on every call)")
	fs.BoolVar(&o.directExtras, "direct-auth-extras", false, "give the plain MLflow server the mlflow[auth] packages too (PYTHONPATH): its search-runs then stops retrying a failing import of mlflow.server.auth on every call; a venv made from the current lock has them already")
	fs.BoolVar(&o.skipBasicAuth, "skip-basic-auth", false, "do not start or measure MLflow's basic-auth app")
	fs.BoolVar(&o.quick, "quick", false, "a short smoke run: 2 s phases after 0.5 s warm-up, 20 serial requests")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]string{"duration": "2s", "warmup": "500ms", "serial": "20"} {
			if !set[name] {
				if err := fs.Set(name, v); err != nil {
					return o, err
				}
			}
		}
	}
	switch {
	case o.clients < 1 || o.clients > 256:
		return o, errors.New("-clients must be from 1 to 256")
	case o.duration <= 0 || o.duration > 10*time.Minute || o.warmup < 0 || o.warmup > time.Minute:
		return o, errors.New("-duration must be positive and at most 10m, -warmup from 0 to 1m")
	case o.rounds < 1 || o.rounds > 10:
		return o, errors.New("-rounds must be from 1 to 10")
	case o.searchResults < 1 || o.searchResults > 1000 || o.runs < o.searchResults || o.runs > 5000:
		return o, errors.New("-search-results must be from 1 to 1,000 and -runs from -search-results to 5,000")
	case o.readableExps < o.searchResults || o.experiments < o.readableExps || o.experiments > 100_000:
		return o, errors.New("-readable-experiments must be at least -search-results and -experiments from that to 100,000")
	case o.metrics < 1 || o.metrics > 1000:
		return o, errors.New("-metrics must be from 1 to 1,000")
	case o.serial < 0 || o.serial > 10_000 || o.maxRequests < 1:
		return o, errors.New("-serial must be from 0 to 10,000 and -max-requests at least 1")
	case o.basicCacheTTL < 0 || o.basicCacheTTL > 3600:
		return o, errors.New("-basic-auth-cache must be from 0 to 3,600 seconds")
	case o.workers < 1 || o.workers > 16:
		return o, errors.New("-mlflow-workers must be from 1 to 16")
	case !validWorkloads(o.only):
		return o, errors.New("-only takes get-experiment, search-runs, log-batch, search-traces, trace-ingest and search-experiments, comma-separated")
	case !o.studioEnv.valid():
		return o, errors.New("-studio-env takes ML_STUDIO_NAME=value")
	case o.decisionCache != "":
		if _, err := time.ParseDuration(o.decisionCache); err != nil {
			return o, fmt.Errorf("-decision-cache: %v", err)
		}
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "ml_studio-bench:", err)
		}
		return 2
	}
	if o.repo == "" {
		if o.repo, err = findRepo(); err != nil {
			fmt.Fprintln(stderr, "ml_studio-bench:", err)
			return 2
		}
	}
	if o.mlflowBin == "" {
		o.mlflowBin = filepath.Join(o.repo, ".venv", "mlflow", "bin", "mlflow")
	}
	if _, err := os.Stat(o.mlflowBin); err != nil {
		fmt.Fprintf(stderr, "ml_studio-bench: no MLflow at %s: run deploy/local/mlflow.sh install (make bench-ml-studio does), or pass -mlflow\n", o.mlflowBin)
		return 2
	}
	b := &bench{o: o, log: func(format string, args ...any) {
		fmt.Fprintf(stderr, "%s ml_studio-bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}}
	b.quiet = waitQuiet(ctx, o.waitLoad, o.waitMax, b.log)
	if o.pin {
		if err := pinSelf(); err != nil {
			fmt.Fprintln(stderr, "ml_studio-bench:", err)
			return 1
		}
	}
	if ctx.Err() != nil {
		return 130
	}
	b.loadAtStart = procstat.LoadAverage()
	defer b.cleanup()
	if err := b.setUp(ctx); err != nil {
		if ctx.Err() != nil {
			b.log("interrupted")
			return 130
		}
		b.log("set-up failed: %v", err)
		return 1
	}
	if err := b.measure(ctx); err != nil {
		if ctx.Err() != nil {
			b.log("interrupted")
			return 130
		}
		b.log("measurement failed: %v", err)
		return 1
	}
	b.profiling.Wait()
	b.collectMemory()
	b.report(stdout)
	// Every call was checked once before the timed phases; failures under
	// load (MLflow's own 500s and SQLite pool time-outs) are figures of the
	// run, reported in the table, not a failure of the benchmark.
	for _, ph := range b.phases {
		if ph.errors > 0 {
			b.log("%s: %d requests failed under load, first: %s", ph.label(), ph.errors, strings.SplitN(ph.firstErr, "\n", 2)[0])
		}
	}
	return 0
}

// envList is a repeatable NAME=value flag.
type envList []string

func (e *envList) String() string { return strings.Join(*e, " ") }

func (e *envList) Set(v string) error {
	*e = append(*e, v)
	return nil
}

func (e envList) valid() bool {
	for _, kv := range e {
		name, _, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, "ML_STUDIO_") {
			return false
		}
	}
	return true
}

// findRepo walks up from the working directory to the folder holding go.work.
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.work above the working directory: run from the repository or pass -repo")
		}
		dir = parent
	}
}

// waitQuiet polls the load average until it drops below limit, for at most
// max. It reports whether the machine was quiet when the wait ended.
func waitQuiet(ctx context.Context, limit float64, max time.Duration, log func(string, ...any)) string {
	if limit <= 0 {
		return "not waited for"
	}
	start := time.Now()
	for {
		l := load1()
		if l >= 0 && l < limit {
			return fmt.Sprintf("below %.2f after waiting %s", limit, time.Since(start).Round(time.Second))
		}
		if time.Since(start) >= max {
			log("the load average stayed at or above %.2f for %s; measuring anyway", limit, max)
			return fmt.Sprintf("NOT below %.2f after waiting %s (load %.2f); measured anyway", limit, max, l)
		}
		if time.Since(start) < time.Second || int(time.Since(start).Seconds())%60 < 10 {
			log("load average %.2f, waiting until it is below %.2f (at most %s)", l, limit, max)
		}
		select {
		case <-ctx.Done():
			return "interrupted"
		case <-time.After(10 * time.Second):
		}
	}
}

// load1 is the 1-minute load average, -1 when unknown.
func load1() float64 {
	f := strings.Fields(procstat.LoadAverage())
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}
