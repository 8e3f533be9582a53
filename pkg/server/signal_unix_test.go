//go:build unix

package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/server"
)

// helperEnv makes the test binary, re-executed, run a server as a service's
// main does.
const helperEnv = "PKG_SERVER_SIGNAL_HELPER"

const (
	chunk  = "0123456789abcdef"
	chunks = 2048 // 32 KiB written in many flushes after SIGTERM
)

// TestHelperProcess is not a test: it is the child process of
// TestSIGTERMDrainsInFlightRequest.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process, run by TestSIGTERMDrainsInFlightRequest")
	}
	os.Exit(runHelper())
}

func runHelper() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()

	cfg := server.Config{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       30 * time.Second,
		ShutdownTimeout:   30 * time.Second,
		ReadyTimeout:      time.Second,
	}
	s := server.New(cfg, zap.NewNop(), "helper")
	s.Engine().GET("/slow", func(c *gin.Context) {
		fmt.Println("INFLIGHT") // the parent sends SIGTERM on reading this
		select {
		case <-ctx.Done(): // shutdown has begun while this request is in flight
		case <-time.After(30 * time.Second):
			c.String(http.StatusInternalServerError, "no SIGTERM arrived")
			return
		}
		// The rest of the work takes about a second, written as it goes.
		c.Status(http.StatusOK)
		for i := range chunks {
			if _, err := c.Writer.WriteString(chunk); err != nil {
				return
			}
			if i%205 == 0 {
				c.Writer.Flush()
				time.Sleep(100 * time.Millisecond)
			}
		}
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("ADDR", ln.Addr())
	if err := s.Serve(ctx, ln); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		return 1
	}
	return 0
}

func TestSIGTERMDrainsInFlightRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server in a child process")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*watchdog)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	defer func() {
		if !waited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	expect := func(prefix string) string {
		t.Helper()
		for {
			select {
			case line, ok := <-lines:
				if !ok {
					t.Fatalf("child exited before printing %q; stderr:\n%s", prefix, stderr.String())
				}
				if strings.HasPrefix(line, prefix) {
					return strings.TrimPrefix(line, prefix)
				}
			case <-time.After(watchdog):
				t.Fatalf("child did not print %q within %s", prefix, watchdog)
			}
		}
	}

	addr := expect("ADDR ")
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	inflight := make(chan result, 1)
	go func() { inflight <- get(client, "http://"+addr+"/slow") }()

	expect("INFLIGHT")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	r := receive(t, "the in-flight response", inflight)
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("in-flight request = %d, %v; want 200", r.status, r.err)
	}
	if want := strings.Repeat(chunk, chunks); r.body != want {
		t.Errorf("body is %d bytes, want the full %d", len(r.body), len(want))
	}

	for range lines { // read to EOF before Wait
	}
	err = cmd.Wait()
	waited = true
	if err != nil {
		t.Fatalf("child: %v (exit code %d); stderr:\n%s", err, cmd.ProcessState.ExitCode(), stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("child exit code = %d, want 0", code)
	}
}
