package access

import "strings"

// Target says how a call names the element its check is about.
type Target int

// The zero Target refuses: an MLflow endpoint nobody mapped is denied.
const (
	Refused          Target = iota // never forwarded
	ByExperiment                   // the experiment_id parameter
	ByRun                          // run_id (or run_uuid) → the run's experiment
	ByModel                        // name → the registered model (its versions too)
	ByLoggedModel                  // the model_id in the path → its experiment
	ByArtifacts                    // an mlflow-artifacts path: <experiment id>/...
	ByRunList                      // run_ids: every one must pass
	ByTrace                        // a trace id (the path's, or trace_id / request_id) → its experiment
	ByTraceList                    // trace_ids: every trace must pass
	ByExperimentList               // experiment_ids: every one must pass
	ByDataset                      // an evaluation dataset → its experiments: read on any, other operations on all
	ByLabelSchema                  // schema_id → the label schema's experiment
	ByReviewQueue                  // queue_id → the review queue's experiment
	ByIssue                        // the path's issue id → the issue's experiment
	ByEndpoint                     // endpoint_id → the AI gateway endpoint
	BySecret                       // secret_id → the AI gateway secret
	ByModelDef                     // model_definition_id → the AI gateway model definition
	ByEndpointName                 // the endpoint an invocation names (path or body's model) → its id, through MLflow
	Special                        // a handler of its own: creates, searches, renames, lookups
	AdminOnly                      // manage on the component root
	SignedIn                       // any valid credential: what MLflow serves without login
	ByGraphQL                      // a GraphQL document: each root field by GraphQLFields
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

// Ref is a parameter naming further things the caller needs Op on: a
// dotted proto path (mlflowapi.Spec.Values), every value it reaches.
type Ref struct {
	Path   string
	Target Target // ByExperiment, ByRun, ByLoggedModel, ByTrace or ByModel
	Op     string
}

// Also are the other things an endpoint's call names, which the caller
// needs an operation on besides passing its rule: a run's model inputs and
// outputs and a logged model's source run (read: without it anyone could
// link another user's objects into false lineage), the experiments a
// dataset is added to (edit).
var Also = merged(gatewayAlso, map[string][]Ref{
	"POST /api/2.0/mlflow/runs/log-inputs":               {{"models.model_id", ByLoggedModel, Read}},
	"POST /api/2.0/mlflow/runs/outputs":                  {{"models.model_id", ByLoggedModel, Read}},
	"POST /api/2.0/mlflow/logged-models":                 {{"source_run_id", ByRun, Read}},
	"POST /api/2.0/mlflow/traces/link-to-run":            {{"trace_ids", ByTrace, Read}},
	"POST /api/2.0/mlflow/traces/link-prompts":           {{"prompt_versions.name", ByModel, Read}},
	"GET /api/3.0/mlflow/traces/batchGet":                {{"experiment_ids", ByExperiment, Read}},
	"POST /api/3.0/mlflow/traces/batchGetInfos":          {{"experiment_ids", ByExperiment, Read}},
	"POST /api/3.0/mlflow/datasets/{id}/add-experiments": {{"experiment_ids", ByExperiment, Edit}},
	"POST /api/3.0/mlflow/issues":                        {{"source_run_id", ByRun, Read}},
})

// Stamps are the fields of a call that say who did it. MLflow stores what
// the client sends (the stock client sends the local OS user as a run's
// user_id); ML Studio sets each to the caller's username instead, so who
// created a run, a dataset or an issue, or closed a review item, cannot be
// claimed for someone else.
var Stamps = merged(gatewayStamps, map[string][]Stamp{
	"POST /api/2.0/mlflow/runs/create":                      {{Field: "user_id"}},
	"POST /api/3.0/mlflow/datasets/create":                  {{Field: "created_by"}},
	"POST /api/3.0/mlflow/datasets/{id}/records":            {{Field: "updated_by"}},
	"POST /api/3.0/mlflow/issues":                           {{Field: "created_by"}},
	"PATCH /api/3.0/mlflow/issues/{id}":                     {{Field: "last_updated_by"}},
	"POST /api/3.0/mlflow/review-queues/create":             {{Field: "created_by"}},
	"POST /api/3.0/mlflow/review-queues/get-or-create-user": {{Field: "created_by"}},
	// an item reopened to PENDING has nobody who completed it
	"POST /api/3.0/mlflow/review-queues/items/set-status": {{Field: "completed_by", Unless: [2]string{"status", "PENDING"}}},
})

// Stamp is one field set to the caller's username.
type Stamp struct {
	Field  string
	Unless [2]string // a parameter and a value for which the field is left unset instead
}

// Params say where a rule's element is named when not by its target's
// usual parameter (experiment_id, run_id, name, the path's id).
var Params = map[string]string{
	"POST /api/3.0/mlflow/traces": "trace.trace_info.trace_location.mlflow_experiment.experiment_id",
}

// Rules is the one table of MLflow's REST endpoints (their /api/... path;
// an /ajax-api twin has its REST path's rule) and the check each needs;
// both the seed's /api routes and the MLflow-compatible gateway authorize
// through it. A path segment written {id} matches any one segment. It is
// never written after start. Every endpoint of the pinned server is either
// here or in Refusals (TestEveryEndpointIsMappedOrRefused). The AI
// gateway's rows are gatewayRules.
var Rules = merged(gatewayRules, map[string]Rule{
	// experiments
	"POST /api/2.0/mlflow/experiments/create":                {Special, Create},
	"POST /api/2.0/mlflow/experiments/search":                {Special, Read},
	"GET /api/2.0/mlflow/experiments/search":                 {Special, Read},
	"GET /api/2.0/mlflow/experiments/get":                    {ByExperiment, Read},
	"GET /api/2.0/mlflow/experiments/get-by-name":            {Special, Read},
	"POST /api/2.0/mlflow/experiments/update":                {ByExperiment, Edit},
	"POST /api/2.0/mlflow/experiments/delete":                {ByExperiment, Manage},
	"POST /api/2.0/mlflow/experiments/restore":               {ByExperiment, Manage},
	"POST /api/2.0/mlflow/experiments/set-experiment-tag":    {ByExperiment, Edit},
	"POST /api/2.0/mlflow/experiments/delete-experiment-tag": {ByExperiment, Edit},

	// runs and what is logged to them
	"POST /api/2.0/mlflow/runs/create":                      {ByExperiment, Edit},
	"GET /api/2.0/mlflow/runs/get":                          {ByRun, Read},
	"POST /api/2.0/mlflow/runs/search":                      {Special, Read},
	"POST /api/2.0/mlflow/runs/update":                      {ByRun, Edit},
	"POST /api/2.0/mlflow/runs/delete":                      {ByRun, Edit},
	"POST /api/2.0/mlflow/runs/restore":                     {ByRun, Edit},
	"POST /api/2.0/mlflow/runs/set-tag":                     {ByRun, Edit},
	"POST /api/2.0/mlflow/runs/delete-tag":                  {ByRun, Edit},
	"POST /api/2.0/mlflow/runs/log-metric":                  {ByRun, Edit},
	"POST /api/2.0/mlflow/runs/log-parameter":               {ByRun, Edit},
	"POST /api/2.0/mlflow/runs/log-batch":                   {ByRun, Edit},
	"POST /api/2.0/mlflow/runs/log-model":                   {ByRun, Edit},
	"POST /api/2.0/mlflow/runs/log-inputs":                  {ByRun, Edit},
	"POST /api/2.0/mlflow/runs/outputs":                     {ByRun, Edit},
	"GET /api/2.0/mlflow/metrics/get-history":               {ByRun, Read},
	"GET /api/2.0/mlflow/artifacts/list":                    {ByRun, Read},
	"GET /api/2.0/mlflow/metrics/get-history-bulk-interval": {ByRunList, Read},

	// logged models (MLflow 3 logs every model as one)
	"POST /api/2.0/mlflow/logged-models":                           {ByExperiment, Edit},
	"POST /api/2.0/mlflow/logged-models/search":                    {Special, Read},
	"GET /api/2.0/mlflow/logged-models/{id}":                       {ByLoggedModel, Read},
	"PATCH /api/2.0/mlflow/logged-models/{id}":                     {ByLoggedModel, Edit},
	"DELETE /api/2.0/mlflow/logged-models/{id}":                    {ByLoggedModel, Edit},
	"PATCH /api/2.0/mlflow/logged-models/{id}/tags":                {ByLoggedModel, Edit},
	"DELETE /api/2.0/mlflow/logged-models/{id}/tags/{id}":          {ByLoggedModel, Edit},
	"POST /api/2.0/mlflow/logged-models/{id}/params":               {ByLoggedModel, Edit},
	"GET /api/2.0/mlflow/logged-models/{id}/artifacts/directories": {ByLoggedModel, Read},

	// the model registry: versions are checked on their model
	"POST /api/2.0/mlflow/registered-models/create":              {Special, Create},
	"GET /api/2.0/mlflow/registered-models/get":                  {ByModel, Read},
	"GET /api/2.0/mlflow/registered-models/search":               {Special, Read},
	"POST /api/2.0/mlflow/registered-models/rename":              {Special, Manage},
	"PATCH /api/2.0/mlflow/registered-models/update":             {ByModel, Edit},
	"DELETE /api/2.0/mlflow/registered-models/delete":            {Special, Manage}, // its element goes too
	"POST /api/2.0/mlflow/registered-models/set-tag":             {ByModel, Edit},
	"DELETE /api/2.0/mlflow/registered-models/delete-tag":        {ByModel, Edit},
	"POST /api/2.0/mlflow/registered-models/alias":               {ByModel, Edit},
	"DELETE /api/2.0/mlflow/registered-models/alias":             {ByModel, Edit},
	"GET /api/2.0/mlflow/registered-models/alias":                {ByModel, Read},
	"POST /api/2.0/mlflow/registered-models/get-latest-versions": {ByModel, Read},
	"GET /api/2.0/mlflow/registered-models/get-latest-versions":  {ByModel, Read},
	"POST /api/2.0/mlflow/model-versions/create":                 {Special, Edit},
	"GET /api/2.0/mlflow/model-versions/get":                     {ByModel, Read},
	"GET /api/2.0/mlflow/model-versions/search":                  {Special, Read},
	"PATCH /api/2.0/mlflow/model-versions/update":                {ByModel, Edit},
	"POST /api/2.0/mlflow/model-versions/transition-stage":       {ByModel, Edit},
	"DELETE /api/2.0/mlflow/model-versions/delete":               {ByModel, Edit},
	"GET /api/2.0/mlflow/model-versions/get-download-uri":        {ByModel, Read},
	"POST /api/2.0/mlflow/model-versions/set-tag":                {ByModel, Edit},
	"DELETE /api/2.0/mlflow/model-versions/delete-tag":           {ByModel, Edit},

	// traces, v3 and v2, and their assessments: authorized through the
	// trace's experiment (a trace never moves to another)
	"POST /api/3.0/mlflow/traces":                              {ByExperiment, Edit},
	"GET /api/3.0/mlflow/traces/{id}":                          {ByTrace, Read},
	"GET /api/3.0/mlflow/traces/get":                           {ByTrace, Read},
	"GET /api/3.0/mlflow/traces/batchGet":                      {ByTraceList, Read},
	"POST /api/3.0/mlflow/traces/batchGetInfos":                {ByTraceList, Read},
	"POST /api/3.0/mlflow/traces/search":                       {Special, Read},
	"POST /api/3.0/mlflow/traces/metrics":                      {ByExperimentList, Read},
	"POST /api/3.0/mlflow/traces/calculate-filter-correlation": {ByExperimentList, Read},
	"PATCH /api/3.0/mlflow/traces/{id}/tags":                   {ByTrace, Edit},
	"DELETE /api/3.0/mlflow/traces/{id}/tags":                  {ByTrace, Edit},
	"POST /api/3.0/mlflow/traces/delete-traces":                {ByExperiment, Edit},
	"POST /api/3.0/mlflow/traces/{id}/assessments":             {ByTrace, Edit},
	"GET /api/3.0/mlflow/traces/{id}/assessments/{id}":         {ByTrace, Read},
	"PATCH /api/3.0/mlflow/traces/{id}/assessments/{id}":       {ByTrace, Edit},
	"DELETE /api/3.0/mlflow/traces/{id}/assessments/{id}":      {ByTrace, Edit},
	"GET /api/2.0/mlflow/traces":                               {Special, Read},
	"POST /api/2.0/mlflow/traces":                              {ByExperiment, Edit},
	"PATCH /api/2.0/mlflow/traces/{id}":                        {ByTrace, Edit},
	"GET /api/2.0/mlflow/traces/{id}/info":                     {ByTrace, Read},
	"PATCH /api/2.0/mlflow/traces/{id}/tags":                   {ByTrace, Edit},
	"DELETE /api/2.0/mlflow/traces/{id}/tags":                  {ByTrace, Edit},
	"POST /api/2.0/mlflow/traces/delete-traces":                {ByExperiment, Edit},
	"POST /api/2.0/mlflow/traces/link-to-run":                  {ByRun, Edit},
	"POST /api/2.0/mlflow/traces/link-prompts":                 {ByTrace, Edit},

	// how the server is set up, which MLflow serves even without login
	"GET /api/3.0/mlflow/server-info": {SignedIn, Read},

	// scorers live in an experiment
	"POST /api/3.0/mlflow/scorers/register":      {ByExperiment, Edit},
	"GET /api/3.0/mlflow/scorers/get":            {ByExperiment, Read},
	"GET /api/3.0/mlflow/scorers/versions":       {ByExperiment, Read},
	"DELETE /api/3.0/mlflow/scorers/delete":      {ByExperiment, Edit},
	"GET /api/3.0/mlflow/scorers/list":           {Special, Read},
	"PUT /api/3.0/mlflow/scorers/online-config":  {ByExperiment, Edit}, // a registered scorer's sampling
	"GET /api/3.0/mlflow/scorers/online-configs": {Special, Read},      // by scorer id: kept by experiment

	// evaluation datasets belong to experiments (any number of them)
	"POST /api/3.0/mlflow/datasets/create":                  {ByExperimentList, Edit},
	"GET /api/3.0/mlflow/datasets/search":                   {Special, Read},
	"POST /api/3.0/mlflow/datasets/search":                  {Special, Read},
	"GET /api/3.0/mlflow/datasets/{id}":                     {ByDataset, Read},
	"DELETE /api/3.0/mlflow/datasets/{id}":                  {ByDataset, Edit},
	"GET /api/3.0/mlflow/datasets/{id}/experiment-ids":      {ByDataset, Read},
	"GET /api/3.0/mlflow/datasets/{id}/records":             {ByDataset, Read},
	"POST /api/3.0/mlflow/datasets/{id}/records":            {ByDataset, Edit},
	"DELETE /api/3.0/mlflow/datasets/{id}/records":          {ByDataset, Edit},
	"PATCH /api/3.0/mlflow/datasets/{id}/tags":              {ByDataset, Edit},
	"DELETE /api/3.0/mlflow/datasets/{id}/tags/{id}":        {ByDataset, Edit},
	"POST /api/3.0/mlflow/datasets/{id}/add-experiments":    {ByDataset, Edit},
	"POST /api/3.0/mlflow/datasets/{id}/remove-experiments": {ByDataset, Edit},

	// labelling and triage live in one experiment for good: label schemas,
	// review queues (their items are trace or session ids, whose content
	// stays behind the traces' own checks) and issues
	"POST /api/3.0/mlflow/label-schemas/create":             {ByExperiment, Edit},
	"GET /api/3.0/mlflow/label-schemas/get":                 {ByLabelSchema, Read},
	"GET /api/3.0/mlflow/label-schemas/get-by-name":         {ByExperiment, Read},
	"GET /api/3.0/mlflow/label-schemas/list":                {ByExperiment, Read},
	"PATCH /api/3.0/mlflow/label-schemas/update":            {ByLabelSchema, Edit},
	"DELETE /api/3.0/mlflow/label-schemas/delete":           {ByLabelSchema, Edit},
	"POST /api/3.0/mlflow/review-queues/create":             {ByExperiment, Edit},
	"POST /api/3.0/mlflow/review-queues/get-or-create-user": {ByExperiment, Edit},
	"GET /api/3.0/mlflow/review-queues/get":                 {ByReviewQueue, Read},
	"GET /api/3.0/mlflow/review-queues/get-by-name":         {ByExperiment, Read},
	"GET /api/3.0/mlflow/review-queues/list":                {ByExperiment, Read},
	"POST /api/3.0/mlflow/review-queues/update":             {ByReviewQueue, Edit},
	"POST /api/3.0/mlflow/review-queues/delete":             {ByReviewQueue, Edit},
	"GET /api/3.0/mlflow/review-queues/items/list":          {ByReviewQueue, Read},
	"POST /api/3.0/mlflow/review-queues/items/add":          {ByReviewQueue, Edit},
	"POST /api/3.0/mlflow/review-queues/items/remove":       {ByReviewQueue, Edit},
	"POST /api/3.0/mlflow/review-queues/items/set-status":   {ByReviewQueue, Edit},
	"POST /api/3.0/mlflow/issues":                           {ByExperiment, Edit},
	"POST /api/3.0/mlflow/issues/search":                    {ByExperiment, Read}, // without one MLflow searches every experiment
	"GET /api/3.0/mlflow/issues/{id}":                       {ByIssue, Read},
	"PATCH /api/3.0/mlflow/issues/{id}":                     {ByIssue, Edit},

	// the artifact proxy: the path starts with the experiment id
	"GET /api/2.0/mlflow-artifacts/artifacts":            {ByArtifacts, Read}, // a listing: ?path=
	"GET /api/2.0/mlflow-artifacts/artifacts/{path}":     {ByArtifacts, Read},
	"PUT /api/2.0/mlflow-artifacts/artifacts/{path}":     {ByArtifacts, Edit},
	"DELETE /api/2.0/mlflow-artifacts/artifacts/{path}":  {ByArtifacts, Edit},
	"POST /api/2.0/mlflow-artifacts/mpu/create/{path}":   {ByArtifacts, Edit},
	"POST /api/2.0/mlflow-artifacts/mpu/complete/{path}": {ByArtifacts, Edit},
	"POST /api/2.0/mlflow-artifacts/mpu/abort/{path}":    {ByArtifacts, Edit},

	// GraphQL: the document's fields, each by GraphQLFields (a GET is
	// refused by its handler: MLflow reads the document from a JSON body)
	"POST /graphql": {ByGraphQL, Read},
	"GET /graphql":  {ByGraphQL, Read},

	// server-wide configuration: admins only
	"POST /api/2.0/mlflow/webhooks":           {AdminOnly, Manage},
	"GET /api/2.0/mlflow/webhooks":            {AdminOnly, Manage},
	"GET /api/2.0/mlflow/webhooks/{id}":       {AdminOnly, Manage},
	"PATCH /api/2.0/mlflow/webhooks/{id}":     {AdminOnly, Manage},
	"DELETE /api/2.0/mlflow/webhooks/{id}":    {AdminOnly, Manage},
	"POST /api/2.0/mlflow/webhooks/{id}/test": {AdminOnly, Manage},
})

// Refusal is a family of the pinned server's endpoints ML Studio refuses on
// purpose, with the reason its callers are told (README lists them).
type Refusal struct {
	Prefix string // a path prefix, REST spelling (/api/...)
	Reason string
}

// Refusals are matched in order; an endpoint neither in Rules nor here is
// refused too, but fails TestEveryEndpointIsMappedOrRefused.
var Refusals = []Refusal{
	{"/api/2.0/mlflow-artifacts/presigned/", "presigned artifact URLs would let their holder bypass ML Studio"},
	{"/api/2.0/mlflow/artifacts/presigned-", "presigned artifact URLs would let their holder bypass ML Studio"},
	{"/api/2.0/mlflow/unified-traces", "MLflow does not implement it (Databricks only)"},
	{"/api/2.0/mlflow/get-online-trace-details", "MLflow does not implement it (Databricks only)"},
	{"/api/2.0mlflow/experiments/search-datasets", "MLflow does not implement it (its own path is misspelt)"},
	{"/api/3.0/mlflow/scorer/invoke", "invoking a scorer runs its code on the MLflow server"},
	{"/api/3.0/mlflow/issues/invoke", "issue detection runs LLM judges with the server's provider credentials on the MLflow server"},
	{"/api/3.0/mlflow/issues/schedule", "issue detection runs LLM judges with the server's provider credentials on the MLflow server"},
	{"/api/3.0/mlflow/prompt-optimization", "a prompt optimization job runs registered scorers' code, and the prompts, datasets and AI gateway endpoints its free-form configuration names, on the MLflow server with nobody's identity"},
	{"/api/3.0/mlflow/genai", "evaluating from MLflow's UI runs scorers' code on the MLflow server"},
	{"/api/3.0/mlflow/jobs", "MLflow's background jobs are those of the evaluations, optimizations and issue detections refused above"},
	{"/api/3.0/mlflow/workspaces", "MLflow workspaces are not used: ML Studio's projects group experiments and models"},
	{"/api/3.0/mlflow/demo", "MLflow's demo data writes server-wide"},
}

// Match is what Lookup found for a call.
type Match struct {
	Key    string   // the Rules key, e.g. "GET /api/2.0/mlflow/logged-models/{id}"
	Rule   Rule     // the zero Rule (refused) when there is none
	IDs    []string // the values of {id} and {path}
	Reason string   // why it is refused, when it is on purpose
}

// Lookup finds the rule of an MLflow endpoint: its path as MLflow routes
// it, an /ajax-api twin looked up by its REST path. Unknown endpoints get
// the zero Rule, refused, with the reason of their refusal when it is on
// purpose.
func Lookup(method, path string) Match {
	path = RESTPath(path)
	if r, ok := Rules[method+" "+path]; ok {
		return Match{Key: method + " " + path, Rule: r}
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for key, r := range Rules {
		m, pattern, _ := strings.Cut(key, " ")
		if m != method || !strings.Contains(pattern, "{") {
			continue
		}
		if ids, ok := match(strings.Split(strings.Trim(pattern, "/"), "/"), segs); ok {
			return Match{Key: key, Rule: r, IDs: ids}
		}
	}
	for _, ref := range Refusals {
		if strings.HasPrefix(path, ref.Prefix) {
			return Match{Reason: ref.Reason}
		}
	}
	return Match{}
}

// RESTPath is the REST spelling of an /ajax-api path.
func RESTPath(path string) string {
	if rest, ok := strings.CutPrefix(path, "/ajax-api/"); ok {
		return "/api/" + rest
	}
	return path
}

// match matches path segments: {id} is one segment (or its start, before a
// fixed ending: {id}:generateContent), {path} (last) the rest.
func match(pattern, segs []string) ([]string, bool) {
	var ids []string
	for i, p := range pattern {
		if i >= len(segs) {
			return nil, false
		}
		switch {
		case p == "{path}" && i == len(pattern)-1:
			rest := strings.Join(segs[i:], "/")
			return append(ids, rest), rest != ""
		case p == "{id}" && segs[i] != "":
			ids = append(ids, segs[i])
		case strings.HasPrefix(p, "{id}") && len(p) > len("{id}"):
			id, ok := strings.CutSuffix(segs[i], p[len("{id}"):])
			if !ok || id == "" {
				return nil, false
			}
			ids = append(ids, id)
		case p != segs[i]:
			return nil, false
		}
	}
	return ids, len(pattern) == len(segs)
}
