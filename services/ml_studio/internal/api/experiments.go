package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
)

// project is where a new experiment or model goes: the project parameter,
// or the default project.
func (h handlers) project(p params) (string, error) {
	key, err := p.str("project")
	if err != nil {
		return "", err
	}
	key = strings.TrimSpace(key)
	if key == "" {
		key = h.DefaultProject
	}
	if len(key) > 200 || strings.ContainsAny(key, "\x00\n\r") {
		return "", badParam("project", "a project key of at most 200 characters")
	}
	return access.Project(key), nil
}

// createExperiment needs create on the project; the new experiment is then
// registered in cerberus with the caller as creator, or deleted again.
//
// A caller-chosen artifact_location is refused: it could point inside
// another experiment's artifacts, where the caller's runs would then write.
// MLflow places each experiment's artifacts under its own id.
func (h handlers) createExperiment(c *gin.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	if loc, err := p.str("artifact_location"); err != nil || loc != "" {
		return badParam("artifact_location", "left out: ML Studio keeps each experiment's artifacts in its own place")
	}
	return h.createInProject(c, "/experiments/create", []string{"name", "tags"},
		func(resp *mlflow.Response, _ string) (string, func(context.Context), error) {
			var created struct {
				ID string `json:"experiment_id"`
			}
			if err := json.Unmarshal(resp.Body, &created); err != nil || created.ID == "" {
				return "", nil, apierror.BadGateway(err, "MLflow gave an unreadable answer")
			}
			return access.Experiment(created.ID), func(ctx context.Context) {
				// MLflow only marks an experiment deleted and it keeps its
				// name, so it is renamed first: the caller may create that
				// name again.
				h.undo(ctx, post, "/experiments/update", params{"experiment_id": created.ID, "new_name": "ml_studio-failed-create-" + created.ID})
				h.undo(ctx, post, "/experiments/delete", params{"experiment_id": created.ID})
			}, nil
		})
}

// madeFn reads what MLflow created: the element to register for it, and how
// to take it back if cerberus refuses.
type madeFn func(resp *mlflow.Response, name string) (element string, undo func(context.Context), err error)

// createInProject is the flow of every create: create on the project, the
// MLflow call, then registration in cerberus with the caller as creator —
// undone in MLflow if that fails, so nothing is left half-made.
func (h handlers) createInProject(c *gin.Context, upPath string, fields []string, made madeFn) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	name, err := p.required("name")
	if err != nil {
		return err
	}
	project, err := h.project(p)
	if err != nil {
		return err
	}
	ctx, cred := c.Request.Context(), credential(c)
	if err := h.Access.Require(ctx, cred, project, access.Create); err != nil {
		return err
	}
	resp, err := h.call(ctx, post, upPath, p.only(fields...))
	if err != nil || !resp.OK() {
		return respondErr(c, orUpstream(resp, err))
	}
	element, undo, err := made(resp, name[0])
	if err != nil {
		return err
	}
	if err := h.Registry.Register(ctx, cred, element, project); err != nil {
		undo(ctx)
		return err
	}
	h.Access.Forget(cred, element) // a refusal remembered from before it existed
	return pass(c, resp)
}

// undo reverses an MLflow change after a later step failed; it outlives
// the request's cancellation.
func (h handlers) undo(ctx context.Context, method, path string, p params) {
	_, _ = h.call(context.WithoutCancel(ctx), method, path, p)
}

// orUpstream turns a non-2xx MLflow answer into an error that passes it through.
func orUpstream(resp *mlflow.Response, err error) error {
	if err != nil {
		return err
	}
	return upstreamError{resp}
}

