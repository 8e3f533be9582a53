// Command cerberus-bench measures cerberus's access decisions at the scale
// of an organisation, on SQLite and on MariaDB in the same run.
//
// For each backend it seeds a fresh database (users, groups, projects with
// experiments and registered models, and grants on them), starts the real
// HTTP server in this process (server.New and api.Register, as
// cmd/cerberus does) on 127.0.0.1:0, signs users in, checks a sample of
// answers against the access model computed from the generated grants, and
// then measures over keep-alive HTTP connections:
//
//   - GET /healthz: the HTTP floor of the machine;
//   - POST /api/authorize: single decisions, closed loop, -clients at once;
//   - POST /api/authorize/batch: one question about 1,000 elements;
//   - POST /api/authorize/readable: the experiments a user may read.
//
// With -provider-tokens it measures instead what a request costs with an
// OpenID provider's JWT against one with an mlt_ API token and /healthz
// (providertokens.go).
//
// It prints a table with the goals next to the figures and exits 0 whether
// or not they are met; it exits non-zero only when something fails (the
// database, a request, or an answer that contradicts the seed).
//
//	go run ./services/cerberus/cmd/cerberus-bench -backend both
//	make bench            (starts a local MariaDB when ML_STUDIO_TEST_MYSQL_DSN is unset)
//
// The server runs with cerberus's default settings (CERBERUS_BENCH_*
// variables may change them, CERBERUS_* ones are not read) except the
// bcrypt cost, lowered to 4: logins are not measured, and every user shares
// one password hash. Its log is encoded as in production and discarded
// (-log keeps it); lines at error level are counted and reported.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	pkgconfig "github.com/ml-studio/ml-studio/pkg/config"
	"github.com/ml-studio/ml-studio/pkg/procstat"
	"github.com/ml-studio/ml-studio/pkg/server"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/accesscache"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/api"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authz"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/config"
	accesssvc "github.com/ml-studio/ml-studio/services/cerberus/internal/service"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// options are the command line.
