package server

import (
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/requestid"
)

// unmatchedRoute labels requests no route matched, so scanners cannot blow
// up the metrics' cardinality with made-up paths.
const unmatchedRoute = "unmatched"

func routeOf(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return unmatchedRoute
}

// requestID accepts the caller's X-Request-ID or makes one, echoes it and
// puts it in the request context for logs and outbound calls.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := requestid.Accept(c.GetHeader(requestid.Header))
		c.Request = c.Request.WithContext(requestid.NewContext(c.Request.Context(), id))
		c.Header(requestid.Header, id)
		c.Next()
	}
}

// probes are logged at debug level: orchestrators call them every few seconds.
var probePaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// quietKey marks a request whose success is logged at debug level.
const quietKey = "server.quiet"

// Quiet, put before a route's handler, logs the route's successful
// requests at debug level, as the probes are: for an endpoint other
// services poll several times a second (cerberus's access revision).
// Failures are still logged at warn or error.
func Quiet(c *gin.Context) {
	c.Set(quietKey, true)
	c.Next()
}

// accessLog writes one structured line per request. The line leaves out
// the caller (always this function: it tells nothing), whose stack walk
// was a third of the line's cost on a decision.
func accessLog(log *zap.Logger) gin.HandlerFunc {
	log = log.WithOptions(zap.WithCaller(false))
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := zapcore.InfoLevel
		switch {
		case status >= 500:
			level = zapcore.ErrorLevel
		case status >= 400:
			level = zapcore.WarnLevel
		case probePaths[c.Request.URL.Path] || c.GetBool(quietKey):
			level = zapcore.DebugLevel
		}
		ce := log.Check(level, "request")
		if ce == nil {
			return
		}
		fields := []zap.Field{
			zap.String("method", c.Request.Method),
			zap.String("route", routeOf(c)),
			zap.String("path", c.Request.URL.Path),
			zap.Int("status", status),
			zap.Duration("latency", time.Since(start)),
			zap.String("request_id", requestid.FromContext(c.Request.Context())),
			zap.String("client_ip", c.ClientIP()),
			zap.Int("bytes", c.Writer.Size()),
		}
		if len(c.Errors) > 0 {
			fields = append(fields, zap.String("error", c.Errors.Last().Error()))
		}
		ce.Write(fields...)
	}
}

// recovery answers a panic with a JSON 500 and no stack trace; the stack
// goes to the log only.
func recovery(log *zap.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
				panic(rec) // the client went away; let net/http handle it
			}
			log.Error("panic",
				zap.Any("panic", rec),
				zap.String("request_id", requestid.FromContext(c.Request.Context())),
				zap.ByteString("stack", debug.Stack()))
			if !c.Writer.Written() {
				c.AbortWithStatusJSON(http.StatusInternalServerError, apierror.Body{Error: "internal server error"})
				return
			}
			c.Abort()
		}()
		c.Next()
	}
}

// instrument records the request count and latency by route.
func (m *metrics) instrument() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := routeOf(c)
		m.requests.WithLabelValues(route, c.Request.Method, strconv.Itoa(c.Writer.Status())).Inc()
		m.latency.WithLabelValues(route, c.Request.Method).Observe(time.Since(start).Seconds())
	}
}
