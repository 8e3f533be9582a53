package apierror_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

func init() { gin.SetMode(gin.TestMode) }

func TestResolve(t *testing.T) {
	notFound := apierror.NotFound("run %d not found", 7)
	cause := errors.New("dial tcp 10.0.0.5:3306: connection refused (user=admin password=hunter2)")
	tests := []struct {
		name        string
		err         error
		wantStatus  int
		wantMessage string
		wantSame    *apierror.Error // Resolve must return this very error
	}{
		{"api error", notFound, http.StatusNotFound, "run 7 not found", notFound},
		{"wrapped once", fmt.Errorf("get run: %w", notFound), http.StatusNotFound, "run 7 not found", notFound},
		{"wrapped twice", fmt.Errorf("handler: %w", fmt.Errorf("get run: %w", notFound)), http.StatusNotFound, "run 7 not found", notFound},
		{"joined", errors.Join(errors.New("other"), notFound), http.StatusNotFound, "run 7 not found", notFound},
		{"plain error", cause, http.StatusInternalServerError, "internal server error", nil},
		{"wrapped plain error", fmt.Errorf("query: %w", cause), http.StatusInternalServerError, "internal server error", nil},
		{"deadline exceeded", context.DeadlineExceeded, http.StatusGatewayTimeout, "the request took too long", nil},
		{"wrapped deadline", fmt.Errorf("call mlflow: %w", context.DeadlineExceeded), http.StatusGatewayTimeout, "the request took too long", nil},
		{"canceled", context.Canceled, 499, "request cancelled", nil},
		{"api error over deadline", apierror.BadGateway(context.DeadlineExceeded, "mlflow did not answer"), http.StatusBadGateway, "mlflow did not answer", nil},
		{"retry after kept", &apierror.Error{Status: http.StatusServiceUnavailable, Message: "busy", RetryAfter: 3}, http.StatusServiceUnavailable, "busy", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := apierror.Resolve(tt.err)
			if got.Status != tt.wantStatus || got.Message != tt.wantMessage {
				t.Errorf("Resolve = {%d %q}, want {%d %q}", got.Status, got.Message, tt.wantStatus, tt.wantMessage)
			}
			if tt.wantSame != nil && got != tt.wantSame {
				t.Errorf("Resolve returned %p, want the wrapped *Error %p", got, tt.wantSame)
			}
			// The cause stays reachable for the logs.
			if !errors.Is(got, tt.err) && got != tt.wantSame {
				t.Errorf("Resolve(%v) lost the cause: %v", tt.err, got)
			}
			if strings.Contains(got.Message, "hunter2") || strings.Contains(got.Message, "10.0.0.5") {
				t.Errorf("message %q leaks the cause", got.Message)
			}
		})
	}
}

func TestConstructors(t *testing.T) {
	cause := errors.New("boom")
	tests := []struct {
		name        string
		err         *apierror.Error
		wantStatus  int
		wantMessage string
		wantCause   error
	}{
		{"required", apierror.Required("name"), http.StatusBadRequest, "'name' is required", nil},
		{"bad request", apierror.BadRequest("limit must be below %d", 100), http.StatusBadRequest, "limit must be below 100", nil},
		{"not found", apierror.NotFound("user %q not found", "ann"), http.StatusNotFound, `user "ann" not found`, nil},
		{"conflict", apierror.Conflict("exists"), http.StatusConflict, "exists", nil},
		{"unauthorized", apierror.Unauthorized("no token"), http.StatusUnauthorized, "no token", nil},
		{"forbidden", apierror.Forbidden("not yours"), http.StatusForbidden, "not yours", nil},
		{"unavailable", apierror.Unavailable(cause, "db down"), http.StatusServiceUnavailable, "db down", cause},
		{"bad gateway", apierror.BadGateway(cause, "mlflow said %d", 500), http.StatusBadGateway, "mlflow said 500", cause},
		{"new", apierror.New(http.StatusTeapot, "%s", "short and stout"), http.StatusTeapot, "short and stout", nil},
		{"wrap", apierror.Wrap(http.StatusConflict, cause, "taken"), http.StatusConflict, "taken", cause},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err.Status != tt.wantStatus || tt.err.Message != tt.wantMessage {
				t.Errorf("got {%d %q}, want {%d %q}", tt.err.Status, tt.err.Message, tt.wantStatus, tt.wantMessage)
			}
			if !errors.Is(tt.err.Unwrap(), tt.wantCause) {
				t.Errorf("Unwrap = %v, want %v", tt.err.Unwrap(), tt.wantCause)
			}
			want := tt.wantMessage
			if tt.wantCause != nil {
				want += ": " + tt.wantCause.Error()
			}
			if got := tt.err.Error(); got != want {
				t.Errorf("Error() = %q, want %q", got, want)
			}
			if !apierror.IsStatus(fmt.Errorf("ctx: %w", tt.err), tt.wantStatus) {
				t.Errorf("IsStatus(wrapped, %d) = false", tt.wantStatus)
			}
		})
	}
}