type options struct {
	backend string
	dsn     string
	sizes
	clients       int
	duration      time.Duration
	warmup        time.Duration
	logins        int
	batchCalls    int
	batchSize     int
	readableCalls int
	hit           float64
	verify        int
	serial        int
	churn         int
	seed          uint64
	cpuProfile    string
	logFile       string
	keep          bool
	quick         bool
	scales        []int
	loadAtStart   string
	// provider, when its issuer is set, runs -provider-tokens instead.
	provider providerOptions
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("cerberus-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.backend, "backend", "both", "sqlite, mysql (MariaDB/MySQL) or both")
	fs.StringVar(&o.dsn, "dsn", os.Getenv(envMySQLDSN), "MariaDB/MySQL server (go-sql-driver DSN or mysql:// URL) whose user may create databases named test_*; default $"+envMySQLDSN)
	fs.IntVar(&o.users, "users", 1000, "users (besides the admin)")
	fs.IntVar(&o.groups, "groups", 100, "groups; user u is in group u % groups, every fifth user in a second one")
	fs.IntVar(&o.projects, "projects", 500, "projects")
	fs.IntVar(&o.elements, "elements", 50000, "experiments and registered models, spread evenly over the projects (60/40)")
	fs.IntVar(&o.grants, "grants", 200000, "grants in all, to users and groups")
	fs.IntVar(&o.clients, "clients", 32, "concurrent keep-alive HTTP clients of the timed phases")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each timed phase")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured time before each timed phase")
	fs.IntVar(&o.logins, "logins", 300, "users signed in; the questions are theirs")
	fs.IntVar(&o.batchCalls, "batch-calls", 50, "batch decisions timed, one at a time")
	fs.IntVar(&o.batchSize, "batch-size", 1000, "elements per batch decision (at most 1,000)")
	fs.IntVar(&o.readableCalls, "readable-calls", 200, "readable-elements queries timed, one at a time")
	fs.Float64Var(&o.hit, "hit", 0.5, "share of questions about elements the user works on; the rest are about any element")
	fs.IntVar(&o.verify, "verify", 400, "single decisions checked against the access model before measuring")
	fs.IntVar(&o.serial, "serial", 500, "decisions timed one at a time, over HTTP and as the store calls they make")
	fs.IntVar(&o.churn, "churn", 100, "access changes a second (grants given and taken back) during the churn phase")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed of the data set and the questions")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write CPU profiles of the healthz, single, one-at-a-time, batch and readable phases to FILE.<backend>.<phase>, and what each allocated to FILE.<backend>.<phase>.allocs (go tool pprof -sample_index=alloc_space -base FILE.<backend>.<phase>.allocs-before …)")
	fs.StringVar(&o.logFile, "log", "", "append the server's log to this file instead of discarding it")
	fs.BoolVar(&o.keep, "keep", false, "keep the seeded databases (SQLite file, MariaDB test_bench_* database) for inspection")
	fs.BoolVar(&o.quick, "quick", false, "a small smoke run: 60 users, 6 groups, 20 projects, 1,000 elements, 4,000 grants, 8 clients, 2 s phases")
	providerTokens := fs.Bool("provider-tokens", false, "measure instead a request with an OpenID provider's JWT against one with an mlt_ API token and /healthz (needs -provider-issuer; make bench-cerberus starts Keycloak)")
	fs.StringVar(&o.provider.issuer, "provider-issuer", os.Getenv("ML_STUDIO_TEST_OIDC_ISSUER"), "the provider's issuer URL for -provider-tokens; default $ML_STUDIO_TEST_OIDC_ISSUER")
	fs.StringVar(&o.provider.client, "provider-client", "ml-studio-ci", "client whose client-credentials token is the caller")
	fs.StringVar(&o.provider.secret, "provider-secret", "ml-studio-ci-dev-secret", "that client's secret")
	fs.StringVar(&o.provider.audience, "provider-audience", "ml-studio", "audience cerberus requires of the provider's tokens (CERBERUS_OIDC_AUDIENCE)")
	scale := fs.String("scale", "", "a series of worlds, e.g. 1,5,25: each multiplies -users, -groups, -projects, -elements and -grants (a user's own share stays the same), and a scaling table ends the report")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for f := range strings.SplitSeq(*scale, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		k, err := strconv.Atoi(f)
		if err != nil || k < 1 {
			return o, fmt.Errorf("-scale: %q is not a whole multiplier of at least 1", f)
		}
		o.scales = append(o.scales, k)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case !*providerTokens:
		o.provider.issuer = ""
	case o.provider.issuer == "":
		return o, fmt.Errorf("-provider-tokens needs -provider-issuer (or ML_STUDIO_TEST_OIDC_ISSUER): deploy/local/keycloak.sh start runs one")
	}
	if o.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		quick := map[string]string{"users": "60", "groups": "6", "projects": "20", "elements": "1000", "grants": "4000",
			"clients": "8", "duration": "2s", "warmup": "300ms", "logins": "30", "batch-calls": "10", "readable-calls": "20", "verify": "200", "serial": "100"}
		for name, v := range quick {
			if !set[name] {
				if err := fs.Set(name, v); err != nil {
					return o, err
				}
			}
		}
	}
	switch {
	case o.backend != "sqlite" && o.backend != "mysql" && o.backend != "both":
		return o, fmt.Errorf("-backend must be sqlite, mysql or both")
	case o.clients < 1 || o.duration <= 0 || o.warmup < 0 || o.logins < 1:
		return o, fmt.Errorf("-clients and -logins must be at least 1, -duration positive")
	case o.batchSize < 1 || o.batchSize > 1000:
		return o, fmt.Errorf("-batch-size must be from 1 to 1,000")
	case o.churn < 1 || o.churn > 10000:
		return o, fmt.Errorf("-churn must be from 1 to 10000")
	case o.batchCalls < 1 || o.readableCalls < 1 || o.serial < 1 || o.verify < 0:
		return o, fmt.Errorf("-batch-calls, -readable-calls and -serial must be at least 1")
	case o.hit < 0 || o.hit > 1:
		return o, fmt.Errorf("-hit must be from 0 to 1")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "cerberus-bench:", err)
		}
		return 2
	}
	progress := func(format string, args ...any) {
		fmt.Fprintf(stderr, "%s cerberus-bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	if o.dsn == "" && o.backend != "sqlite" {
		fmt.Fprintf(stderr, "cerberus-bench: no MariaDB/MySQL server: set %s or -dsn (make bench starts a local MariaDB), or run -backend sqlite\n", envMySQLDSN)
		return 2
	}

	started := time.Now()
	o.loadAtStart = procstat.LoadAverage()
	if o.provider.issuer != "" {
		return benchProviderTokens(ctx, o, stdout, progress)
	}
	if len(o.scales) == 0 {
		_, code := runWorld(ctx, o, stdout, stderr, progress)
		return code
	}
	var series []scaled
	for _, k := range o.scales {
		ok := o
		ok.sizes = sizes{users: o.users * k, groups: o.groups * k, projects: o.projects * k, elements: o.elements * k, grants: o.grants * k}
		ok.loadAtStart = procstat.LoadAverage()
		progress("world ×%d: %d grants", k, ok.grants)
		results, code := runWorld(ctx, ok, stdout, stderr, progress)
		for _, r := range results {
			series = append(series, scaled{k: k, grants: ok.grants, r: r})
		}
		if code != 0 {
			scalingReport(stdout, o, series)
			return code
		}
	}
	scalingReport(stdout, o, series)
	fmt.Fprintf(stdout, "total time %s\n", time.Since(started).Round(time.Second))
	return 0
}

