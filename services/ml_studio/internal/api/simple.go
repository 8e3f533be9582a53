package api

import (
	"errors"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
)

// element names what a call touches, by its rule; ids are the ids its
// path names (a logged model's, a trace's).
func (h handlers) element(c *gin.Context, rule access.Rule, p params, ids []string) (string, error) {
	var (
		id  string
		err error
	)
	switch rule.Target {
	case access.ByExperiment:
		id, err = p.first("experiment_id")
	case access.ByRun:
		if _, ok := p["run_id"]; !ok && p["run_uuid"] != nil {
			p["run_id"] = p["run_uuid"] // older MLflow clients name it so
		}
		id, err = p.first("run_id")
	case access.ByModel:
		id, err = p.first("name")
	case access.ByLabelSchema:
		id, err = p.first("schema_id")
	case access.ByReviewQueue:
		id, err = p.first("queue_id")
	case access.ByEndpoint:
		id, err = p.first("endpoint_id")
	case access.BySecret:
		id, err = p.first("secret_id")
	case access.ByModelDef:
		id, err = p.first("model_definition_id")
	case access.ByLoggedModel:
		id, err = fromPath(ids, "model_id")
	case access.ByIssue:
		id, err = fromPath(ids, "issue_id")
	case access.ByTrace: // the path's id, or trace_id (request_id in v2)
		if len(ids) > 0 && ids[0] != "" {
			id = ids[0]
		} else if id, err = p.str("trace_id"); err == nil && id == "" {
			if id, err = p.first("request_id"); err != nil {
				err = apierror.Required("trace_id")
			}
		}
	case access.AdminOnly:
		return access.Root, nil
	default:
		return "", errRefused
	}
	if err != nil {
		return "", err
	}
	return h.elementOf(c, rule.Target, id)
}

// fromPath is the first id a call's path names, which must be there.
func fromPath(ids []string, name string) (string, error) {
	if len(ids) == 0 || ids[0] == "" {
		return "", apierror.Required(name)
	}
	return ids[0], nil
}

// elementOf is the element an id names, by what it is the id of: runs,
// logged models and traces are looked up (cached) for their experiment.
func (h handlers) elementOf(c *gin.Context, target access.Target, id string) (string, error) {
	ctx := c.Request.Context()
	switch target {
	case access.ByExperiment:
		return access.Experiment(id), nil
	case access.ByModel:
		return access.Model(id), nil
	case access.ByEndpoint:
		return access.GatewayEndpoint(id), nil
	case access.BySecret:
		return access.GatewaySecret(id), nil
	case access.ByModelDef:
		return access.GatewayModelDefinition(id), nil
	case access.ByRun:
		return h.experimentOf(h.MLflow.RunExperiment(ctx, id))
	case access.ByLoggedModel:
		return h.experimentOf(h.MLflow.LoggedModelExperiment(ctx, id))
	case access.ByTrace:
		return h.experimentOf(h.MLflow.TraceExperiment(ctx, id))
	case access.ByLabelSchema:
		return h.experimentOf(h.MLflow.OwnerExperiment(ctx, mlflow.LabelSchema, id))
	case access.ByReviewQueue:
		return h.experimentOf(h.MLflow.OwnerExperiment(ctx, mlflow.ReviewQueue, id))
	case access.ByIssue:
		return h.experimentOf(h.MLflow.OwnerExperiment(ctx, mlflow.Issue, id))
	}
	return "", errRefused
}

// experimentOf turns a lookup into the experiment's element, passing
// MLflow's own error (an unknown run is its 404) through.
func (h handlers) experimentOf(exp string, resp *mlflow.Response, err error) (string, error) {
	if err != nil {
		return "", err
	}
	if resp != nil && !resp.OK() {
		return "", upstreamError{resp}
	}
	return access.Experiment(exp), nil
}

var errRefused = apierror.Forbidden("this MLflow endpoint is not available through ML Studio")

// upstreamError carries an MLflow error answer to pass through as it came.
type upstreamError struct{ resp *mlflow.Response }

func (upstreamError) Error() string { return "MLflow refused the call" }

// respondErr answers with MLflow's own error when err carries one.
func respondErr(c *gin.Context, err error) error {
	var ue upstreamError
	if errors.As(err, &ue) {
		return pass(c, ue.resp)
	}
	return err
}

// authorize names the element of a call by rule and requires op on it.
func (h handlers) authorize(c *gin.Context, p params, target access.Target, op string, ids ...string) error {
	element, err := h.element(c, access.Rule{Target: target, Op: op}, p, ids)
	if err != nil {
		return err
	}
	return h.Access.Require(c.Request.Context(), credential(c), element, op)
}

// simple is a seed endpoint that maps onto one MLflow endpoint (its key in
// access.Rules, which says the check): required parameters, the check, then
// pass-through.
func (h handlers) simple(method, path, endpoint string, required []string, optional ...string) route {
	upMethod, upPath, _ := strings.Cut(endpoint, " ")
	rule, ok := access.Rules[upMethod+" "+mlflow.API+upPath]
	if !ok || rule.Target == access.Special || rule.Target == access.Refused {
		panic("api: no plain rule for " + endpoint) // a programming error, caught by any test
	}
	fields := append(append([]string{}, required...), optional...)
	return route{method: method, path: path, handle: func(c *gin.Context) error {
		p, err := readParams(c)
		if err != nil {
			return err
		}
		if _, err := p.required(required...); err != nil {
			return err
		}
		if err := h.authorize(c, p, rule.Target, rule.Op); err != nil {
			return respondErr(c, err)
		}
		p = p.only(fields...)
		if err := h.stamp(c, upMethod+" "+mlflow.API+upPath, p); err != nil {
			return err
		}
		return h.forward(c, upMethod, upPath, p)
	}, required: required, fields: fields}
}
