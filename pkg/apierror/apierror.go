// Package apierror is the one error type a handler returns and the one place
// that turns any error into a status and a {"error": "..."} body.
package apierror

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Error is an error a caller may see: its Message is safe to show, its cause is not.
type Error struct {
	Status  int
	Message string
	Err     error // the cause, logged but never sent
	// RetryAfter, in seconds, is sent as Retry-After when positive.
	RetryAfter int
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an Error with a formatted message.
func New(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an Error that keeps cause for the logs.
func Wrap(status int, cause error, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...), Err: cause}
}

// Required is the seed's answer to a missing parameter.
func Required(name string) *Error {
	return New(http.StatusBadRequest, "'%s' is required", name)
}

// BadRequest is a 400 with a formatted message.
func BadRequest(format string, args ...any) *Error {
	return New(http.StatusBadRequest, format, args...)
}

// NotFound is a 404 with a formatted message.
func NotFound(format string, args ...any) *Error {
	return New(http.StatusNotFound, format, args...)
}

// Conflict is a 409 with a formatted message.
func Conflict(format string, args ...any) *Error {
	return New(http.StatusConflict, format, args...)
}

// Unauthorized is a 401 with a formatted message.
func Unauthorized(format string, args ...any) *Error {
	return New(http.StatusUnauthorized, format, args...)
}

// Forbidden is a 403 with a formatted message.
func Forbidden(format string, args ...any) *Error {
	return New(http.StatusForbidden, format, args...)
}

// Unavailable is a 503: a dependency did not answer.
func Unavailable(cause error, format string, args ...any) *Error {
	return Wrap(http.StatusServiceUnavailable, cause, format, args...)
}

// BadGateway is a 502: an upstream answered with something unusable or not at all.
func BadGateway(cause error, format string, args ...any) *Error {
	return Wrap(http.StatusBadGateway, cause, format, args...)
}

// Kinds let lower layers say what went wrong without knowing HTTP: wrap one
// with %w and a message that is safe to show ("user \"bob\": not found").
var (
	ErrInvalid      = errors.New("invalid")
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("already exists")
	ErrUnauthorized = errors.New("not authenticated")
	ErrForbidden    = errors.New("forbidden")
	ErrUnavailable  = errors.New("unavailable")
)

var kindStatus = []struct {
	kind   error
	status int
}{
	{ErrInvalid, http.StatusBadRequest},
	{ErrNotFound, http.StatusNotFound},
	{ErrConflict, http.StatusConflict},
	{ErrUnauthorized, http.StatusUnauthorized},
	{ErrForbidden, http.StatusForbidden},
	{ErrUnavailable, http.StatusServiceUnavailable},
}

// Body is the JSON shape of every error answer.
type Body struct {
	Error string `json:"error"`
}

// Resolve maps any error to what the caller sees. Errors that are not an
// *Error are internal: the caller gets a generic 500 and the cause is logged.
func Resolve(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	for _, k := range kindStatus {
		if errors.Is(err, k.kind) {
			msg := err.Error()
			if k.kind == ErrUnavailable {
				msg = "a dependency is unavailable" // the chain names internals
			}
			return &Error{Status: k.status, Message: msg, Err: err}
		}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return Wrap(http.StatusGatewayTimeout, err, "the request took too long")
	case errors.Is(err, context.Canceled):
		// 499 is nginx's "client closed request": nobody reads it, but the logs do.
		return Wrap(499, err, "request cancelled")
	default:
		return Wrap(http.StatusInternalServerError, err, "internal server error")
	}
}
