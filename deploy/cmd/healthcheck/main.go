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
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
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

// check GETs url and wants 200. HTTP/1.0 over a plain TCP connection, not
// net/http: the probe is in every Go image, and net/http would add ~4 MB to
// each. HTTP/1.0 answers are never chunked and end when the server closes.
func check(raw string, timeout time.Duration) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("bad URL %q: %w", raw, err)
	}
	if u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("bad URL %q: want http://host[:port]/path", raw)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	fail := func(err error) error {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("GET %s: no answer within %s", raw, timeout)
		}
		return fmt.Errorf("GET %s: %w", raw, err)
	}
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return fail(err)
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: ml-studio-healthcheck\r\n\r\n", u.RequestURI(), u.Host); err != nil {
		return fail(err)
	}
	r := bufio.NewReader(io.LimitReader(conn, 64<<10))
	status, err := r.ReadString('\n')
	if err != nil {
		return fail(err)
	}
	status = strings.TrimSpace(status)
	proto, code, ok := strings.Cut(status, " ")
	if !ok || !strings.HasPrefix(proto, "HTTP/1.") {
		return fmt.Errorf("GET %s: not an HTTP answer: %q", raw, status)
	}
	if strings.HasPrefix(code, "200 ") || code == "200" {
		return nil
	}
	// The reason, from the start of the body.
	for {
		line, err := r.ReadString('\n')
		if err != nil || strings.TrimSpace(line) == "" {
			break
		}
	}
	body := make([]byte, 512)
	n, _ := io.ReadFull(r, body)
	return fmt.Errorf("GET %s: %s %s", raw, code, strings.TrimSpace(string(body[:n])))
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