// runWorld generates one world, measures it on each backend and reports.
func runWorld(ctx context.Context, o options, stdout, stderr io.Writer, progress func(string, ...any)) ([]*result, int) {
	started := time.Now()
	heapBefore := heapInUse()
	w, err := newWorld(o.sizes, mathrand.New(mathrand.NewPCG(o.seed, 1)))
	if err != nil {
		fmt.Fprintln(stderr, "cerberus-bench:", err)
		return nil, 2
	}
	worldMB := float64(max(0, int64(heapInUse())-int64(heapBefore))) / (1 << 20)
	progress("data set generated in %s (%.0f MiB in memory, kept for the reference model)", time.Since(started).Round(time.Millisecond), worldMB)

	// Every user shares one password hash: a thousand bcrypt hashes would
	// cost more than the rest of the seeding and measure nothing.
	password, err := authn.GeneratePassword()
	if err != nil {
		fmt.Fprintln(stderr, "cerberus-bench:", err)
		return nil, 1
	}
	hasher, err := authn.NewPasswords(benchBcryptCost, 0)
	if err != nil {
		fmt.Fprintln(stderr, "cerberus-bench:", err)
		return nil, 1
	}
	hash, err := hasher.Hash(password)
	if err != nil {
		fmt.Fprintln(stderr, "cerberus-bench:", err)
		return nil, 1
	}

	backends := []string{"sqlite", "mysql"}
	if o.backend != "both" {
		backends = []string{o.backend}
	}
	var results []*result
	code := 0
	for _, b := range backends {
		r, err := benchBackend(ctx, o, b, w, hash, password, progress)
		if err != nil {
			progress("%s: %v", backendName(b), err)
			code = 1
			break
		}
		results = append(results, r)
	}
	if len(results) > 0 {
		report(stdout, o, w, results, worldMB, time.Since(started))
	}
	return results, code
}

// envMySQLDSN is pkg/testenv's variable, which `make test` and `make bench`
// set (importing testenv would link testcontainers into the benchmark).
const envMySQLDSN = "ML_STUDIO_TEST_MYSQL_DSN"

// benchBcryptCost is bcrypt's minimum: logins are setup here, not measured.
const benchBcryptCost = 4

func backendName(b string) string {
	if b == "mysql" {
		return "MariaDB"
	}
	return "SQLite"
}

// result is one backend's figures.
type result struct {
	backend, version string
	seed             *seeded
	logins           int
	loginTime        time.Duration
	verified         verification

	baseline, single, batch, readable *stats
	// Single decisions with the cache off: the baseline.
	uncached *stats
	// Single decisions while access changes empty the cache.
	churn       *stats
	churnWrites int
	// One decision at a time: over HTTP (from memory, and right after the
	// user's entries were emptied), and the store calls it makes.
	serialHTTP, serialCold, resolve, chain, held, audit *stats
	analyzeTime                                         time.Duration
	batchAllowed                                        float64 // per call
	readableNames, readableExcept                       int     // in all the timed answers
	readableAll                                         int     // answers "all but Except"

	firstBatch time.Duration // the first batch, before the warm-up ones
	cache      accesscache.Stats

	rssServing, peakRSS int64 // kB
	peakReset           bool
	serverErrors        int
	serverErrorSample   []string
}

