package apitest

import (
	"context"
	"net"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/httpclient"
	"github.com/ml-studio/ml-studio/pkg/server"

	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/api"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/cerberus"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/config"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
)

// Options change an ml_studio instance from the stack's default one.
type Options struct {
	CerberusURL   string        // default: the stack's cerberus
	MLflowURL     string        // default: the stack's MLflow
	DecisionCache time.Duration // ML_STUDIO_DECISION_CACHE; 0 (the default here) turns it off
	Retries       *int          // ML_STUDIO_UPSTREAM_RETRIES; nil keeps the configured default
	Log           *zap.Logger   // default: none
}

// Studio is one ml_studio serving on 127.0.0.1.
type Studio struct {
	URL   string
	Stack *Stack
	API   *api.Deps
	srv   *server.Server
}

// NewStudio starts an ml_studio wired as cmd/ml_studio wires it (same
// clients, server, routes and authorizer), with settings read as the
// command reads them and then changed by o. It stops when t ends.
func (s *Stack) NewStudio(t testing.TB, o Options) *Studio {
	t.Helper()
	if s.External() {
		t.Fatalf("an external stack (%s) has no in-process ml_studio: run only the tests that use the stack's own", EnvStudioURL)
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatalf("ml_studio configuration: %v", err)
	}
	cfg.DecisionCache = o.DecisionCache
	if o.Retries != nil {
		cfg.UpstreamRetries = *o.Retries
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("ml_studio configuration: %v", err)
	}
	cerbURL, mlfURL := s.CerberusURL, s.MLflowURL
	if o.CerberusURL != "" {
		cerbURL = o.CerberusURL
	}
	if o.MLflowURL != "" {
		mlfURL = o.MLflowURL
	}
	log := o.Log
	if log == nil {
		log = zap.NewNop()
	}

	// As cmd/ml_studio/main.go's run.
	cerbHTTP := httpclient.New(cfg.Upstream(), log.Named("cerberus"))
	cerb := cerberus.New(cerbURL, cerbHTTP, s.RegistrarSecret)
	mlf := mlflow.New(mlfURL,
		httpclient.New(cfg.MLflow(), log.Named("mlflow")),
		httpclient.New(cfg.Streaming(), log.Named("mlflow-stream")))
	srv := server.New(cfg.ServerConfig, log, "ml_studio",
		server.Check{Name: "cerberus", Run: cerb.Ready},
		server.Check{Name: "mlflow", Run: mlf.Health},
	)
	deps := &api.Deps{
		MLflow:         mlf,
		Registry:       cerb,
		Access:         access.NewAuthorizer(cerb, cfg.DecisionCache).FollowRevisions(cerb.Revisions(), cfg.DecisionGrace),
		DefaultProject: cfg.DefaultProject,

		CerberusURL:       cerbURL,
		CerberusTransport: cerb.Transport(),
	}
	api.Register(srv.Engine(), deps)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if cfg.DecisionCache > 0 {
		go cerb.Watch(ctx, cfg.RevisionPoll)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ml_studio shutdown: %v", err)
		}
	})
	return &Studio{URL: "http://" + ln.Addr().String(), Stack: s, API: deps, srv: srv}
}

// Server is the instance's server, for its engine's route list.
func (st *Studio) Server() *server.Server { return st.srv }
