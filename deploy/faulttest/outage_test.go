//go:build faults && linux

package faulttest

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/deploy/apicall"
)

// Outage settings of ml_studio in these tests: answers live 5 s, but are
// used only for the grace after cerberus last vouched for its revision.
const (
	grace = 1500 * time.Millisecond
	// slack covers a poll answered while cerberus shut down and a request
	// on its way: a cached answer may be used this long past the grace.
	slack = 300 * time.Millisecond
	// retries: ml_studio retries a decision twice, 50 to 500 ms apart, so
	// a call sent this long before cerberus is back may be answered by it.
	retries = 1200 * time.Millisecond
)

// surfaces are the probes of one user on their own experiment: the seed's
// /api and MLflow's REST surface.
func ownProbes(w *world, u user, who string) []probe {
	return []probe{
		get(who+"-seed", w.studio.URL, "/api/experiments/get?experiment_id="+u.expID, u.token),
		get(who+"-mlflow", w.studio.URL, "/api/2.0/mlflow/experiments/get?experiment_id="+u.expID, u.token),
	}
}

// checkAnswers checks every result of the load against what its probe may
// see: an own probe only its user's experiment or the outage's status,
// alice's look at bob's experiment only a refusal or the outage's status,
// never a transport error (ml_studio stays up), never 401 or 500, and an
// outage answer always a bare error in its surface's shape naming cause.
func checkAnswers(t *testing.T, w *world, rs []result, outage int, cause string) {
	t.Helper()
	bad := 0
	fail := func(format string, args ...any) {
		t.Helper()
		if bad++; bad <= 10 {
			t.Errorf(format, args...)
		}
	}
	for _, r := range rs {
		if r.err != nil {
			fail("%s %s: %v (ml_studio must answer through the outage)", r.probe, r.Path, r.err)
			continue
		}
		own, other := w.alice, w.bob
		if strings.HasPrefix(r.probe, "bob") {
			own, other = w.bob, w.alice
		}
		switch {
		case r.Status == outage:
			code, msg, ok := errorMessage(r.Reply)
			if !ok || !strings.Contains(msg, cause) || (strings.HasPrefix(r.Path, "/api/2.0/mlflow/") && code != "TEMPORARILY_UNAVAILABLE") {
				fail("%s: %s, want a bare error naming %q", r.probe, r.Reply, cause)
			}
		case r.probe == "alice-cross" || r.probe == "alice-cold":
			if r.Status != http.StatusForbidden {
				fail("%s: %s, want 403 or %d", r.probe, r.Reply, outage)
			}
		case r.Status == http.StatusOK:
			body := string(r.Body)
			if !strings.Contains(body, `"`+own.expID+`"`) || !strings.Contains(body, own.expName) ||
				strings.Contains(body, other.expName) {
				fail("%s: %s is not %s's own experiment %s", r.probe, r.Reply, own.name, own.expID)
			}
		default:
			fail("%s: %s, want 200 or %d", r.probe, r.Reply, outage)
		}
	}
	if bad > 10 {
		t.Errorf("… and %d more", bad-10)
	}
}

