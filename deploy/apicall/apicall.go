// Package apicall is how the deploy module's tests drive cerberus and
// ml_studio from outside: one JSON request with a bearer token, its answer
// read whole.
package apicall

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// Reply is an answer read whole.
type Reply struct {
	Method string
	Path   string // as sent after the base: the whole URL when no base was given
	Status int    // 0 when no answer came
	Header http.Header
	Body   []byte
}

func (r Reply) String() string {
	b := string(r.Body)
	if len(b) > 300 {
		b = b[:300] + "…"
	}
	return fmt.Sprintf("%s %s = %d %s", r.Method, r.Path, r.Status, b)
}

// Send makes one request to base+path with a JSON body (when not nil) and
// a Bearer token (when not empty).
func Send(ctx context.Context, hc *http.Client, base, method, path, token string, body any) (Reply, error) {
	r := Reply{Method: method, Path: path}
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return r, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return r, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return r, err
	}
	defer func() { _ = resp.Body.Close() }()
	r.Status, r.Header = resp.StatusCode, resp.Header
	r.Body, err = io.ReadAll(resp.Body)
	return r, err
}

// Do is Send for a test: a request that gets no whole answer fails it.
func Do(t testing.TB, hc *http.Client, base, method, path, token string, body any) Reply {
	t.Helper()
	r, err := Send(t.Context(), hc, base, method, path, token, body)
	if err != nil {
		t.Fatalf("%s %s%s: %v", method, base, path, err)
	}
	return r
}

// Must fails the test unless r has the status wanted.
func Must(t testing.TB, want int, r Reply) Reply {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s, want %d", r, want)
	}
	return r
}

// Decode reads r's JSON body into v or fails the test.
func Decode(t testing.TB, r Reply, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%s: %v", r, err)
	}
}

// Login signs name in on base (cerberus, or ml_studio relaying to it) and
// returns the session token.
func Login(t testing.TB, hc *http.Client, base, name, password string) string {
	t.Helper()
	var s struct {
		Token string `json:"token"`
	}
	Decode(t, Must(t, http.StatusOK, Do(t, hc, base, http.MethodPost, "/api/auth/login", "", map[string]string{"username": name, "password": password})), &s)
	return s.Token
}

// Random is 16 hex digits, for names and passwords no other run shares.
func Random() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
