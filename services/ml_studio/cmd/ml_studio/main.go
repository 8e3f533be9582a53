// Command ml_studio is ML Studio's backend: the seed's API in front of MLflow,
// every call authenticated and authorized by cerberus.
package main

import (
	"context"
	"io"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/app"
	"github.com/ml-studio/ml-studio/pkg/httpclient"
	"github.com/ml-studio/ml-studio/pkg/logging"
	"github.com/ml-studio/ml-studio/pkg/server"

	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/api"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/cerberus"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/config"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
)

const service = "ml_studio"

func main() { app.Main(run) }

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return app.Run(ctx, args, stdout, stderr, app.Spec[config.Config]{
		Name:    service,
		Table:   config.Table,
		Load:    config.Load,
		Logging: func(c config.Config) logging.Config { return c.LoggingConfig },
		Serve:   serve,
	})
}

func serve(ctx context.Context, cfg config.Config, _ io.Writer, log *zap.Logger) error {
	// One pooled keep-alive client per upstream.
	cerbHTTP := httpclient.New(cfg.Upstream(), log.Named("cerberus"))
	cerb := cerberus.New(cfg.CerberusURL.String(), cerbHTTP, cfg.RegistrarSecret)
	mlf := mlflow.New(cfg.MlflowURL.String(),
		httpclient.New(cfg.MLflow(), log.Named("mlflow")),
		httpclient.New(cfg.Streaming(), log.Named("mlflow-stream")))

	srv := server.New(cfg.ServerConfig, log, service,
		server.Check{Name: "cerberus", Run: cerb.Ready},
		server.Check{Name: "mlflow", Run: mlf.Health},
	)
	api.Register(srv.Engine(), &api.Deps{
		MLflow:         mlf,
		Registry:       cerb,
		Access:         access.NewAuthorizer(cerb, cfg.DecisionCache).FollowRevisions(cerb.Revisions(), cfg.DecisionGrace),
		DefaultProject: cfg.DefaultProject,

		CerberusURL:       cfg.CerberusURL.String(),
		CerberusTransport: cerb.Transport(),
	})
	srv.Registry().MustRegister(revisionMetric(cerb.Revisions()))
	if cfg.DecisionCache > 0 {
		go cerb.Watch(ctx, cfg.RevisionPoll)
	}
	return srv.Run(ctx, server.Listen(cfg.Host, cfg.Port))
}

// revisionMetric reports on /metrics the newest access revision this
// process has heard of: set beside cerberus's GET /api/access/revision, it
// shows how far a replica lags behind a change.
func revisionMetric(r *cerberus.Revisions) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ml_studio_access_revision",
		Help: "Newest access revision heard from cerberus; held decisions reflecting an older one are no longer used.",
	}, func() float64 { return float64(r.Latest()) })
}
