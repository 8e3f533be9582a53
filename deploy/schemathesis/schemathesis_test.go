//go:build schemathesis && linux

package schemathesis

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/ml-studio/ml-studio/deploy/apicall"
	"github.com/ml-studio/ml-studio/deploy/servers"
	"github.com/ml-studio/ml-studio/pkg/testenv"
)

var (
	examples = flag.Int("examples", 8, "test cases per operation and phase (schemathesis --max-examples)")
	maxTime  = flag.Int("max-time", 0, "seconds each run keeps fuzzing and walking links (schemathesis --max-time; every operation must still be tested); 0: until -examples are done")
	seed     = flag.Int64("seed", 1, "schemathesis --seed; 0 picks one at random (logged)")
	workers  = flag.Int("workers", 1, "schemathesis workers of each of the four runs")
)

// What every run checks: no 5xx, every answer as the document describes it
// (status, content type, headers, body), what a stateful sequence created
// readable and what it deleted gone; and no answer slower than
// slowAnswer, none hanging past requestTimeout.
const (
	checks         = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,use_after_free,ensure_resource_availability"
	slowAnswer     = "10"
	requestTimeout = "30"
)

// TestSchemathesis starts a cerberus and an ml_studio and runs schemathesis
// over each one's document as an admin and as a plain user.
func TestSchemathesis(t *testing.T) {
	root, err := servers.Root()
	if err != nil {
		t.Fatal(err)
	}
	cli := install(t, root)
	dir := logDir(t)
	bins, err := servers.Build(t.Context(), root, dir)
	if err != nil {
		t.Fatal(err)
	}
	st := &servers.Stack{Dir: dir, Bin: bins, MLflowURL: testenv.MLflowURL(t),
		AdminPassword: "pw-" + apicall.Random(), Registrar: "registrar-" + apicall.Random() + apicall.Random()}
	scim := "scim-" + apicall.Random() + apicall.Random() + apicall.Random()
	admin := "st-admin-" + apicall.Random()[:6]
	// The runs send their own accounts' names with wrong current passwords
	// (PATCH /api/users/{username}), which count as failed logins: with the
	// default throttle a run would lock out the account it signs in as.
	// Throttling has tests of its own (cerberus's api and authn).
	startCerberus := func(name string) *servers.Service {
		st := *st
		st.DSN = cerberusDSN(t, testenv.NewMySQLDatabase(t))
		c, err := st.Cerberus(name, "CERBERUS_ADMIN_USERNAME="+admin, "CERBERUS_SCIM_TOKEN="+scim, "CERBERUS_LOGIN_MAX_FAILURES=1000000")
		return servers.StartedForTest(t, c, err)
	}
	cerberus := startCerberus("cerberus")
	// The admin run over cerberus's document lists every account and may
	// disable, demote or delete what it finds, the other runs' accounts
	// too: it gets a cerberus and a database of its own.
	cerberusForAdmin := startCerberus("cerberus-admin")
	s, err := st.Studio("ml_studio", cerberus.URL)
	studio := servers.StartedForTest(t, s, err)

	// Each run calls as an account of its own, an admin or a plain user
	// who may create experiments and models (so that the user's runs reach
	// MLflow and not only refusals): one run signing out or changing its
	// account does not change another's.
	type target struct {
		svc, home      *servers.Service // what the run calls, and the cerberus of its account
		role           string
		name, password string
	}
	targets := []*target{
		{svc: cerberusForAdmin, home: cerberusForAdmin, role: "admin"},
		{svc: cerberus, home: cerberus, role: "user"},
		{svc: studio, home: cerberus, role: "admin"},
		{svc: studio, home: cerberus, role: "user"},
	}
	for _, r := range targets {
		r.name, r.password = "st-"+r.role+"-"+apicall.Random()[:6], "pw-"+apicall.Random()
		session := login(t, r.home.URL, admin, st.AdminPassword)
		call(t, r.home.URL, http.MethodPost, "/api/users", session,
			map[string]any{"username": r.name, "password": r.password, "is_admin": r.role == "admin"}, http.StatusCreated)
		if r.role == "user" {
			call(t, r.home.URL, http.MethodPost, "/api/grants", session,
				map[string]string{"element": "project:default", "operation": "create", "user": r.name}, http.StatusCreated)
		}
	}

	// The four runs go side by side, one schemathesis worker each: the
	// wall time is one run's.
	t.Run("runs", func(t *testing.T) {
		for _, r := range targets {
			t.Run(strings.TrimSuffix(r.svc.Name, "-admin")+"/"+r.role, func(t *testing.T) {
				t.Parallel()
				env := []string{
					"ST_LOGIN_URL=" + r.svc.URL + "/api/auth/login",
					"ST_USERNAME=" + r.name,
					"ST_PASSWORD=" + r.password,
				}
				doc := r.svc.URL + "/api/openapi.yaml"
				if r.svc == studio {
					doc = r.svc.URL + "/openapi.yaml" // outside /api, which holds the seed's and cerberus's routes
				} else {
					env = append(env, "ST_SCIM_TOKEN="+scim)
				}
				run(t, cli, filepath.Join(dir, r.svc.Name+"-"+r.role), r.svc, doc, env)
			})
		}
	})
	for _, svc := range []*servers.Service{cerberus, cerberusForAdmin, studio} {
		if err := svc.Exited(); err != nil {
			t.Fatal(err)
		}
	}
}

