package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
)

// The gateway serves MLflow's own REST surface, so the stock mlflow client
// and notebooks can point at ml_studio. Every endpoint goes through the
// rules of access.Rules; an endpoint without a rule is refused.

// maxGatewayBody bounds a JSON call (a log-batch of 1,000 metrics is ~100 KB).
const maxGatewayBody = 16 << 20

// registerGateway adds MLflow's REST surface and its /ajax-api twins. Its
// errors take MLflow's shape, so the stock client raises the right exception.
func (h handlers) registerGateway(r gin.IRouter) {
	auth := credentialRequired(mlflowShape)
	handle := func(f func(*gin.Context) error) gin.HandlerFunc { return apierror.HandlerAs(f, mlflowShape) }
	for _, prefix := range []string{"/api/2.0/mlflow", "/ajax-api/2.0/mlflow"} {
		r.Any(prefix+"/*endpoint", auth, handle(h.gatewayREST))
	}
	for _, prefix := range []string{"/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts"} {
		r.Any(prefix+"/*endpoint", auth, handle(h.gatewayArtifacts))
	}
	r.GET("/get-artifact", auth, handle(h.runArtifactFile))
	r.GET("/model-versions/get-artifact", auth, handle(h.modelVersionArtifactFile))
}

// mlflowCodes are MLflow's error codes for our statuses.
var mlflowCodes = map[int]string{
	http.StatusBadRequest:            "INVALID_PARAMETER_VALUE",
	http.StatusUnauthorized:          "UNAUTHENTICATED",
	http.StatusForbidden:             "PERMISSION_DENIED",
	http.StatusNotFound:              "RESOURCE_DOES_NOT_EXIST",
	http.StatusConflict:              "RESOURCE_ALREADY_EXISTS",
	http.StatusRequestEntityTooLarge: "INVALID_PARAMETER_VALUE",
	http.StatusTooManyRequests:       "REQUEST_LIMIT_EXCEEDED",
	http.StatusBadGateway:            "TEMPORARILY_UNAVAILABLE",
	http.StatusServiceUnavailable:    "TEMPORARILY_UNAVAILABLE",
	http.StatusGatewayTimeout:        "DEADLINE_EXCEEDED", // MLflow's own code for 504
}

// mlflowShape is MLflow's error body: {"error_code": ..., "message": ...}.
func mlflowShape(e *apierror.Error) any {
	code, ok := mlflowCodes[e.Status]
	if !ok {
		code = "INTERNAL_ERROR"
	}
	return gin.H{"error_code": code, "message": e.Message}
}

// specials are the endpoints with handlers of their own, shared with the
// seed's /api routes.
func (h handlers) specials() map[string]func(*gin.Context) error {
	return map[string]func(*gin.Context) error{
		"POST /experiments/create":         h.createExperiment,
		"POST /experiments/search":         h.searchExperiments,
		"GET /experiments/search":          h.searchExperiments,
		"GET /experiments/get-by-name":     h.experimentByName,
		"POST /runs/search":                h.searchRuns,
		"POST /logged-models/search":       h.searchLoggedModels,
		"POST /registered-models/create":   h.createModel,
		"GET /registered-models/search":    h.searchModels,
		"POST /registered-models/rename":   h.renameModel,
		"DELETE /registered-models/delete": h.deleteModel,
		"POST /model-versions/create":      h.createVersion,
		"GET /model-versions/search":       h.searchVersions,
	}
}

// gatewayREST authorizes one MLflow REST call by its rule and forwards it
// as it came.
func (h handlers) gatewayREST(c *gin.Context) error {
	endpoint := c.Param("endpoint")
	rule, ids := access.Lookup(c.Request.Method, endpoint)
	switch rule.Target {
	case access.Refused:
		return errRefused
	case access.Special:
		handle, ok := h.specials()[c.Request.Method+" "+endpoint]
		if !ok {
			return errRefused
		}
		return handle(c)
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxGatewayBody))
	if err != nil {
		return apierror.New(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", maxGatewayBody)
	}
	p, err := gatewayParams(c, body)
	if err != nil {
		return err
	}
	if rule.Target == access.ByRunList {
		if err := h.requireRuns(c, p, rule.Op); err != nil {
			return respondErr(c, err)
		}
	} else if err := h.authorize(c, p, rule.Target, rule.Op, ids...); err != nil {
		return respondErr(c, err)
	}
	header := http.Header{}
	if ct := c.GetHeader("Content-Type"); ct != "" {
		header.Set("Content-Type", ct)
	}
	var reader io.Reader
	if len(body) > 0 {
		reader = bytes.NewReader(body)
	}
	// A JSON call: MLflow's answer streams through, under the JSON client's
	// whole-call timeout and retries (GETs only).
	resp, err := h.MLflow.Relay(c.Request.Context(), c.Request.Method, mlflow.API+endpoint, c.Request.URL.Query(), reader, header)
	if err != nil {
		return err
	}
	return h.relay(c, resp)
}

// gatewayParams are a call's query parameters and JSON body fields.
func gatewayParams(c *gin.Context, body []byte) (params, error) {
	p := params{}
	for k, v := range c.Request.URL.Query() {
		if len(v) == 1 {
			p[k] = v[0]
		} else {
			p[k] = v
		}
	}
	if len(bytes.TrimSpace(body)) > 0 {
		var fields map[string]any
		if err := json.Unmarshal(body, &fields); err != nil {
			return nil, apierror.BadRequest("the body is not a JSON object")
		}
		for k, v := range fields {
			p[k] = v
		}
	}
	return p, nil
}