// experimentByName looks the experiment up, then requires read on it.
func (h handlers) experimentByName(c *gin.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	if _, err := p.required("experiment_name"); err != nil {
		return err
	}
	resp, err := h.call(c.Request.Context(), get, "/experiments/get-by-name", p.only("experiment_name"))
	if err != nil || !resp.OK() {
		return respondErr(c, orUpstream(resp, err))
	}
	var out struct {
		Experiment struct {
			ID string `json:"experiment_id"`
		} `json:"experiment"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil || out.Experiment.ID == "" {
		return apierror.BadGateway(err, "MLflow gave an unreadable answer")
	}
	if err := h.Access.Require(c.Request.Context(), credential(c), access.Experiment(out.Experiment.ID), access.Read); err != nil {
		return err
	}
	return pass(c, resp)
}

// searchExperiments returns only experiments the caller may read, in full pages.
func (h handlers) searchExperiments(c *gin.Context) error {
	return h.filteredSearch(c, search{
		upMethod: post, upPath: "/experiments/search", kind: "experiment", listKey: "experiments",
		fields: []string{"filter", "view_type", "order_by"}, maxResults: 50_000, defaultMax: 1000,
		element: func(item json.RawMessage) string {
			var e struct {
				ID string `json:"experiment_id"`
			}
			_ = json.Unmarshal(item, &e)
			return access.Experiment(e.ID)
		},
		narrow: func(elements []string) string {
			ids := make([]string, 0, len(elements))
			for _, e := range elements {
				// only canonical decimal ids name an experiment: nothing to quote
				if id := strings.TrimPrefix(e, "experiment:"); access.Experiment(id) == e {
					ids = append(ids, id)
				}
			}
			return inFilter("attribute.experiment_id", ids)
		},
	})
}

// searchRuns keeps only the experiments the caller may read, then lets
// MLflow search them: its pages are full and its page tokens valid as they are.
func (h handlers) searchRuns(c *gin.Context) error {
	return h.searchInReadableExperiments(c, post, "/runs/search", "runs",
		"filter", "max_results", "order_by", "page_token", "run_view_type")
}

// searchInReadableExperiments is a search over experiment_ids (runs, logged
// models, v2 traces): unreadable experiments are dropped before MLflow
// searches, and with none left MLflow is not asked.
func (h handlers) searchInReadableExperiments(c *gin.Context, method, upPath, listKey string, fields ...string) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	visible, err := h.readableExperiments(c, p)
	if err != nil {
		return err
	}
	if len(visible) == 0 {
		c.JSON(http.StatusOK, gin.H{listKey: []any{}})
		return nil
	}
	body := p.only(fields...)
	body["experiment_ids"] = visible
	return h.forward(c, method, upPath, body)
}

// readableExperiments is the experiment_ids parameter less the experiments
// the caller may not read, decided in one call to cerberus.
func (h handlers) readableExperiments(c *gin.Context, p params) ([]string, error) {
	ids, err := stringList(p, "experiment_ids")
	if err != nil {
		return nil, err
	}
	return h.readableOf(c, ids)
}

// readableOf is ids less the experiments the caller may not read.
func (h handlers) readableOf(c *gin.Context, ids []string) ([]string, error) {
	if len(ids) > 1000 {
		return nil, badParam("experiment_ids", "at most 1000 experiment ids")
	}
	elements := make([]string, len(ids))
	for i, id := range ids {
		elements[i] = access.Experiment(id)
	}
	allowed, err := h.Access.Allowed(c.Request.Context(), credential(c), elements, access.Read)
	if err != nil {
		return nil, err
	}
	visible := make([]string, 0, len(ids))
	for i, id := range ids {
		if allowed[elements[i]] {
			visible = append(visible, id)
		}
	}
	return visible, nil
}

// stringList reads a required list of strings (a JSON array, or repeated
// or comma-separated query values).
func stringList(p params, name string) ([]string, error) {
	var out []string
	switch v := p[name].(type) {
	case nil:
	case string:
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	case []string:
		out = v
	case json.RawMessage: // a body field of the MLflow surface
		var list []any
		if err := json.Unmarshal(v, &list); err != nil {
			return nil, badParam(name, "a list of ids")
		}
		return stringList(params{name: list}, name)
	case []any:
		for _, item := range v {
			s, err := params{name: item}.str(name)
			if err != nil || s == "" {
				return nil, badParam(name, "a list of ids")
			}
			out = append(out, s)
		}
	default:
		return nil, badParam(name, "a list of ids")
	}
	if len(out) == 0 {
		return nil, apierror.Required(name)
	}
	return out, nil
}
