package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflowapi"
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
	for _, prefix := range []string{"/api/2.0/mlflow", "/ajax-api/2.0/mlflow", "/api/3.0/mlflow", "/ajax-api/3.0/mlflow"} {
		r.Any(prefix+"/*endpoint", auth, handle(h.gatewayREST))
	}
	for _, prefix := range []string{"/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts"} {
		r.Any(prefix+"/*endpoint", auth, handle(h.gatewayArtifacts))
	}
	r.GET("/get-artifact", auth, handle(h.runArtifactFile))
	r.GET("/model-versions/get-artifact", auth, handle(h.modelVersionArtifactFile))
	r.POST(OTLPTracesPath, auth, handle(h.exportTraces))
	r.GET("/version", auth, handle(h.mlflowVersion))
	r.Any("/graphql", auth, handle(h.graphQL))
	// Refused on purpose, with its reason (access.Refusals): MLflow's own
	// misspelt path.
	r.Any("/api/2.0mlflow/*endpoint", auth, handle(h.refuse))
}

// mlflowVersion is MLflow's version, by which the stock client chooses how
// to talk to the server (spans over OTLP from 3.4 on); any signed-in caller
// may ask, as anyone may ask MLflow.
func (h handlers) mlflowVersion(c *gin.Context) error {
	if err := h.Access.Authenticate(c.Request.Context(), credential(c)); err != nil {
		return err
	}
	resp, err := h.MLflow.Relay(c.Request.Context(), http.MethodGet, "/version", nil, nil, nil)
	if err != nil {
		return err
	}
	return h.relay(c, resp)
}

// refuse answers a route with no rule, saying why when it is on purpose.
func (h handlers) refuse(c *gin.Context) error {
	return refusal(access.Lookup(c.Request.Method, c.Request.URL.Path))
}

