//go:build linux

// Command soak runs deploy/soak's stock-client-shaped load through a
// cerberus and an ml_studio built from this tree and started here with
// their default settings, on a private MariaDB and the MLflow -mlflow names
// (make soak: the local one on PostgreSQL) or else a private one, the
// services on ports and data folders of their own, and
// prints a Markdown report (also written to -report): errors by kind,
// latency per minute, and the services' RSS, Go heap, goroutines and open
// file descriptors per minute with their slopes.
//
//	make soak                                  10 minutes, 64 clients
//	go run ./deploy/cmd/soak -duration 1m      a short run
//
// It exits 1 when a request failed or setting up did, 0 otherwise (the
// slopes are reported, not judged by the exit code).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ml-studio/ml-studio/deploy/servers"
	"github.com/ml-studio/ml-studio/deploy/soak"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	cfg        soak.Config
	atCerberus bool
	users      int
	mlflow     string
	report     string
	keep       bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.cfg.Duration, "duration", 10*time.Minute, "how long the load runs")
	fs.IntVar(&o.cfg.Clients, "clients", 64, "concurrent clients")
	fs.IntVar(&o.users, "users", 16, "users the clients act as (client i is user i mod users)")
	fs.DurationVar(&o.cfg.Think, "think", 100*time.Millisecond, "the most a client waits between two requests (random from 0)")
	fs.DurationVar(&o.cfg.Flip, "flip", 500*time.Millisecond, "how often the admin gives or takes a user's read grant on its neighbour's experiment")
	fs.BoolVar(&o.atCerberus, "at-cerberus", true, "make every other grant change straight at cerberus instead of through ml_studio")
	fs.DurationVar(&o.cfg.CerberusLag, "cerberus-lag", time.Second, "how soon ml_studio must honour a change made at cerberus (the replicas' goal)")
	fs.DurationVar(&o.cfg.Sample, "sample", 10*time.Second, "how often the services' RSS, heap, goroutines and fds are sampled")
	fs.StringVar(&o.mlflow, "mlflow", "", "an MLflow to use (its URL; it must serve artifacts) instead of starting a private one on SQLite (one worker: for short runs, it cannot keep up with 64 clients on 2 cores)")
	fs.StringVar(&o.report, "report", "", "also write the Markdown report to this file")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder (logs, databases)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.cfg.Clients < 1 || o.users < 2 || o.cfg.Duration <= 0 {
		fmt.Fprintln(stderr, "soak: -clients must be at least 1, -users at least 2, -duration positive")
		return 2
	}
	failed, err := soakRun(ctx, o, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "soak:", err)
		return 1
	}
	if failed {
		return 1
	}
	return 0
}

