package api

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
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
	p, err := readParams(c)
	if err != nil {
		return err
	}
	visible, err := h.readableExperiments(c, p)
	if err != nil {
		return err
	}
	if len(visible) == 0 {
		c.JSON(http.StatusOK, gin.H{"traces": []any{}})
		return nil
	}
	q := p.only("filter", "max_results", "order_by", "page_token")
	q["experiment_ids"] = visible
	return h.forwardTo(c, http.MethodGet, "/api/2.0/mlflow/traces", q)
}
