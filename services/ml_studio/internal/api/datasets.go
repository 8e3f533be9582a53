package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflowapi"
)

// requireDataset authorizes op on an evaluation dataset through the
// experiments it belongs to: reading needs read on any of them (it was
// shared with each, and adding it to one needs edit on all of them and on
// that one), every other operation needs op on all of them. A dataset in
// no experiment is the admins'.
func (h handlers) requireDataset(c *gin.Context, id, op string) error {
	if id == "" {
		return apierror.Required("dataset_id")
	}
	ctx, cred := c.Request.Context(), credential(c)
	exps, resp, err := h.MLflow.DatasetExperiments(ctx, id)
	if err != nil {
		return err
	}
	if resp != nil && !resp.OK() {
		return upstreamError{resp}
	}
	if len(exps) == 0 {
		return h.Access.Require(ctx, cred, access.Experiment(""), op) // only admins pass
	}
	if op != access.Read {
		for _, e := range exps {
			if err := h.Access.Require(ctx, cred, access.Experiment(e), op); err != nil {
				return err
			}
		}
		return nil
	}
	visible, err := h.readableOf(c, exps)
	if err != nil {
		return err
	}
	if len(visible) == 0 {
		return apierror.Forbidden("you do not have read access to this dataset")
	}
	return nil
}

// searchDatasets searches evaluation datasets in the experiments named that
// the caller may read; with none named (as get_dataset(name=…) asks), in
// every experiment the caller may read. With none readable the answer is
// empty: MLflow is never asked without experiments, which means all.
func (h handlers) searchDatasets(c *gin.Context) error {
	req, ok := c.Get(parsedRequest)
	if !ok {
		return errRefused
	}
	r := req.(*mlflowapi.Request)
	p, err := readParams(c)
	if err != nil {
		return err
	}
	var visible []string
	if _, named := p["experiment_ids"]; named {
		visible, err = h.readableExperiments(c, p)
	} else {
		visible, err = h.allReadableExperiments(c)
	}
	if err == errEverything {
		return h.forwardTo(c, c.Request.Method, r.Path(), p.only("filter_string", "max_results", "order_by", "page_token"))
	}
	if err != nil {
		return err
	}
	if len(visible) == 0 {
		c.JSON(http.StatusOK, gin.H{"datasets": []any{}})
		return nil
	}
	q := p.only("filter_string", "max_results", "order_by", "page_token")
	q["experiment_ids"] = visible
	return h.forwardTo(c, c.Request.Method, r.Path(), q)
}

// errEverything says the caller may read every experiment (an admin).
var errEverything = errors.New("every experiment is readable")

// allReadableExperiments lists the experiment ids the caller may read, at
// most 1,000; errEverything when that is every experiment.
func (h handlers) allReadableExperiments(c *gin.Context) ([]string, error) {
	set, err := h.Access.Readable(c.Request.Context(), credential(c), "experiment")
	if err != nil {
		return nil, err
	}
	if set.Everything() {
		return nil, errEverything
	}
	elements, listed := set.Listed()
	if !listed || len(elements) > 1000 {
		return nil, badParam("experiment_ids", "named: you may read too many experiments to search them all")
	}
	ids := make([]string, 0, len(elements))
	for _, e := range elements {
		if id, ok := strings.CutPrefix(e, "experiment:"); ok && id != "" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}