func soakRun(ctx context.Context, o options, stdout, stderr io.Writer) (bool, error) {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "soak: "+format+"\n", args...) }
	root, err := servers.Root()
	if err != nil {
		return false, err
	}
	dir, err := os.MkdirTemp("", "soak-")
	if err != nil {
		return false, err
	}
	if o.keep {
		logf("keeping %s", dir)
	} else {
		defer func() { _ = os.RemoveAll(dir) }()
	}
	logf("building cerberus and ml_studio")
	bins, err := servers.Build(ctx, root, dir)
	if err != nil {
		return false, err
	}
	data := filepath.Join(dir, "data")
	port, err := servers.FreePort()
	if err != nil {
		return false, err
	}
	db := servers.NewMariaDB(root, data, port)
	logf("starting a private MariaDB on :%d", port)
	if err := db.Start(ctx); err != nil {
		return false, err
	}
	defer func() { _ = db.Stop(context.Background()) }()
	mlflowURL, mlflowSays := o.mlflow, "MLflow at "+o.mlflow+" (given)"
	if mlflowURL == "" {
		if port, err = servers.FreePort(); err != nil {
			return false, err
		}
		mlf := servers.NewMLflow(root, data, port)
		logf("starting a private MLflow on :%d", port)
		if err := mlf.Start(ctx); err != nil {
			return false, err
		}
		defer func() { _ = mlf.Stop(context.Background()) }()
		mlflowURL, mlflowSays = mlf.URL(), "a private MLflow (pinned, SQLite, 1 worker)"
	}

	st := &servers.Stack{Dir: dir, Bin: bins, DSN: db.DSN(), MLflowURL: mlflowURL, AdminPassword: "admin-" + soak.Random(12), Registrar: "registrar-" + soak.Random(12)}
	var procs []*servers.Service
	defer func() {
		for _, p := range slices.Backward(procs) {
			_, _ = p.Stop(15 * time.Second)
		}
	}()
	start := func(s *servers.Service, err error) (*servers.Service, error) {
		if err != nil {
			return nil, err
		}
		procs = append(procs, s)
		return s, s.StartReady(ctx, 60*time.Second)
	}
	cb, err := start(st.Cerberus("cerberus"))
	if err != nil {
		return false, err
	}
	ms, err := start(st.Studio("ml_studio", cb.URL))
	if err != nil {
		return false, err
	}

	c := soak.NewClient(ms.URL, o.cfg.Clients)
	defer c.Close()
	var admin struct {
		Token string `json:"token"`
	}
	if err := c.Expect(ctx, 200, "POST", "/api/auth/login", "", map[string]string{"username": "admin", "password": st.AdminPassword}, &admin); err != nil {
		return false, err
	}
	logf("setting up %d users", o.users)
	w, err := soak.Setup(ctx, c, admin.Token, o.users, soak.Random(3))
	if err != nil {
		return false, err
	}
	o.cfg.Settle = 3 * time.Second
	grantsVia := "through ml_studio"
	if o.atCerberus {
		o.cfg.Cerberus = soak.NewClient(cb.URL, 1)
		defer o.cfg.Cerberus.Close()
		grantsVia = fmt.Sprintf("alternately through ml_studio (honoured from its answer on) and straight at cerberus (honoured within %s)", o.cfg.CerberusLag)
	}
	o.cfg.Watch = []soak.Watched{
		{Name: "cerberus", PID: cb.Pid(), MetricsURL: cb.URL + "/metrics"},
		{Name: "ml_studio", PID: ms.Pid(), MetricsURL: ms.URL + "/metrics"},
	}
	load := loadAvg()
	began := time.Now()
	logf("%d clients for %s", o.cfg.Clients, o.cfg.Duration)
	res, err := soak.Run(ctx, c, w, o.cfg)
	if err != nil {
		return false, err
	}
	for _, p := range procs {
		if err := p.Exited(); err != nil {
			return false, err
		}
	}
	meta := soak.Meta{Title: fmt.Sprintf("Soak: %d clients for %s (%s)", o.cfg.Clients, o.cfg.Duration, began.UTC().Format("2 Jan 2006 15:04 UTC")), Settings: []string{
		fmt.Sprintf("one cerberus and one ml_studio built from this tree with their default settings, cerberus on a private MariaDB, %s", mlflowSays),
		fmt.Sprintf("%d clients acting as %d users (API tokens), each waiting 0-%s between requests; every %s the admin gives or takes one user's read grant on its neighbour's experiment (the users in turn), %s", o.cfg.Clients, o.users, o.cfg.Think, o.cfg.Flip, grantsVia),
		fmt.Sprintf("machine: %d CPUs shared with other work, %s; load average %s at the start, %s at the end; services sampled every %s, and %s after the load", runtime.NumCPU(), runtime.Version(), load, loadAvg(), o.cfg.Sample, o.cfg.Settle),
	}}
	var b strings.Builder
	res.Markdown(&b, meta)
	fmt.Fprint(stdout, b.String())
	if o.report != "" {
		if err := os.MkdirAll(filepath.Dir(o.report), 0o755); err != nil {
			return false, err
		}
		if err := os.WriteFile(o.report, []byte(b.String()), 0o644); err != nil {
			return false, err
		}
		logf("report written to %s", o.report)
	}
	return res.Errors > 0, nil
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
