// Package app is what every service's main does the same way: print its
// configuration table on `config`, load and check its settings (exit 2 on a
// bad one), build its logger, serve until SIGINT or SIGTERM, and exit 0
// after a clean shutdown.
package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/logging"
)

// Spec describes one service.
type Spec[C any] struct {
	Name    string
	Table   func() (string, error)     // the configuration table
	Load    func() (C, error)          // settings from the environment
	Logging func(cfg C) logging.Config // the settings' logging part
	Serve   func(ctx context.Context, cfg C, stdout io.Writer, log *zap.Logger) error
}

// Exit codes.
const (
	OK            = 0
	Failed        = 1
	Misconfigured = 2
)

// Main runs a service as the process: its context ends on SIGINT or SIGTERM.
func Main(run func(ctx context.Context, args []string, stdout, stderr io.Writer) int) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Run is a service's main without the process: it returns the exit code.
func Run[C any](ctx context.Context, args []string, stdout, stderr io.Writer, s Spec[C]) int {
	if len(args) > 0 && args[0] == "config" {
		table, err := s.Table()
		if err != nil {
			fmt.Fprintln(stderr, err)
			return Failed
		}
		fmt.Fprint(stdout, table)
		return OK
	}
	cfg, err := s.Load()
	if err != nil {
		fmt.Fprintf(stderr, "%s: configuration: %v\n", s.Name, err)
		return Misconfigured
	}
	log, err := logging.New(s.Logging(cfg), s.Name)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", s.Name, err)
		return Failed
	}
	defer func() { _ = log.Sync() }()
	if err := s.Serve(ctx, cfg, stdout, log); err != nil {
		log.Error("exit", zap.Error(err))
		return Failed
	}
	return OK
}
