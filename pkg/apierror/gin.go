package apierror

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// Respond writes err as the JSON error answer and aborts the chain. The
// cause is attached to the gin context, so the access log records it.
func Respond(c *gin.Context, err error) {
	e := Resolve(err)
	_ = c.Error(err) // gin keeps it for the request log line
	if e.Status == http.StatusUnauthorized && c.Writer.Header().Get("WWW-Authenticate") == "" {
		c.Header("WWW-Authenticate", `Bearer realm="ml-studio"`) // RFC 9110: a 401 names a scheme
	}
	if e.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	c.AbortWithStatusJSON(e.Status, Body{Error: e.Message})
}

// Handler adapts a handler that returns an error: handlers stay free of
// status-code decisions and every error goes through Respond.
func Handler(h func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			Respond(c, err)
		}
	}
}

// IsStatus reports whether err resolves to the given status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}
