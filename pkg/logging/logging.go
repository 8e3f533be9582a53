// Package logging builds the zap logger every service uses.
package logging

import (
	"fmt"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Config holds the logging settings shared by every service.
type Config struct {
	LogLevel  Level  `split_words:"true" default:"info" desc:"minimum log level: debug, info, warn or error"`
	LogFormat Format `split_words:"true" default:"json" desc:"log encoding: json (one object a line) or console"`
}

// Level is a zap level name.
type Level string

// Decode implements envconfig.Decoder.
func (l *Level) Decode(v string) error {
	v = strings.ToLower(strings.TrimSpace(v))
	if _, err := zapcore.ParseLevel(v); err != nil || v == "dpanic" || v == "panic" || v == "fatal" {
		return fmt.Errorf("must be one of debug, info, warn, error")
	}
	*l = Level(v)
	return nil
}

// Format is the log encoding.
type Format string

// Decode implements envconfig.Decoder.
func (f *Format) Decode(v string) error {
	v = strings.ToLower(strings.TrimSpace(v))
	if v != "json" && v != "console" {
		return fmt.Errorf("must be json or console")
	}
	*f = Format(v)
	return nil
}

// New returns a logger writing to stderr that names the service on every line.
func New(cfg Config, service string) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(string(cfg.LogLevel))
	if err != nil {
		level = zapcore.InfoLevel
	}
	zc := zap.NewProductionConfig()
	zc.Level = zap.NewAtomicLevelAt(level)
	zc.Sampling = nil           // every request line matters for audit and debugging
	zc.DisableStacktrace = true // a 5xx line names its cause; panics log their stack themselves
	zc.EncoderConfig.TimeKey = "time"
	zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	if cfg.LogFormat == "console" {
		zc.Encoding = "console"
		zc.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
	}
	log, err := zc.Build()
	if err != nil {
		return nil, fmt.Errorf("build logger: %w", err)
	}
	return log.With(zap.String("service", service)), nil
}
