//go:build faults && linux

package faulttest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/deploy/apicall"
	"github.com/ml-studio/ml-studio/deploy/servers"
)

// lead is how long before the SIGTERM a request must have been sent to
// count as accepted: one sent later may still sit in the listener's backlog
// when the listener closes (on this 2-core machine under load, the server
// may take that long to accept).
const lead = 250 * time.Millisecond

// slowBody is a JSON body sent in pieces over d: its request is in flight
// (read by its handler) for all that time.
func slowBody(body string, d time.Duration) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		const parts = 10
		step := (len(body) + parts - 1) / parts
		for i := 0; i < len(body); i += step {
			if _, err := pw.Write([]byte(body[i:min(i+step, len(body))])); err != nil {
				return
			}
			time.Sleep(d / parts)
		}
		_ = pw.Close()
	}()
	return pr
}

// sendSlow posts body to url in pieces over d and reads the whole answer.
func sendSlow(ctx context.Context, url, token, body string, d time.Duration) (apicall.Reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, slowBody(body, d))
	if err != nil {
		return apicall.Reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		return apicall.Reply{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	return apicall.Reply{Method: http.MethodPost, Path: req.URL.Path, Status: resp.StatusCode, Header: resp.Header, Body: data}, err
}

// fresh is a client that opens a connection per request, so that a
// request is either taken by the server or refused, never queued on a
// connection the server is closing.
func fresh() *http.Client {
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}
}

// TestSIGTERMUnderLoad: SIGTERM to cerberus, then to ml_studio, while
// clients keep calling each and a slow request is in flight. The process
// exits 0 after finishing what it took: the slow request and every request
// sent before the signal answer in full; only requests sent after it may
// fail, and only by not being taken (refused once the listener closed, or
// closed before a byte of an answer), never with a 5xx or a cut answer.
func TestSIGTERMUnderLoad(t *testing.T) {
	w := newWorld(t)
	element := "experiment:" + w.alice.expID
	decision := `{"token":"` + w.alice.token + `","component":"ml_studio","element":"` + element + `","operation":"read"}`
	search := fmt.Sprintf(`{"experiment_ids":[%q],"max_results":5}`, w.alice.expID)

	tests := []struct {
		name    string
		target  *servers.Service
		probe   probe
		slowURL string
		slow    string
		ok      func(r apicall.Reply) bool // an answer in full
	}{
		{
			name: "cerberus", target: w.cerberus,
			probe: probe{name: "decisions", hc: fresh(), pause: 5 * time.Millisecond, call: func(ctx context.Context, hc *http.Client) (apicall.Reply, error) {
				var body map[string]any
				_ = json.Unmarshal([]byte(decision), &body)
				return apicall.Send(ctx, hc, w.cerberus.URL, http.MethodPost, "/api/authorize", "", body)
			}},
			slowURL: w.cerberus.URL + "/api/authorize", slow: decision,
			ok: func(r apicall.Reply) bool {
				return r.Status == http.StatusOK && strings.Contains(string(r.Body), `"allowed":true`)
			},
		},
		{
			name: "ml_studio", target: w.studio,
			probe: probe{name: "experiments", hc: fresh(), pause: 5 * time.Millisecond, call: func(ctx context.Context, hc *http.Client) (apicall.Reply, error) {
				return apicall.Send(ctx, hc, w.studio.URL, http.MethodGet, "/api/2.0/mlflow/experiments/get?experiment_id="+w.alice.expID, w.alice.token, nil)
			}},
			slowURL: w.studio.URL + "/api/2.0/mlflow/runs/search", slow: search,
			ok: func(r apicall.Reply) bool { return r.Status == http.StatusOK && json.Valid(r.Body) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := startLoad(tt.probe, tt.probe, tt.probe, tt.probe)
			time.Sleep(time.Second)
			slow := make(chan result, 1)
			go func() {
				r := result{probe: "slow", sent: time.Now()}
				r.Reply, r.err = sendSlow(context.Background(), tt.slowURL, w.alice.token, tt.slow, 1500*time.Millisecond)
				r.done = time.Now()
				slow <- r
			}()
			time.Sleep(500 * time.Millisecond)
			term := time.Now()
			if err := tt.target.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			code, err := tt.target.Wait(40 * time.Second)
			exited := time.Now()
			time.Sleep(300 * time.Millisecond)
			rs := l.stop()
			s := <-slow
			if err != nil || code != 0 {
				t.Errorf("exit code %d (%v), want 0 after draining", code, err)
			}
			if s.err != nil || !tt.ok(s.Reply) {
				t.Errorf("the slow request in flight at the SIGTERM (sent %s before it, answered %s after): %v %s",
					term.Sub(s.sent).Round(time.Millisecond), s.done.Sub(term).Round(time.Millisecond), s.err, s.Reply)
			}
			if !s.done.After(term) {
				t.Errorf("the slow request ended before the SIGTERM: it proves nothing")
			}
			var before, after, refusedAfter int
			for _, r := range rs {
				switch {
				case r.sent.Before(term.Add(-lead)):
					before++
					if r.err != nil || !tt.ok(r.Reply) {
						t.Errorf("sent %s before the SIGTERM: %v %s", term.Sub(r.sent).Round(time.Millisecond), r.err, r.Reply)
					}
				case r.err == nil:
					after++
					if !tt.ok(r.Reply) {
						t.Errorf("sent around or after the SIGTERM, answered: %s (want it in full, or refused)", r.Reply)
					}
				case refused(r.err) || (r.Status == 0 && errors.Is(r.err, io.EOF)):
					// Never taken: refused, reset in the backlog, or closed
					// before a byte of an answer (the server answers every
					// request it reads before it exits).
					refusedAfter++
				default:
					t.Errorf("sent %s after the SIGTERM: %v (want an answer in full, or refused)", r.sent.Sub(term).Round(time.Millisecond), r.err)
				}
			}
			if refusedAfter == 0 {
				t.Error("no request was refused after the SIGTERM: the listener did not close, or the load stopped too early")
			}
			// The next case needs it (ml_studio asks cerberus).
			if err := tt.target.StartReady(t.Context(), time.Minute); err != nil {
				t.Fatal(err)
			}
			t.Logf("SIGTERM at +0; exited +%s (code %d); slow request answered +%s; %d answered before, %d around or after, %d refused after",
				exited.Sub(term).Round(time.Millisecond), code, s.done.Sub(term).Round(time.Millisecond), before, after, refusedAfter)
		})
	}
}
