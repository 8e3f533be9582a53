// Command healthcheck is the HEALTHCHECK of the distroless images, which
// have no shell, curl or wget: it GETs one URL and exits 0 when the answer
// is 200 OK, 1 otherwise (with the reason on standard error).
//
//	healthcheck [-timeout 3s] URL
//
// The URL may name environment variables, ${NAME} or ${NAME:-default}, so
// the exec form of HEALTHCHECK (which no shell expands) still follows the
// port the service is configured with:
//
//	HEALTHCHECK CMD ["/usr/local/bin/healthcheck", "http://127.0.0.1:${CERBERUS_PORT:-5000}/healthz"]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.LookupEnv, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, lookup func(string) (string, bool), stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 3*time.Second, "time allowed for the whole request")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: healthcheck [-timeout 3s] URL   (URL may use ${VAR} and ${VAR:-default})")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 || *timeout <= 0 {
		fs.Usage()
		return 2
	}
	url := expand(fs.Arg(0), lookup)
	if err := check(url, *timeout); err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return 1
	}
	return 0
}

// check GETs url and wants 200.
func check(url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("bad URL %q: %w", url, err)
	}
	req.Header.Set("User-Agent", "ml-studio-healthcheck")
	// No proxy: the target is the container itself.
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		var urlErr interface{ Timeout() bool }
		if errors.As(err, &urlErr) && urlErr.Timeout() {
			return fmt.Errorf("GET %s: no answer within %s", url, timeout)
		}
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

// expand replaces ${NAME} and ${NAME:-default} (default when NAME is unset
// or empty). Anything else, a lone $ included, stays as written.
func expand(s string, lookup func(string) (string, bool)) string {
	var b strings.Builder
	for {
		start := strings.Index(s, "${")
		if start < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := strings.IndexByte(s[start:], '}')
		if end < 0 {
			b.WriteString(s)
			return b.String()
		}
		end += start
		b.WriteString(s[:start])
		name, def, hasDef := strings.Cut(s[start+2:end], ":-")
		v, ok := lookup(name)
		if (!ok || v == "") && hasDef {
			v = def
		}
		b.WriteString(v)
		s = s[end+1:]
	}
}
