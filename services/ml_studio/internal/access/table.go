package access

import "strings"

// Target says how a call names the element its check is about.
type Target int

// The zero Target refuses: an MLflow endpoint nobody mapped is denied.
const (
	Refused       Target = iota // never forwarded
	ByExperiment                // the experiment_id parameter
	ByRun                       // run_id (or run_uuid) → the run's experiment
	ByModel                     // name → the registered model (its versions too)
	ByLoggedModel               // the model_id in the path → its experiment
	ByArtifacts                 // an mlflow-artifacts path: <experiment id>/...
	ByRunList                   // run_ids: every one must pass
	Special                     // a handler of its own: creates, searches, renames, lookups
	AdminOnly                   // manage on the component root
)

// Operations, weakest first; create stands apart.
const (
	Read   = "read"
	Edit   = "edit"
	Manage = "manage"
	Create = "create"
)

// Rule is the check one MLflow endpoint needs.
type Rule struct {
	Target Target
	Op     string
}

// Ref is one parameter naming something the caller must be able to read:
// Field, or when Item is set, Item of each element of the message list Field.
type Ref struct {
	Field, Item string
	Target      Target // ByRun or ByLoggedModel
}

// Reads are the other things an endpoint's call names, which the caller
// must be able to read besides passing its rule: a run's model inputs and
// outputs, a logged model's source run. Without them anyone could link
// another user's objects into false lineage.
var Reads = map[string][]Ref{
	"POST /runs/log-inputs": {{Field: "models", Item: "model_id", Target: ByLoggedModel}},
	"POST /runs/outputs":    {{Field: "models", Item: "model_id", Target: ByLoggedModel}},
	"POST /logged-models":   {{Field: "source_run_id", Target: ByRun}},
}

// Rules is the one table of MLflow's REST endpoints (relative to
// /api/2.0/mlflow, the same for the /ajax-api twins) and the check each
// needs; both the seed's /api routes and the MLflow-compatible gateway
// authorize through it. A path segment written {id} matches any one segment.
// It is never written after start.
var Rules = map[string]Rule{
	// experiments
	"POST /experiments/create":                {Special, Create},
	"POST /experiments/search":                {Special, Read},
	"GET /experiments/search":                 {Special, Read},
	"GET /experiments/get":                    {ByExperiment, Read},
	"GET /experiments/get-by-name":            {Special, Read},
	"POST /experiments/update":                {ByExperiment, Edit},
	"POST /experiments/delete":                {ByExperiment, Manage},
	"POST /experiments/restore":               {ByExperiment, Manage},
	"POST /experiments/set-experiment-tag":    {ByExperiment, Edit},
	"POST /experiments/delete-experiment-tag": {ByExperiment, Edit},

	// runs and what is logged to them
	"POST /runs/create":                      {ByExperiment, Edit},
	"GET /runs/get":                          {ByRun, Read},
	"POST /runs/search":                      {Special, Read},
	"POST /runs/update":                      {ByRun, Edit},
	"POST /runs/delete":                      {ByRun, Edit},
	"POST /runs/restore":                     {ByRun, Edit},
	"POST /runs/set-tag":                     {ByRun, Edit},
	"POST /runs/delete-tag":                  {ByRun, Edit},
	"POST /runs/log-metric":                  {ByRun, Edit},
	"POST /runs/log-parameter":               {ByRun, Edit},
	"POST /runs/log-batch":                   {ByRun, Edit},
	"POST /runs/log-model":                   {ByRun, Edit},
	"POST /runs/log-inputs":                  {ByRun, Edit},
	"POST /runs/outputs":                     {ByRun, Edit},
	"GET /metrics/get-history":               {ByRun, Read},
	"GET /artifacts/list":                    {ByRun, Read},
	"GET /metrics/get-history-bulk-interval": {ByRunList, Read},

	// logged models (MLflow 3 logs every model as one)
	"POST /logged-models":                           {ByExperiment, Edit},
	"POST /logged-models/search":                    {Special, Read},
	"GET /logged-models/{id}":                       {ByLoggedModel, Read},
	"PATCH /logged-models/{id}":                     {ByLoggedModel, Edit},
	"DELETE /logged-models/{id}":                    {ByLoggedModel, Edit},
	"PATCH /logged-models/{id}/tags":                {ByLoggedModel, Edit},
	"DELETE /logged-models/{id}/tags/{id}":          {ByLoggedModel, Edit},
	"POST /logged-models/{id}/params":               {ByLoggedModel, Edit},
	"GET /logged-models/{id}/artifacts/directories": {ByLoggedModel, Read},

	// the model registry: versions are checked on their model
	"POST /registered-models/create":              {Special, Create},
	"GET /registered-models/get":                  {ByModel, Read},
	"GET /registered-models/search":               {Special, Read},
	"POST /registered-models/rename":              {Special, Manage},
	"PATCH /registered-models/update":             {ByModel, Edit},
	"DELETE /registered-models/delete":            {Special, Manage}, // its element goes too
	"POST /registered-models/set-tag":             {ByModel, Edit},
	"DELETE /registered-models/delete-tag":        {ByModel, Edit},
	"POST /registered-models/alias":               {ByModel, Edit},
	"DELETE /registered-models/alias":             {ByModel, Edit},
	"GET /registered-models/alias":                {ByModel, Read},
	"POST /registered-models/get-latest-versions": {ByModel, Read},
	"GET /registered-models/get-latest-versions":  {ByModel, Read},
	"POST /model-versions/create":                 {Special, Edit},
	"GET /model-versions/get":                     {ByModel, Read},
	"GET /model-versions/search":                  {Special, Read},
	"PATCH /model-versions/update":                {ByModel, Edit},
	"POST /model-versions/transition-stage":       {ByModel, Edit},
	"DELETE /model-versions/delete":               {ByModel, Edit},
	"GET /model-versions/get-download-uri":        {ByModel, Read},
	"POST /model-versions/set-tag":                {ByModel, Edit},
	"DELETE /model-versions/delete-tag":           {ByModel, Edit},

	// server-wide configuration: admins only
	"POST /webhooks":           {AdminOnly, Manage},
	"GET /webhooks":            {AdminOnly, Manage},
	"GET /webhooks/{id}":       {AdminOnly, Manage},
	"PATCH /webhooks/{id}":     {AdminOnly, Manage},
	"DELETE /webhooks/{id}":    {AdminOnly, Manage},
	"POST /webhooks/{id}/test": {AdminOnly, Manage},
}

// Lookup finds the rule of an MLflow endpoint and the {id} segments it
// matched. Unknown endpoints get the zero Rule: refused.
func Lookup(method, path string) (Rule, []string) {
	if r, ok := Rules[method+" "+path]; ok {
		return r, nil
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for key, r := range Rules {
		m, pattern, _ := strings.Cut(key, " ")
		if m != method || !strings.Contains(pattern, "{id}") {
			continue
		}
		if ids, ok := match(strings.Split(strings.Trim(pattern, "/"), "/"), segs); ok {
			return r, ids
		}
	}
	return Rule{}, nil
}

func match(pattern, segs []string) ([]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var ids []string
	for i, p := range pattern {
		switch {
		case p == "{id}" && segs[i] != "":
			ids = append(ids, segs[i])
		case p != segs[i]:
			return nil, false
		}
	}
	return ids, true
}
