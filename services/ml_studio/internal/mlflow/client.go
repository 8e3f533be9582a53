// Package mlflow is ml_studio's client of the MLflow tracking server: JSON
// calls whose answers are passed through untouched, streams for artifacts,
// and the run → experiment lookup authorization needs.
package mlflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/httpclient"
)

// API is the prefix of MLflow's REST API.
const API = "/api/2.0/mlflow"

// Client talks to one MLflow server.
type Client struct {
	base    string
	http    *httpclient.Client
	stream  *httpclient.Client
	runExps *expirable.LRU[string, string]
	bufs    sync.Pool // *bytes.Buffer: answers of unknown length read whole
	copies  sync.Pool // *[]byte: buffers of Copy
}

// copyBuf is the size of Copy's buffers (io.Copy's own size, which it
// would otherwise allocate for every answer: neither gin's writer nor the
// client's body offers a shortcut).
const copyBuf = 32 << 10

// New returns a client of the MLflow server at base. hc serves JSON calls;
// stream (no whole-call timeout) serves artifact transfers.
func New(base string, hc, stream *httpclient.Client) *Client {
	return &Client{
		base:   base,
		http:   hc,
		stream: stream,
		// A run never moves to another experiment: the mapping can live long.
		runExps: expirable.NewLRU[string, string](100_000, nil, time.Hour),
		bufs:    sync.Pool{New: func() any { return new(bytes.Buffer) }},
		copies:  sync.Pool{New: func() any { b := make([]byte, copyBuf); return &b }},
	}
}

// Health reports whether MLflow answers its health endpoint.
func (c *Client) Health(ctx context.Context) error {
	return c.http.Probe(ctx, c.base+"/health")
}

// Response is an MLflow answer read whole.
type Response struct {
	Status int
	Body   []byte
}

// OK reports a 2xx status.
func (r *Response) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Call sends a JSON request (query for GET, body otherwise) and reads the
// answer whole, for callers that look into it. MLflow being unreachable is
// a 502 (504 when it did not answer in time); MLflow's own errors come back
// as a Response for the caller to pass through.
func (c *Client) Call(ctx context.Context, method, path string, query url.Values, body any) (*Response, error) {
	resp, err := c.Forward(ctx, method, path, query, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := c.readAll(resp)
	if err != nil {
		return nil, unreachable(err)
	}
	return &Response{Status: resp.StatusCode, Body: data}, nil
}

// readAll reads an answer in one allocation of its announced length, or
// through a pooled buffer when MLflow sends none (chunked).
func (c *Client) readAll(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= 64<<20 {
		data := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, data); err != nil {
			return nil, err
		}
		return data, nil
	}
	buf := c.bufs.Get().(*bytes.Buffer)
	defer c.putBuf(buf)
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, err
	}
	return bytes.Clone(buf.Bytes()), nil
}

func (c *Client) putBuf(b *bytes.Buffer) {
	if b.Cap() > 4<<20 { // let huge answers go rather than pin their memory
		return
	}
	b.Reset()
	c.bufs.Put(b)
}

// Forward sends a JSON request as Call does (same timeout and retries) but
// hands the answer back unread, for a caller that passes it through as it
// comes: the caller closes its body. A []byte body is JSON already encoded.
func (c *Client) Forward(ctx context.Context, method, path string, query url.Values, body any) (*http.Response, error) {
	var (
		reader io.Reader
		header http.Header
	)
	if body != nil {
		data, encoded := body.([]byte)
		if !encoded {
			var err error
			if data, err = json.Marshal(body); err != nil {
				return nil, fmt.Errorf("encode MLflow request: %w", err)
			}
		}
		reader = bytes.NewReader(data)
		header = http.Header{"Content-Type": {"application/json"}}
	}
	return c.send(ctx, c.http, method, path, query, reader, header)
}

// Relay sends a request whose body (may be nil) is already encoded, as
// Forward does: a REST call passed through by the gateway.
func (c *Client) Relay(ctx context.Context, method, path string, query url.Values, body io.Reader, header http.Header) (*http.Response, error) {
	return c.send(ctx, c.http, method, path, query, body, header)
}

