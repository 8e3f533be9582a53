package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client talks to ml_studio as the stock client does: JSON bodies, a
// Bearer token, keep-alive connections (one pool for every simulated
// client, as many idle connections as there are clients).
type Client struct {
	Base string
	hc   *http.Client
}

// NewClient is a client of the ml_studio at base for up to conns
// concurrent callers.
func NewClient(base string, conns int) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = conns+8, conns+8
	return &Client{Base: strings.TrimRight(base, "/"), hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// Close closes the idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// Answer is one response read whole.
type Answer struct {
	Status int
	Body   []byte
}

// Send makes one request: body is JSON-encoded unless it is a []byte,
// which is sent as is (artifacts).
func (c *Client) Send(ctx context.Context, method, path, token string, body any) (Answer, error) {
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/octet-stream"
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return Answer{}, err
		}
		rd, ctype = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return Answer{}, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	return Answer{Status: resp.StatusCode, Body: data}, err
}

// Expect sends and wants status want, decoding the answer into out when
// not nil.
func (c *Client) Expect(ctx context.Context, want int, method, path, token string, body, out any) error {
	a, err := c.Send(ctx, method, path, token, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if a.Status != want {
		return &StatusError{Status: a.Status, Want: want, Request: method + " " + path, Body: snippet(a.Body)}
	}
	if out != nil {
		if err := json.Unmarshal(a.Body, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

// StatusError is an answer with another status than the one expected.
type StatusError struct {
	Status, Want  int
	Request, Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: %d %s, want %d", e.Request, e.Status, e.Body, e.Want)
}

func snippet(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
