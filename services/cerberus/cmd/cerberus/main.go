// Command cerberus is ML Studio's user-access-control service.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/app"
	"github.com/ml-studio/ml-studio/pkg/logging"
	"github.com/ml-studio/ml-studio/pkg/server"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/accesscache"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/api"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/config"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/idp"
	accesssvc "github.com/ml-studio/ml-studio/services/cerberus/internal/service"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

const service = "cerberus"

func main() { app.Main(run) }

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "backup" || args[0] == "restore") {
		return backupCommand(ctx, args, stdout, stderr)
	}
	return app.Run(ctx, args, stdout, stderr, app.Spec[config.Config]{
		Name:    service,
		Table:   config.Table,
		Load:    config.Load,
		Logging: func(c config.Config) logging.Config { return c.LoggingConfig },
		Serve:   serve,
	})
}

func serve(ctx context.Context, cfg config.Config, stdout io.Writer, log *zap.Logger) error {
	db, err := store.Open(cfg.DatabaseDSN, log)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	if err := waitForDatabase(ctx, db, cfg.DatabaseWait, log); err != nil {
		return err
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	log.Info("database ready", zap.String("dialect", string(db.Dialect())), zap.Strings("migrations_applied", applied))

	if err := db.LoadCatalogue(ctx); err != nil {
		return err
	}
	passwords, err := authn.NewPasswords(cfg.BcryptCost, cfg.PasswordMinLength)
	if err != nil {
		return fmt.Errorf("passwords: %w", err)
	}
	throttle := authn.NewThrottle(authn.ThrottleConfig{MaxFailures: cfg.LoginMaxFailures, Window: cfg.LoginWindow, Lockout: cfg.LoginLockout})
	svc := accesssvc.New(accesssvc.Config{SessionTTL: cfg.SessionTTL, MaxTokenTTL: cfg.TokenMaxTTL, DefaultTokenTT: cfg.TokenDefaultTTL, RegistrarSecret: cfg.RegistrarSecret,
		Cache: accesscache.Config{Sync: cfg.CacheSync}, AuditRetention: cfg.AuditRetention}, db, passwords, throttle, log)
	if err := enableSSO(svc, cfg.OIDC); err != nil {
		return err
	}
	// The background work outlives the request context: stop runs after the
	// server has drained, and writes the audit entries still queued.
	stop := svc.Start(context.WithoutCancel(ctx))
	defer stop()
	if w := cfg.RegistrationWarning(); w != "" {
		log.Warn(w)
	}
	if err := bootstrap(ctx, svc, cfg, stdout, log); err != nil {
		return err
	}

	srv := server.New(cfg.ServerConfig, log, service, server.Check{Name: "database", Run: db.Ping})
	api.Register(srv.Engine(), db, svc)
	api.RegisterSSO(srv.Engine(), svc)
	if cfg.SCIMToken != "" {
		if err := api.RegisterSCIM(srv.Engine(), accesssvc.NewSCIM(svc, cfg.SCIMToken)); err != nil {
			return err
		}
	}
	srv.Registry().MustRegister(cacheMetrics(svc)...)
	return srv.Run(ctx, server.Listen(cfg.Host, cfg.Port))
}

// enableSSO turns on sign-in with the configured OpenID provider, if any.
func enableSSO(svc *accesssvc.Service, o config.OIDC) error {
	if !o.Enabled() {
		return nil
	}
	p, err := idp.New(idp.Config{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret, RedirectURL: o.RedirectURL,
		Scopes: o.Scopes, Audience: o.Audience, UsernameClaim: o.UsernameClaim, GroupsClaim: o.GroupsClaim,
		HTTP: &http.Client{Timeout: o.Timeout}})
	if err != nil {
		return fmt.Errorf("single sign-on: %w", err)
	}
	svc.EnableSSO(p, accesssvc.SSOConfig{ProviderName: o.ProviderName, AdminGroup: o.AdminGroup, CreateUsers: o.CreateUsers,
		LinkByUsername: o.LinkByUsername, PasswordSignIn: o.PasswordSignIn, PostLogoutURL: o.PostLogoutURL,
		Secure: strings.HasPrefix(o.RedirectURL, "https://")})
	return nil
}

// bootstrap creates the first admin of an empty database. A generated
// password goes to standard output once, never to the log.
func bootstrap(ctx context.Context, svc *accesssvc.Service, cfg config.Config, stdout io.Writer, log *zap.Logger) error {
	created, generated, err := svc.Bootstrap(ctx, cfg.AdminUsername, cfg.AdminPassword)
	if err != nil || !created {
		return err
	}
	log.Info("created the first admin", zap.String("username", cfg.AdminUsername))
	if generated != "" {
		fmt.Fprintf(stdout, "\n  First admin created.\n    username: %s\n    password: %s\n  It is shown this once: sign in and change it.\n\n", cfg.AdminUsername, generated)
	}
	return nil
}

// waitForDatabase lets cerberus start before its database (compose, k8s).
func waitForDatabase(ctx context.Context, db *store.Store, limit time.Duration, log *zap.Logger) error {
	deadline := time.Now().Add(limit)
	for delay := 250 * time.Millisecond; ; delay = min(delay*2, 5*time.Second) {
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := db.Ping(pingCtx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("database did not answer within %s: %w", limit, err)
		}
		log.Warn("waiting for the database", zap.Error(err), zap.Duration("retry_in", delay))
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(delay):
		}
	}
}

// cacheMetrics report the decision cache's entries and estimated memory
// on /metrics, read at each scrape.
func cacheMetrics(svc *accesssvc.Service) []prometheus.Collector {
	entries := func(kind string, n func(accesscache.Stats) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cerberus_decision_cache_entries", Help: "Entries held by the decision cache, by kind.",
			ConstLabels: prometheus.Labels{"kind": kind},
		}, func() float64 { return float64(n(svc.CacheStats())) })
	}
	return []prometheus.Collector{
		entries("token", func(s accesscache.Stats) int { return s.Tokens }),
		entries("user", func(s accesscache.Stats) int { return s.Users }),
		entries("group", func(s accesscache.Stats) int { return s.Groups }),
		entries("grant", func(s accesscache.Stats) int { return s.Grants }),
		entries("element", func(s accesscache.Stats) int { return s.Elements }),
		entries("absent", func(s accesscache.Stats) int { return s.Absent }),
		entries("oversize_user", func(s accesscache.Stats) int { return s.Oversize }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cerberus_decision_cache_bytes", Help: "Estimated memory of the decision cache's entries.",
		}, func() float64 { return float64(svc.CacheStats().Bytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cerberus_decision_cache_max_bytes", Help: "Estimated memory of a full decision cache: its bound.",
		}, func() float64 { return float64(svc.CacheStats().MaxBytes()) }),
	}
}