// Stream sends a request whose body (may be nil) and answer are streams of
// any length (artifacts): no whole-call timeout, no retries. The caller
// closes the answer's body.
func (c *Client) Stream(ctx context.Context, method, path string, query url.Values, body io.Reader, header http.Header) (*http.Response, error) {
	return c.send(ctx, c.stream, method, path, query, body, header)
}

func (c *Client) send(ctx context.Context, hc *httpclient.Client, method, path string, query url.Values, body io.Reader, header http.Header) (*http.Response, error) {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("build MLflow request: %w", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, unreachable(err)
	}
	return resp, nil
}

// Copy copies an answer's body to w through a pooled buffer.
func (c *Client) Copy(w io.Writer, r io.Reader) (int64, error) {
	buf := c.copies.Get().(*[]byte)
	defer c.copies.Put(buf)
	return io.CopyBuffer(w, r, *buf)
}

// unreachable is MLflow not answering: a 504 when it accepted the call but
// ran out of time (the upstream timeout, or the header timeout of streams),
// a 502 when it could not be reached or broke off.
func unreachable(err error) error {
	var (
		ne net.Error
		op *net.OpError
	)
	dial := errors.As(err, &op) && op.Op == "dial" // a connect time-out is unreachable too
	if !dial && (errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())) {
		return apierror.Wrap(http.StatusGatewayTimeout, err, "the MLflow tracking server did not answer in time")
	}
	return apierror.BadGateway(err, "the MLflow tracking server is unreachable")
}

// Run is the part of a run authorization and artifacts need.
type Run struct {
	ID           string `json:"run_id"`
	ExperimentID string `json:"experiment_id"`
	ArtifactURI  string `json:"artifact_uri"`
}

