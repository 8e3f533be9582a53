package api

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
)

// OTLPTracesPath is where MLflow (and so ml_studio) takes OpenTelemetry
// spans over OTLP/HTTP; the stock client logs a trace's spans there.
const OTLPTracesPath = "/v1/traces"

// The headers MLflow's OTLP endpoint reads besides the body's.
const (
	otlpExperimentHeader = "X-Mlflow-Experiment-Id"
	otlpRunHeader        = "X-Mlflow-Run-Id"
	workspaceHeader      = "X-Mlflow-Workspace"
)

// exportTraces takes OTLP spans into an experiment. Everything MLflow acts
// on outside the spans themselves is in headers: the experiment (edit), and
// a run the traces are linked to (edit). The spans need no check of their
// own: MLflow creates a trace new to it in the experiment named and refuses
// spans of a trace stored in another one. The body is forwarded
// uncompressed, so MLflow never inflates more than ml_studio bounded.
func (h handlers) exportTraces(c *gin.Context) error {
	experiment, err := singleHeader(c, otlpExperimentHeader, true)
	if err != nil {
		return err
	}
	run, err := singleHeader(c, otlpRunHeader, false)
	if err != nil {
		return err
	}
	if len(c.Request.Header.Values(workspaceHeader)) > 0 {
		return badParam(workspaceHeader, "no header: ML Studio does not use MLflow workspaces")
	}
	mediaType, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || (mediaType != "application/x-protobuf" && mediaType != "application/json") {
		return apierror.New(http.StatusUnsupportedMediaType, "OTLP spans come as application/x-protobuf or application/json")
	}
	body, err := otlpBody(c)
	if err != nil {
		return err
	}
	ctx, cred := c.Request.Context(), credential(c)
	if err := h.Access.Require(ctx, cred, access.Experiment(experiment), access.Edit); err != nil {
		return err
	}
	header := http.Header{"Content-Type": {mediaType}, otlpExperimentHeader: {experiment}}
	if run != "" {
		element, err := h.elementOf(c, access.ByRun, run)
		if err != nil {
			return respondErr(c, err)
		}
		if err := h.Access.Require(ctx, cred, element, access.Edit); err != nil {
			return err
		}
		header.Set(otlpRunHeader, run)
	}
	if ua := c.GetHeader("User-Agent"); ua != "" {
		header.Set("User-Agent", ua) // MLflow tells its own client's traces by it
	}
	resp, err := h.MLflow.Relay(ctx, http.MethodPost, OTLPTracesPath, nil, bytes.NewReader(body), header)
	if err != nil {
		return err
	}
	return h.relay(c, resp)
}

// singleHeader is a header given at most once, non-empty when required.
func singleHeader(c *gin.Context, name string, required bool) (string, error) {
	vals := c.Request.Header.Values(name)
	switch {
	case len(vals) > 1:
		return "", badParam(name, "one header")
	case len(vals) == 0 && required, len(vals) == 1 && strings.TrimSpace(vals[0]) == "":
		return "", apierror.Required(name)
	case len(vals) == 0:
		return "", nil
	}
	return vals[0], nil
}

// otlpBody reads the spans, inflating them as MLflow would (gzip; deflate
// in zlib's wrapping or raw), never past maxGatewayBody either way.
func otlpBody(c *gin.Context) ([]byte, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxGatewayBody))
	if err != nil {
		return nil, apierror.New(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", maxGatewayBody)
	}
	encodings := c.Request.Header.Values("Content-Encoding")
	if len(encodings) > 1 {
		return nil, badParam("Content-Encoding", "one encoding")
	}
	var r io.Reader
	switch enc := strings.ToLower(strings.TrimSpace(strings.Join(encodings, ""))); enc {
	case "", "identity":
		return raw, nil
	case "gzip":
		gz, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, badParam("Content-Encoding", "a gzip body")
		}
		r = gz
	case "deflate":
		if zr, err := zlib.NewReader(bytes.NewReader(raw)); err == nil {
			if out, err := inflate(zr); err == nil {
				return out, nil
			} else if errors.Is(err, errInflatedTooLarge) {
				return nil, err
			}
		}
		r = flate.NewReader(bytes.NewReader(raw))
	default:
		return nil, apierror.New(http.StatusUnsupportedMediaType, "OTLP bodies are encoded with gzip or deflate, not %.40q", enc)
	}
	out, err := inflate(r)
	if err != nil && !errors.Is(err, errInflatedTooLarge) {
		return nil, badParam("Content-Encoding", "a body in that encoding")
	}
	return out, err
}

var errInflatedTooLarge = apierror.New(http.StatusRequestEntityTooLarge, "the body inflates to more than %d bytes", maxGatewayBody)

// inflate reads a decompressing reader to its end, at most maxGatewayBody.
func inflate(r io.Reader) ([]byte, error) {
	out, err := io.ReadAll(io.LimitReader(r, maxGatewayBody+1))
	if err != nil {
		return nil, err
	}
	if len(out) > maxGatewayBody {
		return nil, errInflatedTooLarge
	}
	return out, nil
}
