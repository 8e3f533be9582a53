package server

import (
	"net"
	"strconv"
	"time"

	"github.com/ml-studio/ml-studio/pkg/config"
)

// Config holds the listener and timeout settings shared by every service.
// It is embedded in each service's settings; the port's default is the
// service's own, so it is passed to New rather than declared here.
type Config struct {
	Host              string        `default:"127.0.0.1" desc:"address to listen on (0.0.0.0 in containers)"`
	ReadHeaderTimeout time.Duration `split_words:"true" default:"10s" desc:"time allowed to read request headers"`
	ReadTimeout       time.Duration `split_words:"true" default:"60s" desc:"time allowed to read a whole request, body included"`
	WriteTimeout      time.Duration `split_words:"true" default:"120s" desc:"time allowed to write a response"`
	IdleTimeout       time.Duration `split_words:"true" default:"120s" desc:"how long an idle keep-alive connection stays open"`
	ShutdownTimeout   time.Duration `split_words:"true" default:"30s" desc:"on SIGTERM/SIGINT, how long in-flight requests may take to finish"`
	ReadyTimeout      time.Duration `split_words:"true" default:"3s" desc:"time allowed for the dependency checks of /readyz"`
	TrustedProxies    []string      `split_words:"true" desc:"comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed; empty believes none"`
}

// Listen is a host and port to listen on.
func Listen(host string, port config.Port) string {
	return net.JoinHostPort(host, strconv.Itoa(int(port)))
}
