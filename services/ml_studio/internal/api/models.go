package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflowapi"
)

// createModel needs create on the project; the model is then registered in
// cerberus with the caller as creator, or deleted again if that fails.
func (h handlers) createModel(c *gin.Context) error {
	return h.createInProject(c, "/registered-models/create", []string{"name", "tags", "description"},
		func(_ *mlflow.Response, name string) (string, func(context.Context), error) {
			return access.Model(name), func(ctx context.Context) {
				h.undo(ctx, del, "/registered-models/delete", params{"name": name})
			}, nil
		})
}

// renameModel needs manage; cerberus renames the element too, so access
// follows the model. If cerberus refuses, MLflow's rename is undone.
func (h handlers) renameModel(c *gin.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	v, err := p.required("name", "new_name")
	if err != nil {
		return err
	}
	if err := h.authorize(c, p, access.ByModel, access.Manage); err != nil {
		return err
	}
	// Cerberus first: it refuses a name whose element exists (someone
	// else's grants), and should undoing fail after MLflow refused, the
	// model is left without an element, which no one but an admin may use
	// — where the other order could leave it under an element with other
	// people's grants.
	ctx, cred := c.Request.Context(), credential(c)
	from, to := access.Model(v[0]), access.Model(v[1])
	if err := h.Registry.Rename(ctx, cred, from, to); err != nil {
		return err
	}
	resp, err := h.call(ctx, post, "/registered-models/rename", p.only("name", "new_name"))
	if err != nil || !resp.OK() {
		if undoErr := h.Registry.Rename(context.WithoutCancel(ctx), cred, to, from); undoErr != nil {
			_ = c.Error(fmt.Errorf("undo the rename of %s after MLflow refused it: %w", from, undoErr))
		}
		return respondErr(c, orUpstream(resp, err))
	}
	return pass(c, resp)
}

// deleteModel needs manage. MLflow deletes a model for good, so its element
// goes too and the name can be registered again; the grants go with it.
func (h handlers) deleteModel(c *gin.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	v, err := p.required("name")
	if err != nil {
		return err
	}
	if err := h.authorize(c, p, access.ByModel, access.Manage); err != nil {
		return err
	}
	ctx := c.Request.Context()
	resp, err := h.call(ctx, del, "/registered-models/delete", p.only("name"))
	if err != nil || !resp.OK() {
		return respondErr(c, orUpstream(resp, err))
	}
	if err := h.Registry.Unregister(context.WithoutCancel(ctx), credential(c), access.Model(v[0])); err != nil {
		// The model is gone and cannot come back: answer MLflow's success and
		// leave the stale element (it only blocks reusing the name) in the log.
		_ = c.Error(err)
	}
	return pass(c, resp)
}

// searchModels returns only models the caller may read, in full pages.
func (h handlers) searchModels(c *gin.Context) error {
	return h.filteredSearch(c, search{
		upMethod: get, upPath: "/registered-models/search", kind: "registered_model", listKey: "registered_models",
		fields: []string{"filter", "order_by"}, maxResults: 1000, defaultMax: 100, element: modelOf, narrow: namedModels,
	})
}

// searchVersions returns only versions of models the caller may read.
func (h handlers) searchVersions(c *gin.Context) error {
	return h.filteredSearch(c, search{
		upMethod: get, upPath: "/model-versions/search", kind: "registered_model", listKey: "model_versions",
		fields: []string{"filter", "order_by"}, maxResults: 10_000, defaultMax: 200, element: modelOf, narrow: namedModels,
	})
}

// namedModels is the filter clause naming the models of elements, or ""
// when a name cannot be written safely inside MLflow's quotes.
func namedModels(elements []string) string {
	names := make([]string, 0, len(elements))
	for _, e := range elements {
		name, ok := strings.CutPrefix(e, "registered_model:")
		if !ok || strings.ContainsFunc(name, func(r rune) bool { return r == '\'' || r == '\\' || r == '"' || unicode.IsControl(r) }) {
			return ""
		}
		names = append(names, name)
	}
	return inFilter("name", names)
}

func modelOf(item json.RawMessage) string {
	var m struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(item, &m)
	return access.Model(m.Name)
}

// createVersion needs edit on the model and read on everything the new
// version takes its artifacts and lineage from: the run (run_id, runs:/),
// the logged model (model_id, models:/<id>) and the registered model of a
// models:/<name>/<version> or models:/<name>@<alias> source, whose version
// MLflow copies. Any other source must lie inside the run's or logged
// model's own artifacts; what ml_studio cannot resolve is refused.
func (h handlers) createVersion(c *gin.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	v, err := p.required("name", "source")
	if err != nil {
		return err
	}
	if err := h.authorize(c, p, access.ByModel, access.Edit); err != nil {
		return err
	}
	runID, err := p.str("run_id")
	if err != nil {
		return err
	}
	modelID, err := p.str("model_id")
	if err != nil {
		return err
	}
	if runID != "" {
		if err := h.authorize(c, p, access.ByRun, access.Read); err != nil {
			return respondErr(c, err)
		}
	}
	if modelID != "" {
		if err := h.authorize(c, p, access.ByLoggedModel, access.Read, modelID); err != nil {
			return respondErr(c, err)
		}
	}
	if err := h.authorizeSource(c, v[1], runID, modelID); err != nil {
		return respondErr(c, err)
	}
	return h.forward(c, post, "/model-versions/create", p.only("name", "source", "run_id", "model_id", "tags", "run_link", "description"))
}

// authorizeSource requires read on what a version's source names (see
// createVersion); runID and modelID are already checked.
func (h handlers) authorizeSource(c *gin.Context, source, runID, modelID string) error {
	src, err := mlflowapi.ParseSource(source)
	if err != nil {
		return err
	}
	switch src.Kind {
	case mlflowapi.SourcePlaceholder:
		return nil
	case mlflowapi.SourceRegisteredModel:
		return h.Access.Require(c.Request.Context(), credential(c), access.Model(src.Name), access.Read)
	case mlflowapi.SourceLoggedModel:
		return h.authorize(c, nil, access.ByLoggedModel, access.Read, src.Name)
	case mlflowapi.SourceRun:
		return h.authorize(c, params{"run_id": src.Name}, access.ByRun, access.Read)
	}
	ctx := c.Request.Context()
	roots := make([]string, 0, 2)
	if runID != "" {
		run, resp, err := h.MLflow.GetRun(ctx, runID)
		if err != nil || !resp.OK() {
			return orUpstream(resp, err)
		}
		roots = append(roots, run.ArtifactURI)
	}
	if modelID != "" {
		m, resp, err := h.MLflow.GetLoggedModel(ctx, modelID)
		if err != nil || !resp.OK() {
			return orUpstream(resp, err)
		}
		roots = append(roots, m.ArtifactLocation)
	}
	for _, root := range roots {
		if mlflowapi.WithinRoot(source, root) {
			return nil
		}
	}
	return badParam("source", "models:/…, runs:/… or a location inside the artifacts of the run_id or model_id given")
}

// transition moves a version to a stage; archive_existing_versions defaults to false.
func (h handlers) transition(c *gin.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	if _, err := p.required("name", "version", "stage"); err != nil {
		return err
	}
	if err := h.authorize(c, p, access.ByModel, access.Edit); err != nil {
		return err
	}
	body := p.only("name", "version", "stage", "archive_existing_versions")
	if _, ok := body["archive_existing_versions"]; !ok {
		body["archive_existing_versions"] = false
	}
	return h.forward(c, post, "/model-versions/transition-stage", body)
}
