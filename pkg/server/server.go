// Package server builds the gin server every service runs: request ids,
// one log line per request, panic recovery, Prometheus metrics, health and
// readiness probes, timeouts and graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// Check is one dependency /readyz asks about.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// Server is a gin engine with the shared conventions wired in.
type Server struct {
	cfg     Config
	log     *zap.Logger
	engine  *gin.Engine
	metrics *metrics
	checks  []Check
}

// New returns a server for service with the shared middleware and the
// /healthz, /readyz and /metrics routes. Add the service's routes to Engine().
func New(cfg Config, log *zap.Logger, service string, checks ...Check) *Server {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{cfg: cfg, log: log, engine: gin.New(), metrics: newMetrics(service), checks: checks}
	// The client address feeds login throttling and the audit trail: believe
	// X-Forwarded-For only from configured proxies (a bad entry is ignored).
	if err := s.engine.SetTrustedProxies(cfg.Proxies()); err != nil {
		log.Warn("ignoring TRUSTED_PROXIES", zap.Error(err))
		_ = s.engine.SetTrustedProxies(nil)
	}
	s.engine.HandleMethodNotAllowed = true
	s.engine.ContextWithFallback = true // c.Done()/c.Value() follow the request's context
	s.engine.Use(requestID(), accessLog(log), s.metrics.instrument(), recovery(log))
	s.engine.NoRoute(func(c *gin.Context) {
		apierror.Respond(c, apierror.NotFound("no route for %s %s", c.Request.Method, c.Request.URL.Path))
	})
	s.engine.NoMethod(func(c *gin.Context) {
		apierror.Respond(c, apierror.New(http.StatusMethodNotAllowed, "method %s not allowed on %s", c.Request.Method, c.Request.URL.Path))
	})
	s.engine.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	s.engine.GET("/readyz", s.ready)
	s.engine.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})))
	return s
}

// Engine is where the service registers its routes.
func (s *Server) Engine() *gin.Engine { return s.engine }

// ready runs every check concurrently within ReadyTimeout. A check that
// ignores its context is not waited for past the timeout: it is reported as
// failed and left to finish on its own.
func (s *Server) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.ReadyTimeout)
	defer cancel()
	type outcome struct {
		i   int
		err error
	}
	done := make(chan outcome, len(s.checks)) // buffered: a late check never blocks
	for i, chk := range s.checks {
		go func() {
			defer func() {
				if rec := recover(); rec != nil {
					s.log.Error("readiness check panicked", zap.String("check", chk.Name), zap.Any("panic", rec))
					done <- outcome{i, fmt.Errorf("check panicked")}
				}
			}()
			done <- outcome{i, chk.Run(ctx)}
		}()
	}
	errs := make([]error, len(s.checks))
	finished := make([]bool, len(s.checks))
wait:
	for range s.checks {
		select {
		case o := <-done:
			errs[o.i], finished[o.i] = o.err, true
		case <-ctx.Done():
			break wait
		}
	}
	results := make(map[string]string, len(s.checks))
	var failed []string
	for i, chk := range s.checks {
		switch {
		case !finished[i]:
			results[chk.Name] = "no answer within " + s.cfg.ReadyTimeout.String()
		case errs[i] != nil:
			results[chk.Name] = errs[i].Error()
		default:
			results[chk.Name] = "ok"
			continue
		}
		failed = append(failed, chk.Name)
	}
	if len(failed) > 0 {
		c.JSON(http.StatusServiceUnavailable, gin.H{"error": fmt.Sprintf("not ready: %v unavailable", failed), "checks": results})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": results})
}

// Run listens on addr until ctx ends, then shuts down gracefully. It
// returns nil after a clean shutdown.
func (s *Server) Run(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on a listener the caller opened (tests use port 0).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.engine,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          zap.NewStdLog(s.log.Named("http")),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("listening", zap.String("addr", ln.Addr().String()))

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down", zap.Duration("grace", s.cfg.ShutdownTimeout))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	s.log.Info("stopped")
	return nil
}
