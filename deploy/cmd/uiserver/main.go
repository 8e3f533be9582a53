// Command uiserver serves the built web app (ui/dist) and relays /api to
// ml_studio, so the browser talks to one origin: no CORS to open. It is
// what `make run` puts on :3000, and the ui image's server (deploy/docker/ui.Dockerfile).
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/app"
	pkgconfig "github.com/ml-studio/ml-studio/pkg/config"
	"github.com/ml-studio/ml-studio/pkg/logging"
	"github.com/ml-studio/ml-studio/pkg/server"
)

const (
	service = "ui"
	prefix  = "UI"
)

// Aliases give the embedded shared settings distinct field names.
type (
	ServerConfig  = server.Config
	LoggingConfig = logging.Config
)

// Config is every setting the UI server reads (UI_*).
type Config struct {
	Port        pkgconfig.Port    `default:"3000" desc:"TCP port to listen on"`
	Dist        string            `default:"ui/dist" desc:"folder of the built web app (npm run build)"`
	MlStudioURL pkgconfig.HTTPURL `split_words:"true" default:"http://127.0.0.1:5001" desc:"base URL of ml_studio, where /api goes"`
	ServerConfig
	LoggingConfig
}

// Validate checks the app is built.
func (c *Config) Validate() error {
	if _, err := os.Stat(filepath.Join(c.Dist, "index.html")); err != nil {
		return &pkgconfig.Error{Key: prefix + "_DIST", Value: c.Dist, Reason: "must be a folder holding the built app's index.html (run make ui)"}
	}
	return nil
}

func main() { app.Main(run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return app.Run(ctx, args, stdout, stderr, app.Spec[Config]{
		Name:    service,
		Table:   func() (string, error) { return pkgconfig.Table(prefix, &Config{}) },
		Load:    func() (Config, error) { var c Config; err := pkgconfig.Load(prefix, &c); return c, err },
		Logging: func(c Config) logging.Config { return c.LoggingConfig },
		Serve:   serve,
	})
}

func serve(ctx context.Context, cfg Config, _ io.Writer, log *zap.Logger) error {
	target, err := url.Parse(cfg.MlStudioURL.String())
	if err != nil {
		return fmt.Errorf("ml_studio URL: %w", err)
	}
	probe := &http.Client{}
	srv := server.New(cfg.ServerConfig, log, service, server.Check{Name: "ml_studio", Run: func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String()+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := probe.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}})
	Register(srv.Engine(), cfg.Dist, target)
	return srv.Run(ctx, server.Listen(cfg.Host, cfg.Port))
}

// Register serves dist and relays /api and /ajax-api to target.
func Register(r *gin.Engine, dist string, target *url.URL) {
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte(`{"error":"ML Studio's API is unreachable"}`))
		},
	}
	// The app is not to be framed, nor its files sniffed into another type.
	r.Use(func(c *gin.Context) {
		c.Header("X-Frame-Options", "DENY")
		c.Header("X-Content-Type-Options", "nosniff")
		c.Next()
	})
	relay := func(c *gin.Context) { proxy.ServeHTTP(c.Writer, c.Request) }
	r.Any("/api/*path", relay)
	r.Any("/ajax-api/*path", relay)

	files := http.FileServer(http.Dir(dist))
	r.NoRoute(func(c *gin.Context) {
		if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
			c.AbortWithStatusJSON(http.StatusMethodNotAllowed, gin.H{"error": "method not allowed"})
			return
		}
		name := path.Clean("/" + c.Request.URL.Path)
		st, err := os.Stat(filepath.Join(dist, filepath.FromSlash(name)))
		if (err != nil || st.IsDir()) && strings.HasPrefix(name, "/assets/") {
			// A build's file that is not there: not the app's index.
			c.AbortWithStatus(http.StatusNotFound)
			return
		}
		if err != nil || st.IsDir() {
			// A client-side route: the app's index answers, and its router shows the page.
			c.Header("Cache-Control", "no-cache")
			c.File(filepath.Join(dist, "index.html"))
			return
		}
		if strings.HasPrefix(name, "/assets/") {
			c.Header("Cache-Control", "public, max-age=31536000, immutable") // file names carry a content hash
		}
		files.ServeHTTP(c.Writer, c.Request)
	})
}
