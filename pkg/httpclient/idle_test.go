package httpclient_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/httpclient"
)

// closingUpstream serves HTTP/1.1 keep-alive like uvicorn: a connection
// idle for keepAlive is closed, and a request that arrives on it just then
// is reset unanswered. Here the reset is certain: a request reaching a
// connection idle that long is read and the connection reset.
func closingUpstream(t *testing.T, keepAlive time.Duration) (url string, conns *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	conns = &atomic.Int32{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer func() { _ = c.Close() }()
				r := bufio.NewReader(c)
				idleSince := time.Time{}
				for {
					req, err := http.ReadRequest(r)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					if !idleSince.IsZero() && time.Since(idleSince) >= keepAlive {
						_ = c.(*net.TCPConn).SetLinger(0) // RST, as a closed socket answers
						return
					}
					if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"); err != nil {
						return
					}
					idleSince = time.Now()
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String(), conns
}

// TestIdleConnectionsDroppedBeforeTheUpstreamCloses: a POST after a pause
// longer than the upstream's keep-alive goes on a new connection when the
// client's idle timeout is shorter, instead of being reset on the old one
// (a POST is not retried). The soak found it against MLflow's uvicorn
// (5 s keep-alive) with the former 90 s: "connection reset by peer", 502.
func TestIdleConnectionsDroppedBeforeTheUpstreamCloses(t *testing.T) {
	const keepAlive, pause = 300 * time.Millisecond, 450 * time.Millisecond
	for _, tc := range []struct {
		name      string
		idle      time.Duration
		wantReset bool
		wantConns int32
	}{
		{"idle timeout below the upstream's keep-alive", 100 * time.Millisecond, false, 2},
		// The former setting, to show the upstream above is the race.
		{"idle timeout above it (90 s)", 90 * time.Second, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, conns := closingUpstream(t, keepAlive)
			cfg := testConfig()
			cfg.IdleTimeout = tc.idle
			c := httpclient.New(cfg, zap.NewNop())
			post := func() error {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url+"/api/2.0/mlflow/runs/log-batch", strings.NewReader(`{"run_id":"r"}`))
				if err != nil {
					t.Fatal(err)
				}
				resp, err := c.Do(req)
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				return resp.Body.Close()
			}
			if err := post(); err != nil {
				t.Fatalf("first POST: %v", err)
			}
			time.Sleep(pause)
			err := post()
			if (err != nil) != tc.wantReset {
				t.Fatalf("POST after %s idle: %v, want reset %v", pause, err, tc.wantReset)
			}
			if got := conns.Load(); got != tc.wantConns {
				t.Errorf("%d connections, want %d", got, tc.wantConns)
			}
		})
	}
	if d := httpclient.Defaults().IdleTimeout; d <= 0 || d >= 5*time.Second {
		t.Errorf("the default idle timeout %s is not below uvicorn's 5 s keep-alive", d)
	}
}
