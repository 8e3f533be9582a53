//go:build linux

// Command propagation-bench measures how soon a change to who may do what
// is honoured: two cerberus processes on one MariaDB, each behind an
// ml_studio of its own, all built from this tree with their default
// settings, started here on private ports with a private MariaDB and (unless
// -mlflow names one) a private MLflow. -changes times over it grants a user
// read on an experiment through ml_studio 1 and takes it back, and for
// each change records whether the very next request through ml_studio 1
// (whose cerberus wrote it) honours it, and how long until ml_studio 2
// (on the other cerberus), asked again and again, does: from the change's
// answer until the first request it honours was sent (the previous one was
// refused when it was answered), and until that request was answered (the
// goal's measure: an upper bound, which for a grant includes MLflow's
// answer). Before each change both ml_studios have the old
// answer cached, and the change waits a random 0-150 ms so that it falls
// anywhere in the services' polling intervals.
//
//	make bench-propagation
//	go run ./deploy/cmd/propagation-bench -changes 20
//
// It exits 0 whether or not the goals are met, and non-zero when setting
// up fails or an answer is neither the old nor the new decision.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ml-studio/ml-studio/deploy/servers"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	changes int
	mlflow  string
	keep    bool
	goal    time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("propagation-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.changes, "changes", 100, "grants, and as many revocations, to time")
	fs.StringVar(&o.mlflow, "mlflow", "", "an MLflow to use (its URL) instead of starting a private one (~30 s)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary folder (logs, databases)")
	fs.DurationVar(&o.goal, "goal", time.Second, "the cross-replica goal for p99")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.changes < 1 || o.changes > 10_000 {
		fmt.Fprintln(stderr, "propagation-bench: -changes must be from 1 to 10,000")
		return 2
	}
	if err := bench(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "propagation-bench:", err)
		return 1
	}
	return 0
}

func secret() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func bench(ctx context.Context, o options, stdout, stderr io.Writer) error {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "propagation-bench: "+format+"\n", args...) }
	root, err := servers.Root()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "propagation-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		logf("keeping %s", dir)
	} else {
		defer func() { _ = os.RemoveAll(dir) }()
	}
	logf("building cerberus and ml_studio")
	bins, err := servers.Build(ctx, root, dir)
	if err != nil {
		return err
	}
	data := filepath.Join(dir, "data")
	port, err := servers.FreePort()
	if err != nil {
		return err
	}
	db := servers.NewMariaDB(root, data, port)
	logf("starting a private MariaDB on :%d", port)
	if err := db.Start(ctx); err != nil {
		return err
	}
	defer func() { _ = db.Stop(context.Background()) }()
	mlflowURL := o.mlflow
	if mlflowURL == "" {
		if port, err = servers.FreePort(); err != nil {
			return err
		}
		mlf := servers.NewMLflow(root, data, port)
		logf("starting a private MLflow on :%d", port)
		if err := mlf.Start(ctx); err != nil {
			return err
		}
		defer func() { _ = mlf.Stop(context.Background()) }()
		mlflowURL = mlf.URL()
	}

	st := &servers.Stack{Dir: dir, Bin: bins, DSN: db.DSN(), MLflowURL: mlflowURL, AdminPassword: "admin-" + secret(), Registrar: "registrar-" + secret()}
	var procs []*servers.Service
	defer func() {
		for _, p := range slices.Backward(procs) {
			_, _ = p.Stop(10 * time.Second)
		}
	}()
	start := func(s *servers.Service, err error) (*servers.Service, error) {
		if err != nil {
			return nil, err
		}
		procs = append(procs, s)
		return s, s.StartReady(ctx, 60*time.Second)
	}
	// A first: it migrates the database and creates the admin.
	ca, err := start(st.Cerberus("cerberus-a"))
	if err != nil {
		return err
	}
	cb, err := start(st.Cerberus("cerberus-b"))
	if err != nil {
		return err
	}
	s1, err := start(st.Studio("ml_studio-1", ca.URL))
	if err != nil {
		return err
	}
	s2, err := start(st.Studio("ml_studio-2", cb.URL))
	if err != nil {
		return err
	}

	c := &client{hc: &http.Client{Timeout: 10 * time.Second}}
	admin, err := c.login(ctx, s1.URL, "admin", st.AdminPassword)
	if err != nil {
		return err
	}
	user, password := "reader-"+secret()[:8], "pw-"+secret()
	if err := c.expect(ctx, http.StatusCreated, http.MethodPost, s1.URL+"/api/users", admin, map[string]string{"username": user, "password": password}, nil); err != nil {
		return err
	}
	token, err := c.login(ctx, s1.URL, user, password)
	if err != nil {
		return err
	}
	var exp struct {
		ID string `json:"experiment_id"`
	}
	if err := c.expect(ctx, http.StatusOK, http.MethodPost, s1.URL+"/api/2.0/mlflow/experiments/create", admin, map[string]string{"name": "propagation-" + secret()}, &exp); err != nil {
		return err
	}
	grant := map[string]string{"element": "experiment:" + exp.ID, "operation": "read", "effect": "allow", "user": user}
	reads := func(base string) (bool, error) {
		status, body, err := c.send(ctx, http.MethodGet, base+"/api/2.0/mlflow/experiments/get?experiment_id="+exp.ID, token, nil)
		switch {
		case err != nil:
			return false, err
		case status == http.StatusOK:
			return true, nil
		case status == http.StatusForbidden:
			return false, nil
		}
		return false, fmt.Errorf("experiments/get through %s: %d %s", base, status, body)
	}

	logf("timing %d grants and %d revocations", o.changes, o.changes)
	var m measured
	began := time.Now()
	load := loadAvg()
	for range o.changes {
		for _, give := range []bool{true, false} {
			// Both ml_studios hold the old answer.
			for _, s := range []*servers.Service{s1, s2} {
				for range 2 {
					if ok, err := reads(s.URL); err != nil || ok == give {
						return fmt.Errorf("before the change %s answers %v (%v)", s.Name, ok, err)
					}
				}
			}
			time.Sleep(time.Duration(mrand.Int64N(int64(150 * time.Millisecond))))
			path, want := "/api/grants", http.StatusCreated
			if !give {
				path, want = "/api/grants/revoke", http.StatusNoContent
			}
			if err := c.expect(ctx, want, http.MethodPost, s1.URL+path, admin, grant, nil); err != nil {
				return err
			}
			changed := time.Now()
			next, err := reads(s1.URL)
			if err != nil {
				return err
			}
			m.next(give, next == give)
			for {
				sent := time.Now()
				ok, err := reads(s2.URL)
				if err != nil {
					return err
				}
				if ok == give {
					m.add(give, sent.Sub(changed), time.Since(changed))
					break
				}
				if time.Since(changed) > 30*time.Second {
					return fmt.Errorf("%s does not honour the change after 30 s", s2.Name)
				}
			}
		}
	}
	report(stdout, o, m, time.Since(began), load)
	return nil
}

