//go:build linux

package servers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"
)

// RoundRobin is a reverse proxy on 127.0.0.1 that sends each request to
// the next of its backends in turn, as a load balancer in front of
// replicas does: two requests in a row, even on one connection, reach two
// different replicas.
type RoundRobin struct {
	URL string

	srv  *http.Server
	done chan error
}

// NewRoundRobin starts a round-robin over the backends' base URLs.
func NewRoundRobin(backends ...string) (*RoundRobin, error) {
	if len(backends) == 0 {
		return nil, errors.New("round-robin: no backend")
	}
	targets := make([]*url.URL, len(backends))
	for i, b := range backends {
		u, err := url.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("round-robin backend %q: %w", b, err)
		}
		targets[i] = u
	}
	var next atomic.Uint64
	proxy := &httputil.ReverseProxy{
		// Rewrite (unlike Director) drops the client's X-Forwarded-*
		// headers; none are added: the replicas trust no proxy here.
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(targets[(next.Add(1)-1)%uint64(len(targets))])
		},
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        128,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		},
		FlushInterval: -1, // streams (artifacts) pass as they come
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rr := &RoundRobin{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: proxy, ReadHeaderTimeout: 10 * time.Second}, done: make(chan error, 1)}
	go func() { rr.done <- rr.srv.Serve(ln) }()
	return rr, nil
}

// Close stops the proxy, letting requests in flight finish.
func (rr *RoundRobin) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := rr.srv.Shutdown(ctx)
	if serveErr := <-rr.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return err
}
