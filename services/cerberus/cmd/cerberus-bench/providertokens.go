package main

// -provider-tokens: what a request costs when its caller holds an OpenID
// provider's access token (a CI job's client-credentials JWT from Keycloak)
// instead of an ML Studio API token. Both ask cerberus the same question
// the way ml_studio does (POST /api/authorize with the caller's token), on
// the same server in the same run, next to GET /healthz, the HTTP floor.
// The JWT is verified at every request (signature by the provider's cached
// key, issuer, audience, times) and its account read by the provider's
// subject; the API token is resolved from the decision cache.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	pkgconfig "github.com/ml-studio/ml-studio/pkg/config"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/accesscache"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/config"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/idp"
	accesssvc "github.com/ml-studio/ml-studio/services/cerberus/internal/service"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// providerOptions name the provider and the client whose
// client-credentials token is the caller (the realm of deploy/keycloak).
type providerOptions struct {
	issuer, client, secret, audience string
}

type providerResult struct {
	backend                string
	healthz, apiToken, jwt *stats
}

// benchProviderTokens runs the three phases on each backend and reports.
func benchProviderTokens(ctx context.Context, o options, stdout io.Writer, progress func(string, ...any)) int {
	backends := []string{"sqlite", "mysql"}
	if o.backend != "both" {
		backends = []string{o.backend}
	}
	var results []providerResult
	code := 0
	for _, b := range backends {
		r, err := benchProviderBackend(ctx, o, b, progress)
		if err != nil {
			progress("%s: %v", backendName(b), err)
			code = 1
			break
		}
		results = append(results, r)
	}
	reportProviderTokens(stdout, o, results)
	return code
}

func benchProviderBackend(ctx context.Context, o options, backend string, progress func(string, ...any)) (_ providerResult, err error) {
	r := providerResult{backend: backendName(backend)}
	dsn, drop, err := openDatabase(ctx, backend, o.dsn)
	if err != nil {
		return r, err
	}
	defer func() { err = errors.Join(err, drop()) }()
	var cfg config.Config
	if err := pkgconfig.Load(config.Prefix+"_BENCH", &cfg); err != nil {
		return r, err
	}
	cfg.BcryptCost = benchBcryptCost
	log, closeLog, err := serverLogger(o.logFile, &errorLog{})
	if err != nil {
		return r, err
	}
	defer closeLog()
	st, err := store.Open(dsn, log)
	if err != nil {
		return r, err
	}
	defer func() { _ = st.Close() }()
	if _, err := st.Migrate(ctx); err != nil {
		return r, err
	}
	if err := st.LoadCatalogue(ctx); err != nil {
		return r, err
	}
	passwords, err := authn.NewPasswords(cfg.BcryptCost, cfg.PasswordMinLength)
	if err != nil {
		return r, err
	}
	svc := accesssvc.New(accesssvc.Config{SessionTTL: cfg.SessionTTL, MaxTokenTTL: cfg.TokenMaxTTL, DefaultTokenTT: cfg.TokenDefaultTTL,
		Cache: accesscache.Config{Sync: cfg.CacheSync}}, st, passwords, authn.NewThrottle(authn.ThrottleConfig{MaxFailures: 1000, Window: time.Minute, Lockout: time.Second}), log)
	// As cmd/cerberus wires the provider, with CERBERUS_OIDC_*'s defaults.
	var oidcCfg config.OIDC
	if err := pkgconfig.Load(config.Prefix+"_BENCH", &oidcCfg); err != nil {
		return r, err
	}
	p, err := idp.New(idp.Config{Issuer: o.provider.issuer, ClientID: o.provider.audience, Audience: o.provider.audience,
		UsernameClaim: oidcCfg.UsernameClaim, GroupsClaim: oidcCfg.GroupsClaim, HTTP: &http.Client{Timeout: oidcCfg.Timeout}})
	if err != nil {
		return r, err
	}
	svc.EnableSSO(p, accesssvc.SSOConfig{ProviderName: "bench", CreateUsers: true, PasswordSignIn: true})
	defer svc.Start(context.WithoutCancel(ctx))()

	// The API token's owner: a plain local account, signed in once to make
	// it, as the provider's account is a plain one.
	adminPassword, err := authn.GeneratePassword()
	if err != nil {
		return r, err
	}
	if _, _, err := svc.Bootstrap(ctx, "admin", adminPassword); err != nil {
		return r, err
	}
	admin, err := signIn(ctx, svc, "admin", adminPassword)
	if err != nil {
		return r, err
	}
	if _, err := svc.CreateUser(ctx, accesssvc.Meta{}, admin, accesssvc.NewUser{Username: "bench-user", Password: adminPassword}); err != nil {
		return r, err
	}
	owner, err := signIn(ctx, svc, "bench-user", adminPassword)
	if err != nil {
		return r, err
	}
	tok, err := svc.CreateToken(ctx, accesssvc.Meta{}, owner, "bench", 0)
	if err != nil {
		return r, err
	}
	jwt, err := clientCredentials(ctx, o.provider)
	if err != nil {
		return r, err
	}

	t, stopServing, err := serve(ctx, cfg, log, st, svc, o.clients)
	if err != nil {
		return r, err
	}
	defer func() { err = errors.Join(err, stopServing()) }()
	// The same question for both callers, plain accounts without a grant:
	// the decision is the same (denied), only the authentication differs.
	ask := func(token string) func(int) func() (int8, error) {
		body := authorizeBody(nil, token, "project:bench", "read")
		return func(int) func() (int8, error) {
			var buf bytes.Buffer
			return func() (int8, error) {
				return outcomeNone, t.do(ctx, http.MethodPost, "/api/authorize", body, &buf)
			}
		}
	}
	// Each caller once first: both are accepted (the provider's account is
	// made at this first request and its key fetched).
	var buf bytes.Buffer
	for what, token := range map[string]string{"API token": tok.Token, "provider JWT": jwt} {
		if err := t.do(ctx, http.MethodPost, "/api/authorize", authorizeBody(nil, token, "project:bench", "read"), &buf); err != nil {
			return r, fmt.Errorf("%s refused: %w", what, err)
		}
	}
	progress("%s: GET /healthz, %d clients, %s", r.backend, o.clients, o.duration)
	r.healthz = runTimed(ctx, o.clients, o.warmup, o.duration, func(int) func() (int8, error) {
		var buf bytes.Buffer
		return func() (int8, error) { return outcomeNone, t.do(ctx, http.MethodGet, "/healthz", nil, &buf) }
	})
	progress("%s: POST /api/authorize with an mlt_ API token, %d clients, %s", r.backend, o.clients, o.duration)
	r.apiToken = runTimed(ctx, o.clients, o.warmup, o.duration, ask(tok.Token))
	progress("%s: POST /api/authorize with the provider's JWT, %d clients, %s", r.backend, o.clients, o.duration)
	stopProfile, err := startProfile(o.cpuProfile, backend, "provider-jwt")
	if err != nil {
		return r, err
	}
	r.jwt = runTimed(ctx, o.clients, o.warmup, o.duration, ask(jwt))
	if err := stopProfile(); err != nil {
		return r, err
	}
	for _, s := range []*stats{r.healthz, r.apiToken, r.jwt} {
		if s.errors > 0 {
			return r, fmt.Errorf("%d requests failed, the first: %w", s.errors, s.firstErr)
		}
	}
	return r, nil
}