func benchBackend(ctx context.Context, o options, backend string, w *world, hash, password string, progress func(string, ...any)) (_ *result, err error) {
	name := backendName(backend)
	r := &result{backend: name}
	dsn, drop, err := openDatabase(ctx, backend, o.dsn)
	if err != nil {
		return nil, err
	}
	if o.keep {
		progress("%s: -keep: the database stays at %s", name, describe(dsn))
		drop = func() error { return nil }
	}
	defer func() {
		if dropErr := drop(); dropErr != nil {
			err = errors.Join(err, dropErr)
		}
	}()
	r.version = databaseVersion(dsn)

	var cfg config.Config
	if err := pkgconfig.Load(config.Prefix+"_BENCH", &cfg); err != nil {
		return nil, err
	}
	cfg.BcryptCost = benchBcryptCost
	errLog := &errorLog{}
	log, closeLog, err := serverLogger(o.logFile, errLog)
	if err != nil {
		return nil, err
	}
	defer closeLog()

	// The wiring of cmd/cerberus.
	st, err := store.Open(dsn, log)
	if err != nil {
		return nil, err
	}
	defer func() { _ = st.Close() }()
	if _, err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := st.LoadCatalogue(ctx); err != nil {
		return nil, err
	}
	passwords, err := authn.NewPasswords(cfg.BcryptCost, cfg.PasswordMinLength)
	if err != nil {
		return nil, err
	}
	throttle := authn.NewThrottle(authn.ThrottleConfig{MaxFailures: cfg.LoginMaxFailures, Window: cfg.LoginWindow, Lockout: cfg.LoginLockout})
	svc := accesssvc.New(accesssvc.Config{SessionTTL: cfg.SessionTTL, MaxTokenTTL: cfg.TokenMaxTTL, DefaultTokenTT: cfg.TokenDefaultTTL, RegistrarSecret: cfg.RegistrarSecret,
		Cache: accesscache.Config{Sync: cfg.CacheSync}}, st, passwords, throttle, log)
	stopService := svc.Start(context.WithoutCancel(ctx))
	defer stopService()

	progress("%s (%s): seeding %d users, %d groups, %d projects, %d elements, %d grants", name, r.version, w.users, w.groups, w.projects, w.elements, len(w.grants))
	adminPassword, err := authn.GeneratePassword()
	if err != nil {
		return nil, err
	}
	if r.seed, err = seed(ctx, st, svc, dsn, w, hash, adminPassword); err != nil {
		return nil, err
	}
	start := time.Now()
	// What cerberus does at start and every hour (Service.Run), done here
	// once after the bulk load rather than waiting for the hour.
	if err := st.Optimize(ctx); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	r.analyzeTime = time.Since(start)
	progress("%s: seeded in %s: %d store calls in %s, %d rows in bulk in %s, statistics in %s", name,
		(r.seed.storeTime + r.seed.bulkTime + r.analyzeTime).Round(time.Millisecond), r.seed.storeCalls, r.seed.storeTime.Round(time.Millisecond),
		r.seed.bulkRows, r.seed.bulkTime.Round(time.Millisecond), r.analyzeTime.Round(time.Millisecond))

	t, stopServing, err := serve(ctx, cfg, log, st, svc, o.clients)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, stopServing()) }()
	// The baseline: the same service with the cache off, on the same
	// database, as cerberus answered before it had one. Its denials are
	// audited synchronously, since it is not started.
	uncached := accesssvc.New(accesssvc.Config{SessionTTL: cfg.SessionTTL, MaxTokenTTL: cfg.TokenMaxTTL, DefaultTokenTT: cfg.TokenDefaultTTL, RegistrarSecret: cfg.RegistrarSecret},
		st, passwords, throttle, log)
	tUncached, stopUncached, err := serve(ctx, cfg, log, st, uncached, o.clients)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, stopUncached()) }()

	start = time.Now()
	nLogins := min(o.logins, w.users)
	users := make([]int, nLogins)
	for i := range users {
		users[i] = i * w.users / nLogins
	}
	sessions, err := login(ctx, t, users, password)
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	r.logins, r.loginTime = len(sessions), time.Since(start)
	a := &asker{w: w, sessions: sessions, hit: o.hit}

	rng := mathrand.New(mathrand.NewPCG(o.seed, 2))
	if r.verified, err = verify(ctx, t, a, rng, o.verify); err != nil {
		return nil, err
	}
	progress("%s: %d users signed in in %s; %s", name, r.logins, r.loginTime.Round(time.Millisecond), r.verified)

	// Measure the serving process only: drop the seeding's garbage and
	// restart the peak RSS counter.
	runtime.GC()
	debug.FreeOSMemory()
	r.rssServing, _ = procstat.StatusKB(0, "VmRSS")
	r.peakReset = procstat.ResetPeakRSS()

	progress("%s: GET /healthz, %d clients, %s", name, o.clients, o.duration)
	stopProfile, err := startProfile(o.cpuProfile, backend, "healthz")
	if err != nil {
		return nil, err
	}
	r.baseline = runTimed(ctx, o.clients, o.warmup, o.duration, func(int) func() (int8, error) {
		var buf bytes.Buffer
		return func() (int8, error) { return outcomeNone, t.do(ctx, http.MethodGet, "/healthz", nil, &buf) }
	})
	if err := stopProfile(); err != nil {
		return nil, err
	}

	progress("%s: POST /api/authorize, %d clients, %s", name, o.clients, o.duration)
	if stopProfile, err = startProfile(o.cpuProfile, backend, "single"); err != nil {
		return nil, err
	}
	decider := func(t *target, seed uint64) func(i int) func() (int8, error) {
		return func(i int) func() (int8, error) {
			rng := mathrand.New(mathrand.NewPCG(o.seed, seed+uint64(i)))
			var (
				buf  bytes.Buffer
				body []byte
			)
			return func() (int8, error) {
				q := a.draw(rng)
				body = authorizeBody(body, q.s.token, w.names[q.elem], opNames[q.ord])
				if err := t.do(ctx, http.MethodPost, "/api/authorize", body, &buf); err != nil {
					return outcomeNone, err
				}
				if bytes.Contains(buf.Bytes(), allowedTrue) {
					return outcomeAllowed, nil
				}
				return outcomeDenied, nil
			}
		}
	}
	r.single = runTimed(ctx, o.clients, o.warmup, o.duration, decider(t, 100))
	if err := stopProfile(); err != nil {
		return nil, err
	}

	progress("%s: POST /api/authorize, %d clients, %s, the cache off", name, o.clients, o.duration)
	r.uncached = runTimed(ctx, o.clients, o.warmup, o.duration, decider(tUncached, 300))

	progress("%s: POST /api/authorize, %d clients, %s, with %d access changes a second", name, o.clients, o.duration, o.churn)
	stopChurn := churn(ctx, st, a, r.seed.users, o.churn, mathrand.New(mathrand.NewPCG(o.seed, 7)))
	r.churn = runTimed(ctx, o.clients, o.warmup, o.duration, decider(t, 200))
	if r.churnWrites, err = stopChurn(); err != nil {
		return nil, fmt.Errorf("churn: %w", err)
	}

	if stopProfile, err = startProfile(o.cpuProfile, backend, "serial"); err != nil {
		return nil, err
	}
	if err := serial(ctx, o, r, t, st, a, rng, progress); err != nil {
		return nil, errors.Join(err, stopProfile())
	}
	if err := stopProfile(); err != nil {
		return nil, err
	}

	progress("%s: POST /api/authorize/batch of %d elements, %d calls", name, o.batchSize, o.batchCalls)
	var buf bytes.Buffer
	batchCall := func(int) (time.Duration, error) {
		s := a.sessions[rng.IntN(len(a.sessions))]
		body := batchBody(w, s.token, a.distinctElements(rng, s.user, o.batchSize), "read")
		t0 := time.Now()
		if err := t.do(ctx, http.MethodPost, "/api/authorize/batch", body, &buf); err != nil {
			return 0, err
		}
		d := time.Since(t0)
		r.batchAllowed += float64(bytes.Count(buf.Bytes(), allowedTrue))
		return d, nil
	}
	first, err := runSequential(ctx, 1, batchCall) // what the first caller waits
	if err != nil {
		return nil, err
	}
	r.firstBatch = first.p(1)
	if _, err := runSequential(ctx, 3, batchCall); err != nil { // warm-up
		return nil, err
	}
	r.batchAllowed = 0
	if stopProfile, err = startProfile(o.cpuProfile, backend, "batch"); err != nil {
		return nil, err
	}
	if r.batch, err = runSequential(ctx, o.batchCalls, batchCall); err != nil {
		return nil, errors.Join(err, stopProfile())
	}
	if err := stopProfile(); err != nil {
		return nil, err
	}
	r.batchAllowed /= float64(o.batchCalls)

	progress("%s: POST /api/authorize/readable (experiments), %d calls", name, o.readableCalls)
	readableCall := func(int) (time.Duration, error) {
		s := a.sessions[rng.IntN(len(a.sessions))]
		body := readableBody(s.token, "experiment", "read")
		t0 := time.Now()
		if err := t.do(ctx, http.MethodPost, "/api/authorize/readable", body, &buf); err != nil {
			return 0, err
		}
		d := time.Since(t0)
		var ans authz.Readable
		if err := json.Unmarshal(buf.Bytes(), &ans); err != nil {
			return 0, fmt.Errorf("readable answer: %w", err)
		}
		r.readableNames += len(ans.Names)
		r.readableExcept += len(ans.Except)
		if ans.All {
			r.readableAll++
		}
		return d, nil
	}
	if _, err := runSequential(ctx, 3, readableCall); err != nil {
		return nil, err
	}
	r.readableNames, r.readableExcept, r.readableAll = 0, 0, 0
	if stopProfile, err = startProfile(o.cpuProfile, backend, "readable"); err != nil {
		return nil, err
	}
	if r.readable, err = runSequential(ctx, o.readableCalls, readableCall); err != nil {
		return nil, errors.Join(err, stopProfile())
	}
	if err := stopProfile(); err != nil {
		return nil, err
	}

	r.peakRSS, _ = procstat.StatusKB(0, "VmHWM")
	r.cache = svc.CacheStats()
	r.serverErrors, r.serverErrorSample = errLog.snapshot()
	for _, s := range []*stats{r.baseline, r.single, r.uncached, r.churn} {
		if s.errors > 0 {
			return r, fmt.Errorf("%d requests failed, the first: %w", s.errors, s.firstErr)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

// serial times decisions one at a time, with nothing else running: over
// HTTP, then the three store calls a decision makes (resolving the token,
// the grants on the element's chain, and for a denial the audit entry)
// called in-process.
func serial(ctx context.Context, o options, r *result, t *target, st *store.Store, a *asker, rng *mathrand.Rand, progress func(string, ...any)) error {
	progress("%s: %d decisions one at a time, over HTTP and as store calls", r.backend, o.serial)
	w := a.w
	comp, err := st.ComponentID(accesssvc.Component)
	if err != nil {
		return err
	}
	var (
		buf  bytes.Buffer
		body []byte
	)
	// One decision over HTTP; cold first empties (untimed) the asker's
	// cached entries by a change to the user, so the decision makes the
	// token lookup and chain query of a cold cache.
	decision := func(cold bool) func(int) (time.Duration, error) {
		return func(int) (time.Duration, error) {
			q := a.draw(rng)
			if cold {
				if _, err := st.UpdateUser(ctx, r.seed.users[q.s.user], store.UserChanges{}); err != nil {
					return 0, err
				}
			}
			body = authorizeBody(body, q.s.token, w.names[q.elem], opNames[q.ord])
			t0 := time.Now()
			err := t.do(ctx, http.MethodPost, "/api/authorize", body, &buf)
			return time.Since(t0), err
		}
	}
	if r.serialHTTP, err = runSequential(ctx, o.serial, decision(false)); err != nil {
		return err
	}
	if r.serialCold, err = runSequential(ctx, o.serial, decision(true)); err != nil {
		return err
	}
	hashes := make([]string, len(a.sessions))
	for i, s := range a.sessions {
		hashes[i] = authn.HashToken(s.token)
	}
	if r.resolve, err = runSequential(ctx, o.serial, func(int) (time.Duration, error) {
		h := hashes[rng.IntN(len(hashes))]
		t0 := time.Now()
		_, err := st.ResolveCredential(ctx, h, time.Now().UTC())
		return time.Since(t0), err
	}); err != nil {
		return err
	}
	if r.chain, err = runSequential(ctx, o.serial, func(int) (time.Duration, error) {
		q := a.draw(rng)
		t0 := time.Now()
		_, err := st.ChainGrants(ctx, r.seed.users[q.s.user], comp, []string{w.names[q.elem]})
		return time.Since(t0), err
	}); err != nil {
		return err
	}
	// What a decision for a user not in memory asks once the element's
	// chain is (the cache's preload holds every element): the grants on
	// the chain's ids, found (untimed) by name and parent.
	if r.held, err = runSequential(ctx, o.serial, func(int) (time.Duration, error) {
		q := a.draw(rng)
		var ids []uint64
		next, err := st.ElementsNamed(ctx, comp, []string{w.names[q.elem], store.Root})
		for len(next) > 0 && err == nil {
			e := next[0]
			ids = append(ids, e.ID)
			if next = next[1:]; e.ParentID != nil && e.Name != store.Root {
				var parents []store.Element
				parents, err = st.ElementsByID(ctx, []uint64{*e.ParentID})
				next = append(next, parents...)
			}
		}
		if err != nil {
			return 0, err
		}
		t0 := time.Now()
		_, err = st.HeldOn(ctx, r.seed.users[q.s.user], ids)
		return time.Since(t0), err
	}); err != nil {
		return err
	}
	r.audit, err = runSequential(ctx, o.serial, func(int) (time.Duration, error) {
		q := a.draw(rng)
		id := r.seed.users[q.s.user]
		e := &store.AuditEntry{ActorID: &id, Actor: username(q.s.user), Action: "authorize", Target: w.names[q.elem], Result: "denied",
			Detail: opNames[q.ord] + ": no grant of " + opNames[q.ord] + " on the element or above", RequestID: "cerberus-bench", ClientIP: "127.0.0.1"}
		t0 := time.Now()
		err := st.Record(ctx, e)
		return time.Since(t0), err
	})
	return err
}

// serve runs a cerberus HTTP server for svc on a free local port, wired as
// cmd/cerberus does, and a load target for it. stop ends both.
func serve(ctx context.Context, cfg config.Config, log *zap.Logger, st *store.Store, svc *accesssvc.Service, clients int) (*target, func() error, error) {
	srv := server.New(cfg.ServerConfig, log, "cerberus", server.Check{Name: "database", Run: st.Ping})
	api.Register(srv.Engine(), st, svc)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srvCtx, stopServer := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(srvCtx, ln) }()
	t := newTarget("http://"+ln.Addr().String(), clients)
	stop := func() error {
		t.close()
		stopServer()
		return <-served
	}
	if err := waitHealthy(ctx, t); err != nil {
		return nil, nil, errors.Join(err, stop())
	}
	return t, stop, nil
}

// openDatabase makes a fresh database: a SQLite file in a temporary folder,
// or a test_bench_<random> database on the MariaDB server. drop removes it.
func openDatabase(ctx context.Context, backend, rawDSN string) (store.DSN, func() error, error) {
	if backend == "sqlite" {
		dir, err := os.MkdirTemp("", "cerberus-bench-")
		if err != nil {
			return store.DSN{}, nil, err
		}
		dsn, err := store.ParseDSN("sqlite:" + filepath.Join(dir, "bench.db"))
		return dsn, func() error { return os.RemoveAll(dir) }, err
	}
	server, err := store.ParseDSN(rawDSN)
	if err != nil {
		return store.DSN{}, nil, fmt.Errorf("-dsn: %w", err)
	}
	if server.Dialect != store.MySQL {
		return store.DSN{}, nil, fmt.Errorf("-dsn must name a MariaDB/MySQL server")
	}
	cfg, err := gomysql.ParseDSN(server.Driver)
	if err != nil {
		return store.DSN{}, nil, fmt.Errorf("-dsn: %w", err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return store.DSN{}, nil, err
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	// The test user may create databases named test_* only.
	name := "test_bench_" + hex.EncodeToString(suffix)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		_ = admin.Close()
		return store.DSN{}, nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop := func() error {
		defer func() { _ = admin.Close() }()
		dropCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(dropCtx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	cfg.DBName = name
	dsn, err := store.ParseDSN(cfg.FormatDSN())
	if err != nil {
		return store.DSN{}, nil, errors.Join(err, drop())
	}
	return dsn, drop, nil
}

// describe names a database without its password.
func describe(dsn store.DSN) string {
	if dsn.Dialect == store.SQLite {
		return dsn.Path
	}
	if cfg, err := gomysql.ParseDSN(dsn.Driver); err == nil {
		return cfg.Addr + "/" + cfg.DBName
	}
	return "?"
}

// errorLog counts the server's error lines and keeps the first few.
type errorLog struct {
	mu    sync.Mutex
	n     int
	first []string
}

func (e *errorLog) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	if len(e.first) < 3 {
		e.first = append(e.first, string(bytes.TrimSpace(p)))
	}
	return len(p), nil
}

func (e *errorLog) snapshot() (int, []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n, append([]string(nil), e.first...)
}

// serverLogger is pkg/logging's production logger (JSON, caller, no stack
// traces, no sampling) writing to a file or nowhere, plus a copy
// of the error lines for the report.
func serverLogger(file string, errs *errorLog) (*zap.Logger, func(), error) {
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "time"
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	sink, closeSink := zapcore.AddSync(io.Discard), func() {}
	if file != "" {
		f, err := os.OpenFile(file, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, nil, err
		}
		sink, closeSink = zapcore.Lock(f), func() { _ = f.Close() }
	}
	core := zapcore.NewTee(
		zapcore.NewCore(zapcore.NewJSONEncoder(enc), sink, zapcore.InfoLevel),
		zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(errs), zapcore.ErrorLevel),
	)
	log := zap.New(core, zap.AddCaller()).With(zap.String("service", "cerberus"))
	return log, closeSink, nil
}

// startProfile profiles the CPU into file.<backend>.<phase> when file is
// set, and writes the allocation profile at the start and the end of the
// phase (.allocs-before, .allocs): their difference is what it allocated.
func startProfile(file, backend, phase string) (func() error, error) {
	if file == "" {
		return func() error { return nil }, nil
	}
	name := file + "." + backend + "." + phase
	if err := writeAllocs(name + ".allocs-before"); err != nil {
		return nil, err
	}
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return errors.Join(f.Close(), writeAllocs(name+".allocs"))
	}, nil
}

func writeAllocs(file string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	return errors.Join(pprof.Lookup("allocs").WriteTo(f, 0), f.Close())
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// churn gives and takes back grants of read, perSecond changes a second,
// each to a signed-in user on an element they may ask about: every change
// empties that user's entries in the decision cache. stop ends it and says
// how many changes were made.
func churn(ctx context.Context, st *store.Store, a *asker, userIDs []uint64, perSecond int, rng *mathrand.Rand) (stop func() (int, error)) {
	comp, err := st.ComponentID(accesssvc.Component)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	writes := 0
	go func() {
		defer close(done)
		if err != nil {
			return
		}
		tick := time.NewTicker(time.Second / time.Duration(perSecond))
		defer tick.Stop()
		var given *store.GrantSpec
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if given != nil {
				err = st.Revoke(ctx, *given)
				given = nil
			} else {
				q := a.draw(rng)
				g := store.GrantSpec{Subject: store.Subject{Kind: store.SubjectUser, ID: userIDs[q.s.user]}, ComponentID: comp,
					Element: a.w.names[q.elem], Operation: "read", Effect: store.Allow}
				if err = st.Grant(ctx, g); err == nil {
					given = &g
				} else if errors.Is(err, apierror.ErrConflict) {
					err = nil // held already: leave it be
				}
			}
			if err != nil {
				if ctx.Err() != nil {
					err = nil
				}
				return
			}
			writes++
		}
	}()
	return func() (int, error) {
		cancel()
		<-done
		return writes, err
	}
}