// refusal is the answer to an endpoint ML Studio does not serve.
func refusal(m access.Match) error {
	if m.Reason != "" {
		return apierror.Forbidden("this MLflow endpoint is not available through ML Studio: %s", m.Reason)
	}
	return errRefused
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

// specials are the endpoints with handlers of their own (most shared with
// the seed's /api routes), by their access.Rules key.
func (h handlers) specials() map[string]func(*gin.Context) error {
	const v2, v3 = mlflow.API, "/api/3.0/mlflow"
	return map[string]func(*gin.Context) error{
		"POST " + v2 + "/experiments/create":         h.createExperiment,
		"POST " + v2 + "/experiments/search":         h.searchExperiments,
		"GET " + v2 + "/experiments/search":          h.searchExperiments,
		"GET " + v2 + "/experiments/get-by-name":     h.experimentByName,
		"POST " + v2 + "/runs/search":                h.searchRuns,
		"POST " + v2 + "/logged-models/search":       h.searchLoggedModels,
		"POST " + v2 + "/registered-models/create":   h.createModel,
		"GET " + v2 + "/registered-models/search":    h.searchModels,
		"POST " + v2 + "/registered-models/rename":   h.renameModel,
		"DELETE " + v2 + "/registered-models/delete": h.deleteModel,
		"POST " + v2 + "/model-versions/create":      h.createVersion,
		"GET " + v2 + "/model-versions/search":       h.searchVersions,
		"GET " + v2 + "/traces":                      h.searchTracesV2,
		"POST " + v3 + "/traces/search":              h.searchTraces,
		"GET " + v3 + "/scorers/list":                h.listScorers,
		"GET " + v3 + "/datasets/search":             h.searchDatasets,
		"POST " + v3 + "/datasets/search":            h.searchDatasets,
		"GET " + v3 + "/scorers/online-configs":      h.onlineScoringConfigs,
	}
}

// gatewayREST parses one MLflow REST call once, the way MLflow will read
// it (mlflowapi.Parse), authorizes those parameters by the endpoint's rule,
// and forwards a request rebuilt from exactly them: what is checked is what
// MLflow acts on.
func (h handlers) gatewayREST(c *gin.Context) error {
	method := c.Request.Method
	path := strings.TrimSuffix(c.FullPath(), "/*endpoint") + c.Param("endpoint")
	m := access.Lookup(method, path)
	key, rule := m.Key, m.Rule
	if rule.Target == access.Refused {
		return refusal(m)
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxGatewayBody))
	if err != nil {
		return apierror.New(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", maxGatewayBody)
	}
	// Parsed by its REST twin: the request goes to MLflow's REST path.
	req, err := mlflowapi.Pinned().Parse(method, access.RESTPath(path), c.Request.URL.RawQuery, body)
	if errors.Is(err, mlflowapi.ErrNoEndpoint) { // an /ajax-api endpoint without a REST twin
		req, err = mlflowapi.Pinned().Parse(method, path, c.Request.URL.RawQuery, body)
	}
	if errors.Is(err, mlflowapi.ErrNoEndpoint) {
		return errRefused
	}
	if err != nil {
		return err
	}
	p := params(req.Params)
	c.Set(parsedParams, p)
	c.Set(parsedRequest, req)
	if rule.Target == access.Special {
		handle, ok := h.special[key]
		if !ok {
			return errRefused
		}
		return handle(c)
	}
	if err := h.authorizeCall(c, key, rule, req); err != nil {
		return respondErr(c, err)
	}
	for _, ref := range access.Also[key] {
		if err := h.requireEach(c, req, ref.Path, ref.Target, ref.Op, false); err != nil {
			return respondErr(c, err)
		}
	}
	if err := jsonObjectFields(key, p); err != nil {
		return err
	}
	if err := h.stamp(c, key, p); err != nil {
		return err
	}
	// MLflow's answer streams through, under the JSON client's whole-call
	// timeout and retries (GETs only).
	return h.forwardTo(c, method, req.Path(), p)
}

// stamp sets the fields of access.Stamps to the caller's username.
func (h handlers) stamp(c *gin.Context, key string, p params) error {
	fields := access.Stamps[key]
	if len(fields) == 0 {
		return nil
	}
	who, err := h.Access.Username(c.Request.Context(), credential(c))
	if err != nil {
		return err
	}
	for _, f := range fields {
		if v, _ := mlflowapi.Text(p[f.Unless[0]]); f.Unless[0] != "" && v == f.Unless[1] {
			delete(p, f.Field)
			continue
		}
		p[f.Field] = who
	}
	return nil
}

// Context keys of a gateway call's parse, which the handlers shared with
// the seed routes read.
const (
	parsedParams  = "ml_studio.mlflow-params"
	parsedRequest = "ml_studio.mlflow-request"
)

// authorizeCall checks a call by its rule: the element its parameters (or
// access.Params' path, or the path's id) name, or every one of a list.
func (h handlers) authorizeCall(c *gin.Context, key string, rule access.Rule, req *mlflowapi.Request) error {
	switch rule.Target {
	case access.ByRunList:
		return h.requireEach(c, req, "run_ids", access.ByRun, rule.Op, true)
	case access.ByTraceList:
		return h.requireEach(c, req, "trace_ids", access.ByTrace, rule.Op, true)
	case access.ByExperimentList:
		return h.requireEach(c, req, "experiment_ids", access.ByExperiment, rule.Op, true)
	case access.SignedIn:
		return h.Access.Authenticate(c.Request.Context(), credential(c))
	case access.ByDataset:
		return h.requireDataset(c, pathID(req), rule.Op)
	}
	p := params(req.Params)
	if path, ok := access.Params[key]; ok {
		vals, err := mlflowapi.Pinned().Values(req, path)
		if err != nil {
			return err
		}
		id, _ := mlflowapi.Text(firstOf(vals))
		if len(vals) != 1 || id == "" {
			return apierror.Required(path)
		}
		p = params{"experiment_id": id}
	}
	return h.authorize(c, p, rule.Target, rule.Op, pathID(req))
}

func firstOf(vals []json.RawMessage) json.RawMessage {
	if len(vals) == 0 {
		return nil
	}
	return vals[0]
}

// pathID is the id a call's path names: a logged model's, a trace's, a
// dataset's or an issue's.
func pathID(req *mlflowapi.Request) string {
	for _, name := range []string{"model_id", "trace_id", "request_id", "dataset_id", "issue_id"} {
		if id := req.PathParams[name]; id != "" {
			return id
		}
	}
	return ""
}

// maxEach bounds the ids one call may name, each checked.
const maxEach = 100

// requireEach requires op on everything the values at path name (target
// says what they are). A list the rule is about must name something: an
// empty one could mean "all" to MLflow.
func (h handlers) requireEach(c *gin.Context, req *mlflowapi.Request, path string, target access.Target, op string, required bool) error {
	vals, err := mlflowapi.Pinned().Values(req, path)
	if err != nil {
		return err
	}
	if required && len(vals) == 0 {
		return apierror.Required(path)
	}
	if len(vals) > maxEach {
		return badParam(path, fmt.Sprintf("at most %d ids", maxEach))
	}
	for _, v := range vals {
		id, ok := mlflowapi.Text(v)
		if !ok || id == "" {
			return badParam(path, "ids, each a non-empty string")
		}
		element, err := h.elementOf(c, target, id)
		if err != nil {
			return err
		}
		if err := h.Access.Require(c.Request.Context(), credential(c), element, op); err != nil {
			return err
		}
	}
	return nil
}

// relay writes an MLflow answer as it came, streaming its body.
func (h handlers) relay(c *gin.Context, resp *http.Response) error {
	defer resp.Body.Close()
	if crashed(resp.StatusCode, resp.Header.Get("Content-Type")) {
		return errMLflowCrashed
	}
	for _, k := range []string{"Content-Type", "Content-Length", "Content-Disposition", "Last-Modified", "ETag"} {
		if v := resp.Header.Get(k); v != "" {
			c.Header(k, v)
		}
	}
	// MLflow's own nosniff must survive: an uploaded x.html is not a page of ours.
	c.Header("X-Content-Type-Options", "nosniff")
	if resp.StatusCode == http.StatusInternalServerError {
		// An error's JSON is small: read it whole to pick its status.
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return apierror.BadGateway(err, "MLflow's answer was cut short")
		}
		c.Writer.Header().Del("Content-Length") // c.Data counts what was read
		c.Data(statusOf(resp.StatusCode, body), resp.Header.Get("Content-Type"), body)
		return nil
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
	m := access.Lookup(method, strings.TrimSuffix(c.FullPath(), "/*endpoint")+"/"+endpoint)
	if m.Rule.Target != access.ByArtifacts {
		return refusal(m)
	}
	query := params{}
	var artifact string
	if len(m.IDs) > 0 { // the {path} of artifacts/{path}, mpu/<step>/{path}
		artifact = m.IDs[0]
	} else { // a listing: ?path=
		p, err := queryOnce(c, "path")
		if err != nil {
			return err
		}
		query = p
		artifact, _ = p.str("path")
	}
	op := m.Rule.Op
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
	q, err := query.query()
	if err != nil {
		return err
	}
	// Only a listing's path travels as a query: the other handlers read
	// none, and presigned URLs would bypass ml_studio altogether.
	resp, err := h.MLflow.Stream(c.Request.Context(), method, "/api/2.0/mlflow-artifacts/"+escapePath(endpoint), q, body, header)
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

// queryOnce reads the named query parameters of a route MLflow serves
// from request.args itself, each given at most once; the request forwarded
// carries only these.
func queryOnce(c *gin.Context, names ...string) (params, error) {
	q, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		return nil, apierror.BadRequest("the query string is malformed: %v", err)
	}
	p := params{}
	for _, n := range names {
		switch v := q[n]; len(v) {
		case 0:
		case 1:
			p[n] = v[0]
		default:
			return nil, apierror.BadRequest("'%s' is given more than once", n)
		}
	}
	return p, nil
}

// runArtifactFile is MLflow's /get-artifact: one file of a run; read on
// its experiment. MLflow reads "run_id or run_uuid".
func (h handlers) runArtifactFile(c *gin.Context) error {
	p, err := queryOnce(c, "run_id", "run_uuid", "path")
	if err != nil {
		return err
	}
	id, _ := p.str("run_id")
	if uuid, _ := p.str("run_uuid"); id == "" {
		p["run_id"] = uuid
	} else if uuid != "" && uuid != id {
		return apierror.BadRequest("'run_id' and 'run_uuid' name different runs")
	}
	delete(p, "run_uuid")
	if _, err := artifactPath(p, true); err != nil {
		return err
	}
	if err := h.authorize(c, p, access.ByRun, access.Read); err != nil {
		return respondErr(c, err)
	}
	return h.streamQuery(c, "/get-artifact", p)
}

// modelVersionArtifactFile is MLflow's /model-versions/get-artifact: read
// on the model.
func (h handlers) modelVersionArtifactFile(c *gin.Context) error {
	p, err := queryOnce(c, "name", "version", "path")
	if err != nil {
		return err
	}
	if _, err := artifactPath(p, true); err != nil {
		return err
	}
	if err := h.authorize(c, p, access.ByModel, access.Read); err != nil {
		return err
	}
	return h.streamQuery(c, "/model-versions/get-artifact", p)
}

// streamQuery streams the answer of a GET with exactly p as its query.
func (h handlers) streamQuery(c *gin.Context, path string, p params) error {
	q, err := p.query()
	if err != nil {
		return err
	}
	resp, err := h.MLflow.Stream(c.Request.Context(), http.MethodGet, path, q, nil, nil)
	if err != nil {
		return err
	}
	return h.relay(c, resp)
}

// objectInString are fields holding a JSON object as a string, which MLflow
// 3.18 reads without checking it is one (anything else is a 500 there).
var objectInString = map[string]string{
	"POST /runs/log-model": "model_json",
}

func jsonObjectFields(key string, p params) error {
	field, ok := objectInString[key]
	if !ok {
		return nil
	}
	s, err := p.str(field)
	if err != nil || s == "" {
		return err
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &obj) != nil {
		return badParam(field, "a JSON object")
	}
	return nil
}

// crashed reports an MLflow answer that is its web server's error page
// rather than an MLflow error: an exception MLflow did not handle.
func crashed(status int, contentType string) bool {
	return status >= 500 && !strings.HasPrefix(contentType, "application/json")
}

// errMLflowCrashed stands for MLflow's error page, whose HTML says nothing
// useful to a client.
var errMLflowCrashed = apierror.New(http.StatusBadGateway, "the MLflow tracking server failed on this request")

// searchLoggedModels keeps only readable experiments, as runs/search does.
func (h handlers) searchLoggedModels(c *gin.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	if err := loggedModelsPageToken(p); err != nil {
		return err
	}
	return h.searchInReadableExperiments(c, post, "/logged-models/search", "models",
		"filter", "datasets", "max_results", "order_by", "page_token")
}

// loggedModelsPageToken refuses a page token MLflow 3.18 would fail on
// with an unhandled exception (a 500): it must be base64 of a JSON object
// of the fields MLflow's SearchLoggedModelsPaginationToken reads.
func loggedModelsPageToken(p params) error {
	token, err := p.str("page_token")
	if err != nil || token == "" {
		return err
	}
	bad := badParam("page_token", "a page token from a previous answer")
	data, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return bad
	}
	var t struct {
		ExperimentIDs []string         `json:"experiment_ids"`
		Filter        *string          `json:"filter_string"`
		OrderBy       []map[string]any `json:"order_by"`
		Offset        *uint32          `json:"offset"`
	}
	if json.Unmarshal(data, &t) != nil {
		return bad
	}
	return nil
}
