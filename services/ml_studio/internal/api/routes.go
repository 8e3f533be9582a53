package api

import "net/http"

const (
	get   = http.MethodGet
	post  = http.MethodPost
	patch = http.MethodPatch
	del   = http.MethodDelete
)

func req(names ...string) []string { return names }

// routes is the seed's API table: method, path and parameters as the seed
// names them, and the MLflow endpoint doing the work, whose entry in
// access.Rules says the check (DESIGN.md, "How ml_studio maps a call to a check").
func (h handlers) routes() []route {
	return []route{
		// Experiments
		{method: post, path: "/experiments/create", handle: h.createExperiment},
		{method: post, path: "/experiments/search", handle: h.searchExperiments},
		h.simple(get, "/experiments/get", "GET /experiments/get", req("experiment_id")),
		{method: get, path: "/experiments/get-by-name", handle: h.experimentByName},
		h.simple(post, "/experiments/update", "POST /experiments/update", req("experiment_id", "new_name")),
		h.simple(post, "/experiments/delete", "POST /experiments/delete", req("experiment_id")),
		h.simple(post, "/experiments/restore", "POST /experiments/restore", req("experiment_id")),
		h.simple(post, "/experiments/set-tag", "POST /experiments/set-experiment-tag", req("experiment_id", "key", "value")),
		h.simple(post, "/experiments/delete-tag", "POST /experiments/delete-experiment-tag", req("experiment_id", "key")),

		// Runs
		{method: post, path: "/runs/search", handle: h.searchRuns},
		h.simple(get, "/runs/get", "GET /runs/get", req("run_id")),
		h.simple(post, "/runs/create", "POST /runs/create", req("experiment_id"), "user_id", "run_name", "start_time", "tags"),
		h.simple(post, "/runs/update", "POST /runs/update", req("run_id"), "status", "run_name", "end_time"),
		h.simple(post, "/runs/delete", "POST /runs/delete", req("run_id")),
		h.simple(post, "/runs/restore", "POST /runs/restore", req("run_id")),
		h.simple(post, "/runs/set-tag", "POST /runs/set-tag", req("run_id", "key", "value")),
		h.simple(post, "/runs/delete-tag", "POST /runs/delete-tag", req("run_id", "key")),
		h.simple(post, "/runs/log-metric", "POST /runs/log-metric", req("run_id", "key", "value", "timestamp"), "step"),
		h.simple(post, "/runs/log-parameter", "POST /runs/log-parameter", req("run_id", "key", "value")),
		h.simple(post, "/runs/log-batch", "POST /runs/log-batch", req("run_id"), "metrics", "params", "tags"),
		h.simple(get, "/metrics/get-history", "GET /metrics/get-history", req("run_id", "metric_key"), "page_token", "max_results"),

		// Registered models
		{method: post, path: "/models/create", handle: h.createModel},
		h.simple(get, "/models/get", "GET /registered-models/get", req("name")),
		{method: get, path: "/models/search", handle: h.searchModels},
		{method: post, path: "/models/rename", handle: h.renameModel},
		h.simple(patch, "/models/update", "PATCH /registered-models/update", req("name"), "description", "deployment_job_id"),
		{method: del, path: "/models/delete", handle: h.deleteModel},
		h.simple(post, "/models/set-tag", "POST /registered-models/set-tag", req("name", "key", "value")),
		h.simple(del, "/models/delete-tag", "DELETE /registered-models/delete-tag", req("name", "key")),
		h.simple(post, "/models/alias", "POST /registered-models/alias", req("name", "alias", "version")),
		h.simple(del, "/models/alias", "DELETE /registered-models/alias", req("name", "alias")),

		// Model versions: checked on their registered model
		h.simple(post, "/models/versions/latest", "POST /registered-models/get-latest-versions", req("name"), "stages"),
		{method: post, path: "/models/versions/create", handle: h.createVersion},
		h.simple(get, "/models/versions/get", "GET /model-versions/get", req("name", "version")),
		h.simple(get, "/models/versions/get-by-alias", "GET /registered-models/alias", req("name", "alias")),
		{method: get, path: "/models/versions/search", handle: h.searchVersions},
		h.simple(patch, "/models/versions/update", "PATCH /model-versions/update", req("name", "version"), "description"),
		{method: post, path: "/models/versions/transition", handle: h.transition},
		h.simple(get, "/models/versions/download-uri", "GET /model-versions/get-download-uri", req("name", "version")),
		h.simple(del, "/models/versions/delete", "DELETE /model-versions/delete", req("name", "version")),
		h.simple(post, "/models/versions/set-tag", "POST /model-versions/set-tag", req("name", "version", "key", "value")),
		h.simple(del, "/models/versions/delete-tag", "DELETE /model-versions/delete-tag", req("name", "version", "key")),

		// Artifacts of a run
		{method: get, path: "/artifacts/list", handle: h.listArtifacts},
		{method: get, path: "/artifacts/download", handle: h.downloadArtifact},
		{method: http.MethodPut, path: "/artifacts/upload", handle: h.uploadArtifact},
	}
}