// install makes .venv/schemathesis (idempotent) and returns its CLI.
func install(t *testing.T, root string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), filepath.Join(root, "deploy", "local", "schemathesis.sh"), "bin")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("deploy/local/schemathesis.sh bin: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// logDir keeps the services' logs and schemathesis's reports, removed
// when the test passes.
func logDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "schemathesis-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs and reports kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	return dir
}

var summaryRe = regexp.MustCompile(`(?m)^\s*(\d+) generated.*$`)

// run runs schemathesis over svc's document, served at doc, with the
// hooks' account and fails the test on any failure it reports.
func run(t *testing.T, cli, out string, svc *servers.Service, doc string, env []string) {
	t.Helper()
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	runSeed := *seed
	if runSeed == 0 {
		n, _ := strconv.ParseInt(apicall.Random()[:7], 16, 64)
		runSeed = n
	}
	args := []string{"run", doc,
		"--checks", checks,
		"--max-examples", strconv.Itoa(*examples),
		"--max-response-time", slowAnswer,
		"--request-timeout", requestTimeout,
		"--workers", strconv.Itoa(*workers),
		"--seed", strconv.FormatInt(runSeed, 10),
		"--no-color",
		// The readiness probe's 503 says a dependency is slow or away (MLflow
		// on a loaded machine), which is its job; it takes no input.
		"--exclude-path", "/readyz",
		"--report", "junit", "--report-dir", out,
	}
	if *maxTime > 0 {
		args = append(args, "--max-time", strconv.Itoa(*maxTime))
	}
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	// A hang of the whole run is a failure too, not a stuck make.
	limit := 10 * time.Minute
	if *maxTime > 0 {
		limit = time.Duration(*maxTime)*time.Second + 10*time.Minute
	}
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.Dir = out // its .hypothesis folder goes there
	cmd.Env = append(os.Environ(), append(env, "SCHEMATHESIS_HOOKS=hooks", "PYTHONPATH="+here, "PYTHONDONTWRITEBYTECODE=1")...)
	started := time.Now()
	output, err := cmd.CombinedOutput()
	_ = os.WriteFile(filepath.Join(out, "schemathesis.txt"), output, 0o644)
	summary := "no summary"
	if m := summaryRe.FindString(string(output)); m != "" {
		summary = strings.TrimSpace(m)
	}
	t.Logf("%s: seed %d, %s in %s", svc.Name, runSeed, summary, time.Since(started).Round(time.Second))
	if i := strings.Index(string(output), "=== SUMMARY ==="); i >= 0 {
		t.Logf("schemathesis's summary (the whole output: %s):\n%s", filepath.Join(out, "schemathesis.txt"), output[i:])
	}
	if err != nil {
		t.Errorf("schemathesis over %s: %v\n%s", svc.Name, err, report(output))
	}
	// -max-time also stops the examples and coverage phases: a run that
	// left operations untested for lack of time proves nothing of them.
	if bytes.Contains(output, []byte("Time limit reached")) {
		t.Errorf("schemathesis over %s: operations left untested when -max-time %d ran out (see the summary)", svc.Name, *maxTime)
	}
}

// report is what to show of a failed run: the failures and the summary,
// with the long generated values cut.
func report(output []byte) string {
	text := string(output)
	if i := strings.Index(text, "=== FAILURES ==="); i >= 0 {
		text = text[max(0, strings.LastIndex(text[:i], "\n")):]
	} else if i := strings.Index(text, "=== ERRORS ==="); i >= 0 {
		text = text[max(0, strings.LastIndex(text[:i], "\n")):]
	}
	var lines []string
	for l := range strings.SplitSeq(text, "\n") {
		if len(l) > 300 {
			l = l[:300] + "…"
		}
		lines = append(lines, l)
	}
	if len(lines) > 400 {
		lines = append(lines[:200], append([]string{"…"}, lines[len(lines)-200:]...)...)
	}
	return strings.Join(lines, "\n")
}

// cerberusDSN is CERBERUS_DATABASE_DSN for a go-sql-driver DSN.
func cerberusDSN(t *testing.T, dsn string) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("mysql://%s:%s@%s/%s", cfg.User, cfg.Passwd, cfg.Addr, cfg.DBName)
}

var setupClient = &http.Client{Timeout: 30 * time.Second}

// call sends a JSON body with a bearer secret and wants status; it
// returns the answer's body.
func call(t *testing.T, base, method, path, secret string, body any, status int) []byte {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := setupClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	got, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != status {
		t.Fatalf("%s %s = %d %s (%v), want %d", method, path, resp.StatusCode, got, err, status)
	}
	return got
}

func login(t *testing.T, base, name, password string) string {
	t.Helper()
	var s struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(call(t, base, http.MethodPost, "/api/auth/login", "", map[string]string{"username": name, "password": password}, http.StatusOK), &s); err != nil {
		t.Fatal(err)
	}
	return s.Token
}