// GetRun reads a run's info. A missing run is MLflow's own 404 answer.
func (c *Client) GetRun(ctx context.Context, runID string) (Run, *Response, error) {
	resp, err := c.Call(ctx, http.MethodGet, API+"/runs/get", url.Values{"run_id": {runID}}, nil)
	if err != nil || !resp.OK() {
		return Run{}, resp, err
	}
	var out struct {
		Run struct {
			Info Run `json:"info"`
		} `json:"run"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil || out.Run.Info.ExperimentID == "" {
		return Run{}, resp, apierror.BadGateway(err, "MLflow gave an unreadable run")
	}
	c.runExps.Add(runID, out.Run.Info.ExperimentID)
	return out.Run.Info, resp, nil
}

// RunExperiment is the experiment a run belongs to, cached.
func (c *Client) RunExperiment(ctx context.Context, runID string) (string, *Response, error) {
	if exp, ok := c.runExps.Get(runID); ok {
		return exp, nil, nil
	}
	run, resp, err := c.GetRun(ctx, runID)
	return run.ExperimentID, resp, err
}

// LoggedModelExperiment is the experiment a logged model belongs to, cached
// like a run's.
func (c *Client) LoggedModelExperiment(ctx context.Context, modelID string) (string, *Response, error) {
	key := "logged-model:" + modelID
	if exp, ok := c.runExps.Get(key); ok {
		return exp, nil, nil
	}
	m, resp, err := c.GetLoggedModel(ctx, modelID)
	return m.ExperimentID, resp, err
}

// LoggedModel is the part of a logged model authorization needs.
type LoggedModel struct {
	ID               string `json:"model_id"`
	ExperimentID     string `json:"experiment_id"`
	ArtifactLocation string `json:"artifact_location"`
}

// GetLoggedModel reads a logged model's info. A missing one is MLflow's
// own 404 answer.
func (c *Client) GetLoggedModel(ctx context.Context, modelID string) (LoggedModel, *Response, error) {
	resp, err := c.Call(ctx, http.MethodGet, API+"/logged-models/"+url.PathEscape(modelID), nil, nil)
	if err != nil || !resp.OK() {
		return LoggedModel{}, resp, err
	}
	var out struct {
		Model struct {
			Info LoggedModel `json:"info"`
		} `json:"model"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil || out.Model.Info.ExperimentID == "" {
		return LoggedModel{}, resp, apierror.BadGateway(err, "MLflow gave an unreadable logged model")
	}
	c.runExps.Add("logged-model:"+modelID, out.Model.Info.ExperimentID)
	return out.Model.Info, resp, nil
}

// TraceExperiment is the experiment a trace is logged in, cached like a
// run's: a trace never moves (MLflow refuses to start a trace whose id
// exists in another experiment).
func (c *Client) TraceExperiment(ctx context.Context, traceID string) (string, *Response, error) {
	key := "trace:" + traceID
	if exp, ok := c.runExps.Get(key); ok {
		return exp, nil, nil
	}
	resp, err := c.Call(ctx, http.MethodGet, "/api/3.0/mlflow/traces/"+url.PathEscape(traceID), nil, nil)
	if err != nil || !resp.OK() {
		return "", resp, err
	}
	var out struct {
		Trace struct {
			Info struct {
				Location struct {
					Experiment struct {
						ID string `json:"experiment_id"`
					} `json:"mlflow_experiment"`
				} `json:"trace_location"`
			} `json:"trace_info"`
		} `json:"trace"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		return "", resp, apierror.BadGateway(err, "MLflow gave an unreadable trace")
	}
	exp := out.Trace.Info.Location.Experiment.ID
	if exp == "" { // a trace in a table, not an experiment: nothing ML Studio can authorize
		return "", nil, apierror.Forbidden("this trace is not in an experiment")
	}
	c.runExps.Add(key, exp)
	return exp, nil, nil
}

// DatasetExperiments are the experiments an evaluation dataset belongs to.
// Not cached: experiments are added to and removed from a dataset.
func (c *Client) DatasetExperiments(ctx context.Context, datasetID string) ([]string, *Response, error) {
	resp, err := c.Call(ctx, http.MethodGet, "/api/3.0/mlflow/datasets/"+url.PathEscape(datasetID)+"/experiment-ids", nil, nil)
	if err != nil || !resp.OK() {
		return nil, resp, err
	}
	var out struct {
		IDs []string `json:"experiment_ids"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		return nil, resp, apierror.BadGateway(err, "MLflow gave an unreadable answer")
	}
	return out.IDs, resp, nil
}

// Owned is a kind of GenAI object MLflow keeps in one experiment for good
// (none of their updates names an experiment), so its experiment is cached
// like a run's.
type Owned int

// The kinds of Owned objects.
const (
	LabelSchema Owned = iota + 1
	ReviewQueue
	Issue
)

// lookup is how MLflow is asked for one: a GET of path with the id in
// param (or in the path when param is empty); the answer wraps the object
// in field.
func (o Owned) lookup() (path, param, field string) {
	switch o {
	case LabelSchema:
		return "/api/3.0/mlflow/label-schemas/get", "schema_id", "label_schema"
	case ReviewQueue:
		return "/api/3.0/mlflow/review-queues/get", "queue_id", "review_queue"
	case Issue:
		return "/api/3.0/mlflow/issues/", "", "issue"
	}
	return "", "", ""
}

// OwnerExperiment is the experiment an Owned object lives in. A missing one
// is MLflow's own 404 answer.
func (c *Client) OwnerExperiment(ctx context.Context, o Owned, id string) (string, *Response, error) {
	path, param, field := o.lookup()
	if path == "" {
		return "", nil, fmt.Errorf("mlflow: unknown kind of object %d", o)
	}
	key := field + ":" + id
	if exp, ok := c.runExps.Get(key); ok {
		return exp, nil, nil
	}
	var query url.Values
	if param == "" {
		path += url.PathEscape(id)
	} else {
		query = url.Values{param: {id}}
	}
	resp, err := c.Call(ctx, http.MethodGet, path, query, nil)
	if err != nil || !resp.OK() {
		return "", resp, err
	}
	var out map[string]struct {
		ExperimentID string `json:"experiment_id"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil || out[field].ExperimentID == "" {
		return "", resp, apierror.BadGateway(err, "MLflow gave an unreadable %s", strings.ReplaceAll(field, "_", " "))
	}
	exp := out[field].ExperimentID
	c.runExps.Add(key, exp)
	return exp, nil, nil
}
