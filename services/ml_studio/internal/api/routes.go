package api

import "net/http"

const (
	get   = http.MethodGet
	post  = http.MethodPost
	patch = http.MethodPatch
	del   = http.MethodDelete

	read   = "read"
	edit   = "edit"
	manage = "manage"
)

func req(names ...string) []string { return names }

// routes is the seed's API table: method, path and parameters as the seed
// names them, the operation each needs (DESIGN.md, "How ml_studio maps a
// call to a check") and the MLflow call that does the work.
func (h handlers) routes() []route {
	return []route{
		// Experiments
		{post, "/experiments/create", h.createExperiment},
		{post, "/experiments/search", h.searchExperiments},
		h.simple(get, "/experiments/get", get, "/experiments/get", read, byExperiment, req("experiment_id")),
		{get, "/experiments/get-by-name", h.experimentByName},
		h.simple(post, "/experiments/update", post, "/experiments/update", edit, byExperiment, req("experiment_id", "new_name")),
		h.simple(post, "/experiments/delete", post, "/experiments/delete", manage, byExperiment, req("experiment_id")),
		h.simple(post, "/experiments/restore", post, "/experiments/restore", manage, byExperiment, req("experiment_id")),
		h.simple(post, "/experiments/set-tag", post, "/experiments/set-experiment-tag", edit, byExperiment, req("experiment_id", "key", "value")),
		h.simple(post, "/experiments/delete-tag", post, "/experiments/delete-experiment-tag", edit, byExperiment, req("experiment_id", "key")),

		// Runs
		{post, "/runs/search", h.searchRuns},
		h.simple(get, "/runs/get", get, "/runs/get", read, byRun, req("run_id")),
		{post, "/runs/create", h.createRun},
		h.simple(post, "/runs/update", post, "/runs/update", edit, byRun, req("run_id"), "status", "run_name", "end_time"),
		h.simple(post, "/runs/delete", post, "/runs/delete", edit, byRun, req("run_id")),
		h.simple(post, "/runs/restore", post, "/runs/restore", edit, byRun, req("run_id")),
		h.simple(post, "/runs/set-tag", post, "/runs/set-tag", edit, byRun, req("run_id", "key", "value")),
		h.simple(post, "/runs/delete-tag", post, "/runs/delete-tag", edit, byRun, req("run_id", "key")),
		h.simple(post, "/runs/log-metric", post, "/runs/log-metric", edit, byRun, req("run_id", "key", "value", "timestamp"), "step"),
		h.simple(post, "/runs/log-parameter", post, "/runs/log-parameter", edit, byRun, req("run_id", "key", "value")),
		h.simple(post, "/runs/log-batch", post, "/runs/log-batch", edit, byRun, req("run_id"), "metrics", "params", "tags"),
		h.simple(get, "/metrics/get-history", get, "/metrics/get-history", read, byRun, req("run_id", "metric_key"), "page_token", "max_results"),

		// Registered models
		{post, "/models/create", h.createModel},
		h.simple(get, "/models/get", get, "/registered-models/get", read, byModel, req("name")),
		{get, "/models/search", h.searchModels},
		{post, "/models/rename", h.renameModel},
		h.simple(patch, "/models/update", patch, "/registered-models/update", edit, byModel, req("name"), "description", "deployment_job_id"),
		h.simple(del, "/models/delete", del, "/registered-models/delete", manage, byModel, req("name")),
		h.simple(post, "/models/set-tag", post, "/registered-models/set-tag", edit, byModel, req("name", "key", "value")),
		h.simple(del, "/models/delete-tag", del, "/registered-models/delete-tag", edit, byModel, req("name", "key")),
		h.simple(post, "/models/alias", post, "/registered-models/alias", edit, byModel, req("name", "alias", "version")),
		h.simple(del, "/models/alias", del, "/registered-models/alias", edit, byModel, req("name", "alias")),

		// Model versions: checked on their registered model
		h.simple(post, "/models/versions/latest", post, "/registered-models/get-latest-versions", read, byModel, req("name"), "stages"),
		{post, "/models/versions/create", h.createVersion},
		h.simple(get, "/models/versions/get", get, "/model-versions/get", read, byModel, req("name", "version")),
		h.simple(get, "/models/versions/get-by-alias", get, "/registered-models/alias", read, byModel, req("name", "alias")),
		{get, "/models/versions/search", h.searchVersions},
		h.simple(patch, "/models/versions/update", patch, "/model-versions/update", edit, byModel, req("name", "version"), "description"),
		{post, "/models/versions/transition", h.transition},
		h.simple(get, "/models/versions/download-uri", get, "/model-versions/get-download-uri", read, byModel, req("name", "version")),
		h.simple(del, "/models/versions/delete", del, "/model-versions/delete", edit, byModel, req("name", "version")),
		h.simple(post, "/models/versions/set-tag", post, "/model-versions/set-tag", edit, byModel, req("name", "version", "key", "value")),
		h.simple(del, "/models/versions/delete-tag", del, "/model-versions/delete-tag", edit, byModel, req("name", "version", "key")),

		// Artifacts of a run
		{get, "/artifacts/list", h.listArtifacts},
		{get, "/artifacts/download", h.downloadArtifact},
		{http.MethodPut, "/artifacts/upload", h.uploadArtifact},
	}
}
