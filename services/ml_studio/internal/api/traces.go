package api

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflowapi"
)

// searchTraces is MLflow 3's trace search: its locations are cut down to
// the experiments the caller may read before MLflow searches, as runs/search
// does. With none left the answer is empty: MLflow must never be asked with
// no location.
func (h handlers) searchTraces(c *gin.Context) error {
	req, ok := c.Get(parsedRequest)
	if !ok {
		return errRefused
	}
	r := req.(*mlflowapi.Request)
	spec := mlflowapi.Pinned()
	locations, err := spec.Values(r, "locations")
	if err != nil {
		return err
	}
	if len(locations) == 0 {
		return apierror.Required("locations")
	}
	ids := make([]string, 0, len(locations))
	for _, loc := range locations {
		vals, err := spec.ValuesIn("mlflow.TraceLocation", loc, "mlflow_experiment.experiment_id")
		if err != nil {
			return err
		}
		id, _ := mlflowapi.Text(firstOf(vals))
		if len(vals) != 1 || id == "" {
			return badParam("locations", "experiment locations: {\"mlflow_experiment\": {\"experiment_id\": \"<id>\"}}")
		}
		ids = append(ids, id)
	}
	visible, err := h.readableOf(c, ids)
	if err != nil {
		return err
	}
	if len(visible) == 0 {
		c.JSON(http.StatusOK, gin.H{"traces": []any{}})
		return nil
	}
	type experiment struct {
		ID string `json:"experiment_id"`
	}
	type location struct {
		Type       string     `json:"type"`
		Experiment experiment `json:"mlflow_experiment"`
	}
	rebuilt := make([]location, len(visible))
	for i, id := range visible {
		rebuilt[i] = location{Type: "MLFLOW_EXPERIMENT", Experiment: experiment{ID: id}}
	}
	raw, err := json.Marshal(rebuilt)
	if err != nil {
		return err
	}
	p := params(r.Params).only("filter", "max_results", "order_by", "page_token")
	p["locations"] = json.RawMessage(raw)
	return h.forwardTo(c, http.MethodPost, r.Path(), p)
}

// searchTracesV2 is the deprecated GET /api/2.0/mlflow/traces: its
// experiment_ids are cut down to the readable ones, as runs/search does.
func (h handlers) searchTracesV2(c *gin.Context) error {
	return h.searchInReadableExperiments(c, get, "/traces", "traces", "filter", "max_results", "order_by", "page_token")
}

// listScorers lists the scorers of one experiment (read on it) or of
// several (only the readable ones are asked for). With neither, MLflow
// would list every experiment's: refused.
func (h handlers) listScorers(c *gin.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	one, err := p.str("experiment_id")
	if err != nil {
		return err
	}
	_, many := p["experiment_ids"]
	switch {
	case one != "" && many:
		return apierror.BadRequest("give 'experiment_id' or 'experiment_ids', not both")
	case one != "":
		if err := h.Access.Require(c.Request.Context(), credential(c), access.Experiment(one), access.Read); err != nil {
			return err
		}
		return h.forwardTo(c, http.MethodGet, "/api/3.0/mlflow/scorers/list", params{"experiment_id": one})
	case !many:
		return apierror.BadRequest("'experiment_id' or 'experiment_ids' is required")
	}
	visible, err := h.readableExperiments(c, p)
	if err != nil {
		return err
	}
	if len(visible) == 0 {
		c.JSON(http.StatusOK, gin.H{"scorers": []any{}})
		return nil
	}
	return h.forwardTo(c, http.MethodGet, "/api/3.0/mlflow/scorers/list", params{"experiment_ids": visible})
}

// onlineScoringConfigs answers MLflow's configurations of the scorer ids
// asked for, keeping those of experiments the caller may read (a scorer id
// says nothing of its experiment until MLflow answers).
func (h handlers) onlineScoringConfigs(c *gin.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	ids, err := stringList(p, "scorer_ids")
	if err != nil {
		return err
	}
	if len(ids) > 1000 {
		return badParam("scorer_ids", "at most 1000 ids")
	}
	resp, err := h.MLflow.Call(c.Request.Context(), http.MethodGet, "/api/3.0/mlflow/scorers/online-configs", url.Values{"scorer_ids": ids}, nil)
	if err != nil || !resp.OK() {
		return respondErr(c, orUpstream(resp, err))
	}
	var out struct {
		Configs []json.RawMessage `json:"configs"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		return apierror.BadGateway(err, "MLflow gave an unreadable answer")
	}
	exps := make([]string, len(out.Configs))
	for i, raw := range out.Configs {
		var cfg struct {
			ExperimentID string `json:"experiment_id"`
		}
		_ = json.Unmarshal(raw, &cfg)
		exps[i] = cfg.ExperimentID
	}
	visible, err := h.readableOf(c, exps)
	if err != nil {
		return err
	}
	readable := make(map[string]bool, len(visible))
	for _, id := range visible {
		readable[id] = true
	}
	kept := make([]json.RawMessage, 0, len(out.Configs))
	for i, raw := range out.Configs {
		if readable[exps[i]] {
			kept = append(kept, raw)
		}
	}
	c.JSON(http.StatusOK, gin.H{"configs": kept})
	return nil
}