// measured is what each change showed.
type measured struct {
	nextGrant, nextRevoke int // honoured by the very next request through ml_studio 1
	// From the change's answer until ml_studio 2 honoured it: until the
	// first request it honoured was sent (the one before was refused when
	// it answered), and until that request's answer (which, for a grant,
	// includes MLflow's).
	grants, revokes               []time.Duration
	grantsAnswered, revokesAnswer []time.Duration
}

func (m *measured) next(give, honoured bool) {
	switch {
	case give && honoured:
		m.nextGrant++
	case honoured:
		m.nextRevoke++
	}
}

func (m *measured) add(give bool, sent, answered time.Duration) {
	if give {
		m.grants, m.grantsAnswered = append(m.grants, sent), append(m.grantsAnswered, answered)
	} else {
		m.revokes, m.revokesAnswer = append(m.revokes, sent), append(m.revokesAnswer, answered)
	}
}

// quantile is the q-quantile (nearest rank) of ds.
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func report(w io.Writer, o options, m measured, took time.Duration, load string) {
	fmt.Fprintf(w, "propagation-bench: %d grants and %d revocations of read on one experiment, each made through ml_studio 1 (on cerberus A);\n", o.changes, o.changes)
	fmt.Fprintln(w, "  two cerberus on one MariaDB, each behind its own ml_studio, default settings (CERBERUS_CACHE_SYNC 100ms,")
	fmt.Fprintln(w, "  ML_STUDIO_DECISION_CACHE 2s, ML_STUDIO_REVISION_POLL 100ms); both ml_studios hold the old answer before each change")
	fmt.Fprintf(w, "machine: %d CPUs, %s; load average at the start %s; %s in all\n\n", runtime.NumCPU(), runtime.Version(), load, took.Round(time.Second))
	row := func(what, goal, grants, revokes string) {
		fmt.Fprintf(w, "%-58s %-16s %-22s %s\n", what, goal, grants, revokes)
	}
	row("", "goal", "grants", "revocations")
	row("same ml_studio and cerberus: the very next request", "every one", fmt.Sprintf("%d/%d honoured", m.nextGrant, o.changes), fmt.Sprintf("%d/%d honoured", m.nextRevoke, o.changes))
	for _, q := range []struct {
		name string
		q    float64
	}{{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"max", 1}} {
		goal := ""
		if q.name == "p99" {
			goal = "<= " + ms(o.goal)
		}
		row("the other ml_studio and cerberus: "+q.name, goal, ms(quantile(m.grants, q.q)), ms(quantile(m.revokes, q.q)))
	}
	row("  the same, until the first honouring answer: p99", "", ms(quantile(m.grantsAnswered, 0.99)), ms(quantile(m.revokesAnswer, 0.99)))
	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "missed"
	}
	fmt.Fprintf(w, "\nsame replica: %s; cross-replica p99: %s; revocation no slower than a grant (p99): %s\n",
		met(m.nextGrant == o.changes && m.nextRevoke == o.changes),
		met(quantile(m.grantsAnswered, 0.99) <= o.goal && quantile(m.revokesAnswer, 0.99) <= o.goal),
		met(quantile(m.revokes, 0.99) <= quantile(m.grants, 0.99)+10*time.Millisecond))
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

// client talks JSON to the services.
type client struct{ hc *http.Client }

func (c *client) send(ctx context.Context, method, url, token string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

func (c *client) expect(ctx context.Context, want int, method, url, token string, body, out any) error {
	status, data, err := c.send(ctx, method, url, token, body)
	if err != nil {
		return err
	}
	if status != want {
		return fmt.Errorf("%s %s: %d %s, want %d", method, url, status, data, want)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (c *client) login(ctx context.Context, base, user, password string) (string, error) {
	var s struct {
		Token string `json:"token"`
	}
	if err := c.expect(ctx, http.StatusOK, http.MethodPost, base+"/api/auth/login", "", map[string]string{"username": user, "password": password}, &s); err != nil {
		return "", err
	}
	if s.Token == "" {
		return "", errors.New("login gave no token")
	}
	return s.Token, nil
}
