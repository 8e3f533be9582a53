package apierror

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// Respond writes err as the JSON error answer and aborts the chain. The
// cause is attached to the gin context, so the access log records it.
func Respond(c *gin.Context, err error) { RespondAs(c, err, DefaultShape) }

// Shape turns a resolved error into the body a client expects.
type Shape func(e *Error) any

// DefaultShape is {"error": "..."}.
func DefaultShape(e *Error) any { return Body{Error: e.Message} }

// RespondAs is Respond with another body shape, for clients that expect
// their own (MLflow's clients read error_code and message).
func RespondAs(c *gin.Context, err error, shape Shape) {
	e := Resolve(err)
	_ = c.Error(err) // gin keeps it for the request log line
	if e.Status == http.StatusUnauthorized && c.Writer.Header().Get("WWW-Authenticate") == "" {
		c.Header("WWW-Authenticate", `Bearer realm="ml-studio"`) // RFC 9110: a 401 names a scheme
	}
	if e.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	c.AbortWithStatusJSON(e.Status, shape(e))
}

// Handler adapts a handler that returns an error: handlers stay free of
// status-code decisions and every error goes through Respond.
func Handler(h func(c *gin.Context) error) gin.HandlerFunc { return HandlerAs(h, DefaultShape) }

// HandlerAs is Handler answering errors in another shape.
func HandlerAs(h func(c *gin.Context) error, shape Shape) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			RespondAs(c, err, shape)
		}
	}
}

// IsStatus reports whether err resolves to the given status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}
