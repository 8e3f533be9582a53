// Package config is ml_studio's settings, read from ML_STUDIO_* variables.
package config

import (
	"time"

	pkgconfig "github.com/ml-studio/ml-studio/pkg/config"
	"github.com/ml-studio/ml-studio/pkg/httpclient"
	"github.com/ml-studio/ml-studio/pkg/logging"
	"github.com/ml-studio/ml-studio/pkg/server"
)

// Prefix starts every variable's name.
const Prefix = "ML_STUDIO"

// Aliases give the embedded shared settings distinct field names.
type (
	ServerConfig  = server.Config
	LoggingConfig = logging.Config
)

// Config is every setting ml_studio reads.
type Config struct {
	Port                pkgconfig.Port    `default:"5001" desc:"TCP port to listen on"`
	CerberusURL         pkgconfig.HTTPURL `split_words:"true" default:"http://127.0.0.1:5000" desc:"base URL of cerberus, which authenticates and authorizes every call"`
	MlflowURL           pkgconfig.HTTPURL `split_words:"true" default:"http://127.0.0.1:5050" desc:"base URL of the MLflow tracking server"`
	UpstreamTimeout     time.Duration     `split_words:"true" default:"30s" desc:"time allowed for one call to cerberus or MLflow"`
	UpstreamRetries     int               `split_words:"true" default:"2" desc:"retries, with backoff, of calls that cannot write twice"`
	MlflowKeepAlive     bool              `split_words:"true" default:"true" desc:"reuse connections to MLflow. Turn off only for an MLflow whose uvicorn runs asyncio's loop with several workers, which answers a reused connection about 40 ms late (the MLflow of deploy/ runs uvloop, which does not)"`
	UpstreamIdle        int               `split_words:"true" default:"64" desc:"idle keep-alive connections kept to each upstream"`
	UpstreamIdleTimeout time.Duration     `split_words:"true" default:"4s" desc:"how long an idle connection to cerberus or MLflow is kept for reuse; keep it below the upstream's own keep-alive (MLflow's uvicorn closes idle connections after 5 s), or a POST sent as the upstream closes is reset and answered 502"`
	DecisionCache       time.Duration     `split_words:"true" default:"2s" desc:"longest an authorization answer is reused (0 turns the cache off). An answer is dropped as soon as a newer access revision is heard of from cerberus: a change made through this ml_studio on the next request, one made elsewhere within ML_STUDIO_REVISION_POLL (plus CERBERUS_CACHE_SYNC when made through another cerberus)"`
	RevisionPoll        time.Duration     `split_words:"true" default:"100ms" desc:"how often cerberus's access revision is asked for (GET /api/access/revision) while the decision cache is on; from 10ms to 250ms"`
	DecisionGrace       time.Duration     `split_words:"true" default:"1s" desc:"how long cached answers are still used after cerberus last vouched for its access revision (cerberus or its database down or unreachable): afterwards every call asks cerberus and gets 503 until it answers again. At least twice ML_STUDIO_REVISION_POLL, at most 5s; an answer is never older than ML_STUDIO_DECISION_CACHE either"`
	RegistrarSecret     string            `split_words:"true" desc:"the secret cerberus expects (CERBERUS_REGISTRAR_SECRET) when ml_studio registers the experiments and models it creates"`
	DefaultProject      string            `split_words:"true" default:"default" desc:"project of experiments and models created without a project parameter"`
	ServerConfig
	LoggingConfig
}

// Validate checks what one field alone cannot.
func (c *Config) Validate() error {
	switch {
	case c.UpstreamRetries < 0 || c.UpstreamRetries > 10:
		return &pkgconfig.Error{Key: Prefix + "_UPSTREAM_RETRIES", Reason: "must be from 0 to 10"}
	case c.UpstreamIdle < 1:
		return &pkgconfig.Error{Key: Prefix + "_UPSTREAM_IDLE", Reason: "must be at least 1"}
	case c.DecisionCache < 0 || c.DecisionCache > 5*time.Second:
		return &pkgconfig.Error{Key: Prefix + "_DECISION_CACHE", Reason: "must be from 0s to 5s"}
	case c.RevisionPoll < 10*time.Millisecond || c.RevisionPoll > 250*time.Millisecond:
		return &pkgconfig.Error{Key: Prefix + "_REVISION_POLL", Reason: "must be from 10ms to 250ms"}
	case c.DecisionGrace < 2*c.RevisionPoll || c.DecisionGrace > 5*time.Second:
		return &pkgconfig.Error{Key: Prefix + "_DECISION_GRACE", Reason: "must be from twice ML_STUDIO_REVISION_POLL to 5s"}
	case c.DefaultProject == "":
		return &pkgconfig.Error{Key: Prefix + "_DEFAULT_PROJECT", Reason: "must not be empty"}
	case c.UpstreamTimeout <= 0:
		return &pkgconfig.Error{Key: Prefix + "_UPSTREAM_TIMEOUT", Reason: "must be positive"}
	case c.UpstreamIdleTimeout <= 0:
		return &pkgconfig.Error{Key: Prefix + "_UPSTREAM_IDLE_TIMEOUT", Reason: "must be positive"}
	}
	// The client address feeds login throttling: a typo must not go unnoticed.
	return c.CheckProxies(Prefix)
}

// Upstream is the HTTP client setting for cerberus and MLflow.
func (c *Config) Upstream() httpclient.Config {
	h := httpclient.Defaults()
	h.Timeout = c.UpstreamTimeout
	h.RetryMax = c.UpstreamRetries
	h.MaxIdleConns = c.UpstreamIdle
	h.IdleTimeout = c.UpstreamIdleTimeout
	return h
}

// MLflow is the client setting for MLflow's JSON API.
func (c *Config) MLflow() httpclient.Config {
	h := c.Upstream()
	h.NoKeepAlive = !c.MlflowKeepAlive
	return h
}

// Streaming is the client setting for artifact transfers: no whole-call
// timeout (a large file may take long), the header timeout still applies.
func (c *Config) Streaming() httpclient.Config {
	h := c.MLflow()
	h.Timeout = 0
	h.RetryMax = 0
	return h
}

// Load reads and validates the settings.
func Load() (Config, error) {
	var c Config
	err := pkgconfig.Load(Prefix, &c)
	return c, err
}

// Table documents every variable.
func Table() (string, error) {
	return pkgconfig.Table(Prefix, &Config{})
}
