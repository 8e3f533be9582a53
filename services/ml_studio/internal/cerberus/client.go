// Package cerberus is ml_studio's client of cerberus, the authority on who
// may do what.
package cerberus

import (
	"context"

	"github.com/ml-studio/ml-studio/pkg/httpclient"
)

// Client talks to one cerberus.
type Client struct {
	base string
	http *httpclient.Client
}

// New returns a client of the cerberus at base.
func New(base string, hc *httpclient.Client) *Client {
	return &Client{base: base, http: hc}
}

// Ready reports whether cerberus and its database answer.
func (c *Client) Ready(ctx context.Context) error {
	return c.http.Probe(ctx, c.base+"/readyz")
}