// signIn opens a session of username and returns who it is.
func signIn(ctx context.Context, svc *accesssvc.Service, username, password string) (accesssvc.Principal, error) {
	s, err := svc.Login(ctx, accesssvc.Meta{}, username, password)
	if err != nil {
		return accesssvc.Principal{}, err
	}
	return svc.Authenticate(ctx, s.Token)
}

// clientCredentials asks the provider for the CI client's access token.
func clientCredentials(ctx context.Context, p providerOptions) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {p.client}, "client_secret": {p.secret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(p.issuer, "/")+"/protocol/openid-connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return "", fmt.Errorf("the provider's token endpoint: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		return "", fmt.Errorf("client credentials of %s at %s: status %d", p.client, p.issuer, resp.StatusCode)
	}
	return out.AccessToken, nil
}

func reportProviderTokens(out io.Writer, o options, results []providerResult) {
	fmt.Fprintf(out, "\ncerberus-bench -provider-tokens: POST /api/authorize with an mlt_ API token and with %s's client-credentials JWT from %s, %d clients, %s a phase\n",
		o.provider.client, o.provider.issuer, o.clients, o.duration)
	fmt.Fprintf(out, "machine: %s; load average at start %s\n\n", machine(), o.loadAtStart)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	// CPU per request hardly depends on what else the machine runs; the
	// latencies do.
	fmt.Fprintln(tw, "backend\tcall\trequests/s\tp50 / p99\tCPU per request\tCPU vs /healthz\tCPU vs mlt_\tp50 vs /healthz\tp50 vs mlt_\tload at end")
	for _, r := range results {
		for _, row := range []struct {
			name string
			s    *stats
		}{{"GET /healthz", r.healthz}, {"authorize, mlt_ token", r.apiToken}, {"authorize, provider JWT", r.jwt}} {
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.backend, row.name, row.s.rate(), p50p99(row.s), perRequest(row.s),
				ratio(cpuPerRequest(row.s), cpuPerRequest(r.healthz)), ratio(cpuPerRequest(row.s), cpuPerRequest(r.apiToken)),
				ratio(float64(row.s.p(0.5)), float64(r.healthz.p(0.5))), ratio(float64(row.s.p(0.5)), float64(r.apiToken.p(0.5))), row.s.load)
		}
	}
	_ = tw.Flush()
}

// cpuPerRequest is perRequest's figure in seconds, 0 when unknown.
func cpuPerRequest(s *stats) float64 {
	if !s.cpu.ok || s.n() == 0 {
		return 0
	}
	return s.cpu.self * s.elapsed.Seconds() / float64(s.n())
}