// requireRuns checks every run of a run_ids list (bulk metric history).
func (h handlers) requireRuns(c *gin.Context, p params, op string) error {
	runs, err := stringList(p, "run_ids")
	if err != nil {
		return err
	}
	if len(runs) > 100 {
		return badParam("run_ids", "at most 100 run ids")
	}
	for _, run := range runs {
		if err := h.authorize(c, params{"run_id": run}, access.ByRun, op); err != nil {
			return err
		}
	}
	return nil
}

// relay writes an MLflow answer as it came, streaming its body.
func (h handlers) relay(c *gin.Context, resp *http.Response) error {
	defer resp.Body.Close()
	for _, k := range []string{"Content-Type", "Content-Length", "Content-Disposition", "Last-Modified", "ETag"} {
		if v := resp.Header.Get(k); v != "" {
			c.Header(k, v)
		}
	}
	c.Status(resp.StatusCode)
	h.copyBody(c, resp)
	return nil
}

// copyBody streams an answer's body to the caller. The status is sent by
// then, so a failure midway can only cut the answer short (its
// Content-Length tells the caller) and be logged.
func (h handlers) copyBody(c *gin.Context, resp *http.Response) {
	if _, err := h.MLflow.Copy(c.Writer, resp.Body); err != nil {
		_ = c.Error(fmt.Errorf("stream MLflow's answer: %w", err))
	}
}

// gatewayArtifacts serves MLflow's artifact proxy. Artifact paths start
// with the experiment id (<experiment>/<run>/artifacts/... or
// <experiment>/models/<model>/artifacts/...): that experiment is checked.
func (h handlers) gatewayArtifacts(c *gin.Context) error {
	endpoint := strings.TrimPrefix(c.Param("endpoint"), "/")
	method := c.Request.Method
	var (
		artifact string
		op       string
	)
	switch kind, rest, _ := strings.Cut(endpoint, "/"); {
	case endpoint == "artifacts" && method == http.MethodGet: // a listing: ?path=
		artifact, op = c.Query("path"), access.Read
	case kind == "artifacts" && method == http.MethodGet:
		artifact, op = rest, access.Read
	case kind == "artifacts" && (method == http.MethodPut || method == http.MethodDelete):
		artifact, op = rest, access.Edit
	case kind == "mpu" && method == http.MethodPost: // multipart upload: create, complete, abort
		_, artifact, _ = strings.Cut(rest, "/")
		op = access.Edit
	default: // presigned URLs would bypass ml_studio altogether
		return errRefused
	}
	experiment, err := artifactExperiment(artifact)
	if err != nil {
		return err
	}
	if err := h.Access.Require(c.Request.Context(), credential(c), access.Experiment(experiment), op); err != nil {
		return err
	}
	header := http.Header{}
	if ct := c.GetHeader("Content-Type"); ct != "" {
		header.Set("Content-Type", ct)
	}
	var body io.Reader
	if method == http.MethodPut || method == http.MethodPost {
		body = c.Request.Body
	}
	resp, err := h.MLflow.Stream(c.Request.Context(), method, "/api/2.0/mlflow-artifacts/"+escapePath(endpoint), c.Request.URL.Query(), body, header)
	if err != nil {
		return err
	}
	return h.relay(c, resp)
}

// artifactExperiment is the experiment id an artifact path starts with.
func artifactExperiment(p string) (string, error) {
	p = strings.Trim(p, "/")
	clean := path.Clean(p)
	if p == "" || clean != p || strings.HasPrefix(clean, "..") || strings.Contains(p, `\`) {
		return "", badParam("path", "an artifact path inside an experiment, without '..'")
	}
	exp, _, _ := strings.Cut(clean, "/")
	for _, r := range exp {
		if r < '0' || r > '9' {
			return "", badParam("path", "an artifact path starting with an experiment id")
		}
	}
	return exp, nil
}

// runArtifactFile is MLflow's /get-artifact: one file of a run; read on
// its experiment.
func (h handlers) runArtifactFile(c *gin.Context) error {
	p := params{"run_id": c.Query("run_id"), "path": c.Query("path")}
	if _, err := artifactPath(p, true); err != nil {
		return err
	}
	if err := h.authorize(c, p, access.ByRun, access.Read); err != nil {
		return respondErr(c, err)
	}
	resp, err := h.MLflow.Stream(c.Request.Context(), http.MethodGet, "/get-artifact", c.Request.URL.Query(), nil, nil)
	if err != nil {
		return err
	}
	return h.relay(c, resp)
}

// modelVersionArtifactFile is MLflow's /model-versions/get-artifact: read
// on the model.
func (h handlers) modelVersionArtifactFile(c *gin.Context) error {
	p := params{"name": c.Query("name"), "path": c.Query("path")}
	if _, err := artifactPath(p, true); err != nil {
		return err
	}
	if err := h.authorize(c, p, access.ByModel, access.Read); err != nil {
		return err
	}
	resp, err := h.MLflow.Stream(c.Request.Context(), http.MethodGet, "/model-versions/get-artifact", c.Request.URL.Query(), nil, nil)
	if err != nil {
		return err
	}
	return h.relay(c, resp)
}

// searchLoggedModels keeps only readable experiments, as runs/search does.
func (h handlers) searchLoggedModels(c *gin.Context) error {
	return h.searchInReadableExperiments(c, "/logged-models/search", "models",
		"filter", "datasets", "max_results", "order_by", "page_token")
}
