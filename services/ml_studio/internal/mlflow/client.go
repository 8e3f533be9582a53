// Package mlflow is ml_studio's client of the MLflow tracking server.
package mlflow

import (
	"context"

	"github.com/ml-studio/ml-studio/pkg/httpclient"
)

// Client talks to one MLflow server.
type Client struct {
	base string
	http *httpclient.Client
}

// New returns a client of the MLflow server at base.
func New(base string, hc *httpclient.Client) *Client {
	return &Client{base: base, http: hc}
}

// Health reports whether MLflow answers its health endpoint.
func (c *Client) Health(ctx context.Context) error {
	return c.http.Probe(ctx, c.base+"/health")
}
