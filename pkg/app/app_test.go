package app_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/app"
	"github.com/ml-studio/ml-studio/pkg/logging"
)

type settings struct{}

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		load       func() (settings, error)
		serveErr   error
		wantCode   int
		wantStdout string
		wantStderr string
		wantServe  bool
	}{
		{"config prints the table", []string{"config"}, nil, nil, app.OK, "| TABLE |", "", false},
		{"a bad setting stops before serving", nil, func() (settings, error) { return settings{}, errors.New("invalid X_PORT") }, nil, app.Misconfigured, "", "svc: configuration: invalid X_PORT", false},
		{"serve failing is exit 1", nil, nil, errors.New("listen: address in use"), app.Failed, "", "", true},
		{"a clean shutdown is exit 0", nil, nil, nil, app.OK, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			load := tt.load
			if load == nil {
				load = func() (settings, error) { return settings{}, nil }
			}
			served := false
			var stdout, stderr bytes.Buffer
			code := app.Run(t.Context(), tt.args, &stdout, &stderr, app.Spec[settings]{
				Name:    "svc",
				Table:   func() (string, error) { return "| TABLE |", nil },
				Load:    load,
				Logging: func(settings) logging.Config { return logging.Config{LogLevel: "error", LogFormat: "json"} },
				Serve: func(context.Context, settings, io.Writer, *zap.Logger) error {
					served = true
					return tt.serveErr
				},
			})
			if code != tt.wantCode || served != tt.wantServe {
				t.Fatalf("code %d served %v, want %d %v", code, served, tt.wantCode, tt.wantServe)
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Fatalf("stdout %q stderr %q", stdout.String(), stderr.String())
			}
		})
	}
}