func TestIsStatus(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		want   bool
	}{
		{"match", apierror.NotFound("x"), http.StatusNotFound, true},
		{"other status", apierror.NotFound("x"), http.StatusConflict, false},
		{"plain error is no api error", errors.New("x"), http.StatusInternalServerError, false},
		{"nil", nil, http.StatusOK, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := apierror.IsStatus(tt.err, tt.status); got != tt.want {
				t.Errorf("IsStatus = %v, want %v", got, tt.want)
			}
		})
	}
}

// decodeBody checks the answer is exactly {"error": "..."} and returns the message.
func decodeBody(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", w.Body.String(), err)
	}
	msg, ok := body["error"].(string)
	if len(body) != 1 || !ok {
		t.Fatalf("body = %s, want exactly {\"error\": \"...\"}", w.Body.String())
	}
	return msg
}

func TestRespond(t *testing.T) {
	tests := []struct {
		name           string
		err            error
		wantStatus     int
		wantMessage    string
		wantRetryAfter string
	}{
		{"api error", apierror.Required("name"), http.StatusBadRequest, "'name' is required", ""},
		{"wrapped api error", fmt.Errorf("x: %w", apierror.NotFound("no run")), http.StatusNotFound, "no run", ""},
		{"plain error", errors.New("secret=hunter2 panic in db"), http.StatusInternalServerError, "internal server error", ""},
		{"deadline", fmt.Errorf("upstream: %w", context.DeadlineExceeded), http.StatusGatewayTimeout, "the request took too long", ""},
		{"retry after", &apierror.Error{Status: http.StatusServiceUnavailable, Message: "busy", RetryAfter: 7}, http.StatusServiceUnavailable, "busy", "7"},
		{"wrapped retry after", fmt.Errorf("x: %w", &apierror.Error{Status: http.StatusTooManyRequests, Message: "slow down", RetryAfter: 120}), http.StatusTooManyRequests, "slow down", "120"},
		{"zero retry after", &apierror.Error{Status: http.StatusServiceUnavailable, Message: "busy"}, http.StatusServiceUnavailable, "busy", ""},
		{"negative retry after", &apierror.Error{Status: http.StatusServiceUnavailable, Message: "busy", RetryAfter: -1}, http.StatusServiceUnavailable, "busy", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(w)
			c.Request = httptest.NewRequest(http.MethodGet, "/x", nil)

			apierror.Respond(c, tt.err)

			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if msg := decodeBody(t, w); msg != tt.wantMessage {
				t.Errorf("error = %q, want %q", msg, tt.wantMessage)
			}
			if strings.Contains(w.Body.String(), "hunter2") {
				t.Errorf("body %q leaks the cause", w.Body.String())
			}
			if got := w.Header().Get("Retry-After"); got != tt.wantRetryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.wantRetryAfter)
			}
			if !c.IsAborted() {
				t.Error("Respond did not abort the chain")
			}
			if last := c.Errors.Last(); last == nil || last.Err != tt.err {
				t.Errorf("gin errors = %v, want the original error kept for the log", c.Errors)
			}
		})
	}
}

func TestHandler(t *testing.T) {
	tests := []struct {
		name       string
		h          func(c *gin.Context) error
		wantStatus int
		wantBody   string // exact body when the handler succeeds
		wantError  string // error message when it fails
	}{
		{
			name:       "success",
			h:          func(c *gin.Context) error { c.String(http.StatusCreated, "made"); return nil },
			wantStatus: http.StatusCreated,
			wantBody:   "made",
		},
		{
			name:       "api error",
			h:          func(c *gin.Context) error { return apierror.Required(c.Query("field")) },
			wantStatus: http.StatusBadRequest,
			wantError:  "'name' is required",
		},
		{
			name:       "internal error",
			h:          func(*gin.Context) error { return errors.New("sql: no rows; password=hunter2") },
			wantStatus: http.StatusInternalServerError,
			wantError:  "internal server error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gin.New()
			afterRan := false
			r.GET("/x", apierror.Handler(tt.h), func(c *gin.Context) {
				afterRan = true
				if !c.IsAborted() {
					c.Next()
				}
			})
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/x?field=name", nil))

			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if tt.wantError == "" {
				if w.Body.String() != tt.wantBody {
					t.Errorf("body = %q, want %q", w.Body.String(), tt.wantBody)
				}
				if !afterRan {
					t.Error("a successful handler stopped the chain")
				}
				return
			}
			if msg := decodeBody(t, w); msg != tt.wantError {
				t.Errorf("error = %q, want %q", msg, tt.wantError)
			}
			if afterRan {
				t.Error("the chain went on after an error")
			}
		})
	}
}

func TestRespondNamesAnAuthSchemeOn401(t *testing.T) {
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	apierror.Respond(c, apierror.Unauthorized("sign in"))
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
		t.Fatalf("401 without WWW-Authenticate: %d %v", rec.Code, rec.Header())
	}
}
