// Command ml_studio is ML Studio's backend: the seed's API in front of MLflow,
// every call authenticated and authorized by cerberus.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "config" {
		table, err := config.Table()
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprint(stdout, table)
		return 0
	}
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintf(stderr, "%s: configuration: %v\n", service, err)
		return 2
	}
	log, err := logging.New(cfg.LoggingConfig, service)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", service, err)
		return 1
	}
	defer func() { _ = log.Sync() }()

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
		Access:         access.NewAuthorizer(cerb, cfg.DecisionCache),
		DefaultProject: cfg.DefaultProject,

		CerberusURL:       cfg.CerberusURL.String(),
		CerberusTransport: cerbHTTP,
	})
	if err := srv.Run(ctx, server.Listen(cfg.Host, cfg.Port)); err != nil {
		log.Error("exit", zap.Error(err))
		return 1
	}
	return 0
}
