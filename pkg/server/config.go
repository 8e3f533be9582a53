package server

import (
	"net"
	"strconv"
	"strings"
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

// Proxies is TrustedProxies without spaces and empty entries, so that
// "a, b" and a trailing comma (compose's "${A},${B:-}") mean what they say.
func (c Config) Proxies() []string {
	var out []string
	for _, p := range c.TrustedProxies {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// CheckProxies stops a service whose <prefix>_TRUSTED_PROXIES holds
// something that is neither an address nor a CIDR: the server would trust
// no proxy then, and take every proxied client for the proxy.
func (c Config) CheckProxies(prefix string) error {
	for _, p := range c.Proxies() {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return &config.Error{Key: prefix + "_TRUSTED_PROXIES", Value: p, Reason: "must be comma-separated IP addresses or CIDRs (e.g. 10.0.0.0/8)"}
		}
	}
	return nil
}
