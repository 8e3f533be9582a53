package api

import (
	"errors"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
)

// target names the element a call touches from its parameters.
type target func(h handlers, c *gin.Context, p params) (element string, err error)

// byExperiment: experiment_id names the experiment.
func byExperiment(_ handlers, _ *gin.Context, p params) (string, error) {
	v, err := p.required("experiment_id")
	if err != nil {
		return "", err
	}
	return access.Experiment(v[0]), nil
}

// byRun: run_id names a run, checked on its experiment. An unknown run is
// MLflow's own 404, passed through.
func byRun(h handlers, c *gin.Context, p params) (string, error) {
	v, err := p.required("run_id")
	if err != nil {
		return "", err
	}
	exp, resp, err := h.MLflow.RunExperiment(c.Request.Context(), v[0])
	if err != nil {
		return "", err
	}
	if resp != nil && !resp.OK() {
		return "", upstreamError{resp}
	}
	return access.Experiment(exp), nil
}

// byModel: name names the registered model (and its versions).
func byModel(_ handlers, _ *gin.Context, p params) (string, error) {
	v, err := p.required("name")
	if err != nil {
		return "", err
	}
	return access.Model(v[0]), nil
}

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

// authorize names the element of a call and requires op on it.
func (h handlers) authorize(c *gin.Context, p params, on target, op string) error {
	element, err := on(h, c, p)
	if err != nil {
		return err
	}
	return h.Access.Require(c.Request.Context(), credential(c), element, op)
}

// simple is a seed endpoint that maps onto one MLflow call after one check:
// required parameters, the element and operation, then pass-through.
func (h handlers) simple(method, path, upMethod, upPath, op string, on target, required []string, optional ...string) route {
	fields := append(append([]string{}, required...), optional...)
	return route{method: method, path: path, handle: func(c *gin.Context) error {
		p, err := readParams(c)
		if err != nil {
			return err
		}
		if _, err := p.required(required...); err != nil {
			return err
		}
		if err := h.authorize(c, p, on, op); err != nil {
			return respondErr(c, err)
		}
		return h.forward(c, upMethod, upPath, p.only(fields...))
	}}
}