// TestCerberusStopAndStart: cerberus stops (SIGTERM) under load and starts
// again. ml_studio keeps using the answers it holds for the grace after
// cerberus last vouched for its revision, then answers every protected call
// 503 (MLflow's shape on its surface) — never 401, 500 or another user's
// experiment — and serves again once cerberus is back, without a restart.
func TestCerberusStopAndStart(t *testing.T) {
	w := newWorld(t, "ML_STUDIO_DECISION_CACHE=5s", "ML_STUDIO_DECISION_GRACE="+grace.String())
	pid := w.studio.Pid()
	cold := func(ctx context.Context, hc *http.Client) (apicall.Reply, error) { // an answer never cached
		return apicall.Send(ctx, hc, w.studio.URL, http.MethodGet, "/api/2.0/mlflow/experiments/get?experiment_id="+strconv.Itoa(1_000_000+rand.IntN(1_000_000_000)), w.alice.token, nil)
	}
	probes := append(ownProbes(w, w.alice, "alice"), ownProbes(w, w.bob, "bob")...)
	probes = append(probes,
		get("alice-cross", w.studio.URL, "/api/2.0/mlflow/experiments/get?experiment_id="+w.bob.expID, w.alice.token),
		probe{name: "alice-cold", pause: 10 * time.Millisecond, hc: &http.Client{Timeout: 30 * time.Second}, call: cold})
	own := []string{"alice-seed", "alice-mlflow", "bob-seed", "bob-mlflow"}
	l := startLoad(probes...)
	time.Sleep(1500 * time.Millisecond) // every answer cached

	stopped := time.Now()
	if code, err := w.cerberus.Stop(30 * time.Second); err != nil || code != 0 {
		t.Fatalf("cerberus on SIGTERM: exit %d, %v", code, err)
	}
	time.Sleep(grace + retries + 3*time.Second)
	restarted := time.Now()
	down := restarted.Add(-retries) // answers sent before this saw no cerberus
	if err := w.cerberus.StartReady(t.Context(), 60*time.Second); err != nil {
		t.Fatal(err)
	}
	ready := time.Now()
	back := l.waitFor(t, ready, 10*time.Second, http.StatusOK, "alice-mlflow")
	time.Sleep(time.Second)
	end := time.Now()
	rs := l.stop()

	checkAnswers(t, w, rs, http.StatusServiceUnavailable, "authorization service")

	// During the outage: cached answers for the grace, then 503 only.
	var lastCached time.Time
	for _, r := range l.since(stopped, down, own...) {
		if r.Status == http.StatusOK {
			lastCached = r.sent
		}
	}
	if lastCached.IsZero() {
		t.Error("no cached answer was used after cerberus stopped: the grace is not at work")
	} else if late := lastCached.Sub(stopped); late > grace+slack {
		t.Errorf("a cached answer was used %s after cerberus stopped, beyond the grace of %s", late, grace)
	}
	if got := count(l.since(stopped.Add(grace+slack), down, own...)); got["503"] == 0 || len(got) != 1 {
		t.Errorf("own experiments after the grace, cerberus down: %v, want 503 only", got)
	}
	if got := count(l.since(stopped.Add(slack), down, "alice-cold")); got["503"] == 0 || len(got) != 1 {
		t.Errorf("answers never cached, cerberus down: %v, want 503 only", got)
	}
	// Recovery, by the same ml_studio.
	if got := count(l.since(back.Add(500*time.Millisecond), end, own...)); got["200"] == 0 || len(got) != 1 {
		t.Errorf("own experiments once cerberus was back: %v, want 200 only", got)
	}
	if !w.studio.Running() || w.studio.Pid() != pid {
		t.Error("ml_studio did not stay up")
	}
	t.Logf("cerberus stopped at +0; last cached answer used at +%s (grace %s); restarted at +%s, ready +%s, serving again +%s; answers before %v, down %v, after %v",
		lastCached.Sub(stopped).Round(time.Millisecond), grace, restarted.Sub(stopped).Round(time.Millisecond),
		ready.Sub(stopped).Round(time.Millisecond), back.Sub(stopped).Round(time.Millisecond),
		count(l.since(time.Time{}, stopped)), count(l.since(stopped, ready)), count(l.since(ready, end)))
}

// TestMLflowStopAndStart: MLflow stops under load and starts again. Calls
// that need it answer 502 naming MLflow (MLflow's shape on its surface),
// refusals need no MLflow and stay 403, and the same ml_studio serves again
// once MLflow is back.
func TestMLflowStopAndStart(t *testing.T) {
	w := newWorld(t)
	pid := w.studio.Pid()
	probes := append(ownProbes(w, w.alice, "alice"), ownProbes(w, w.bob, "bob")...)
	probes = append(probes, get("alice-cross", w.studio.URL, "/api/2.0/mlflow/experiments/get?experiment_id="+w.bob.expID, w.alice.token))
	own := []string{"alice-seed", "alice-mlflow", "bob-seed", "bob-mlflow"}
	l := startLoad(probes...)
	time.Sleep(time.Second)

	stopping := time.Now()
	if err := shared.mlf.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	time.Sleep(2 * time.Second)
	restarted := time.Now()
	if err := shared.mlf.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ready := time.Now()
	back := l.waitFor(t, ready, 30*time.Second, http.StatusOK, "alice-mlflow")
	time.Sleep(time.Second)
	end := time.Now()
	rs := l.stop()

	checkAnswers(t, w, rs, http.StatusBadGateway, "MLflow")
	if got := count(l.since(stopped, restarted, own...)); got["502"] == 0 || len(got) != 1 {
		t.Errorf("own experiments while MLflow was down: %v, want 502 only", got)
	}
	if got := count(l.since(stopping, end, "alice-cross")); got["403"] == 0 || len(got) != 1 {
		t.Errorf("alice on bob's experiment: %v, want 403 only, MLflow down or not", got)
	}
	if got := count(l.since(back.Add(500*time.Millisecond), end, own...)); got["200"] == 0 || len(got) != 1 {
		t.Errorf("own experiments once MLflow was back: %v, want 200 only", got)
	}
	if !w.studio.Running() || w.studio.Pid() != pid {
		t.Error("ml_studio did not stay up")
	}
	t.Logf("MLflow stopping at +0, stopped +%s, restarted +%s, ready +%s, served again +%s; answers before %v, during %v, after %v",
		stopped.Sub(stopping).Round(time.Millisecond), restarted.Sub(stopping).Round(time.Millisecond),
		ready.Sub(stopping).Round(time.Millisecond), back.Sub(stopping).Round(time.Millisecond),
		count(l.since(time.Time{}, stopping)), count(l.since(stopping, ready)), count(l.since(ready, end)))
}
