package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
)

// The MLflow UI's own GraphQL queries (mlflow/server/js), as it sends them.
const (
	uiGetRun = `query GetRun($data: MlflowGetRunInput!) @component(name: "MLflow.ExperimentRunTracking") {
  mlflowGetRun(input: $data) {
    apiError { helpUrl code message }
    run {
      info { runName status runUuid experimentId artifactUri endTime lifecycleStage startTime userId }
      experiment { experimentId name tags { key value } artifactLocation lifecycleStage lastUpdateTime }
      modelVersions { status version name source }
      data { metrics { key value step timestamp } params { key value } tags { key value } }
      inputs { datasetInputs { dataset { digest name profile schema source sourceType } tags { key value } } modelInputs { modelId } }
      outputs { modelOutputs { modelId step } }
    }
  }
}`
	uiSearchRuns = `query SearchRuns($data: MlflowSearchRunsInput!) {
  mlflowSearchRuns(input: $data) {
    apiError { helpUrl code message }
    runs {
      info { runName status runUuid experimentId }
      experiment { experimentId name }
      data { metrics { key value step timestamp } params { key value } tags { key value } }
      modelVersions { version name creationTimestamp status source }
    }
  }
}`
	uiGetExperiment = `query MlflowGetExperimentQuery($input: MlflowGetExperimentInput!) @component(name: "MLflow.ExperimentRunTracking") {
  mlflowGetExperiment(input: $input) {
    apiError { code message }
    experiment { artifactLocation creationTime experimentId lastUpdateTime lifecycleStage name tags { key value } }
  }
}`
	uiMetricHistory = `query GetMetricHistoryBulkInterval($data: MlflowGetMetricHistoryBulkIntervalInput!) @component(name: "MLflow.ExperimentRunTracking") {
  mlflowGetMetricHistoryBulkInterval(input: $data) {
    __typename
    metrics { timestamp step runId key value }
    apiError { code message }
  }
}`
)

// graphQL sends a GraphQL call through ml_studio as u.
func graphQL(t *testing.T, c *cast, u *apitest.User, query string, variables map[string]any, opName string) *apitest.Response {
	t.Helper()
	body := map[string]any{"query": query}
	if variables != nil {
		body["variables"] = variables
	}
	if opName != "" {
		body["operationName"] = opName
	}
	return gatewayCall{"", post, "/graphql", body}.send(t, c, u)
}

// gqlAnswer is MLflow's GraphQL answer: data, and errors as messages.
type gqlAnswer struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []string                   `json:"errors"`
}

func mustGraphQL(t *testing.T, r *apitest.Response) gqlAnswer {
	t.Helper()
	var a gqlAnswer
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &a) != nil || len(a.Errors) > 0 || a.Data == nil {
		t.Fatalf("GraphQL: %s", r)
	}
	return a
}

// TestGraphQLThroughStudio: the MLflow UI's GraphQL queries, sent through
// ml_studio against the real MLflow, show alice her own run, experiment,
// metrics, artifacts and model versions; bob, who has objects of his own
// and no grant on alice's, gets nothing of hers through any spelling:
// variables, literals, aliases, fragments, operationName, runUuid,
// searches naming her experiments, or her model under his run.
func TestGraphQLThroughStudio(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	alice := c.user(creator)
	fx := newFixture(t, c)
	bobUser := c.st.NewUser(t, "gql-bob")
	c.st.Grant(t, "project:default", "create", bobUser)
	bob := newFixtureBy(t, c, bobUser)

	t.Run("alice reads her run with the UI's query", func(t *testing.T) {
		a := mustGraphQL(t, graphQL(t, c, alice, uiGetRun, map[string]any{"data": map[string]any{"runId": fx.RunID}}, "GetRun"))
		body := string(a.Data["mlflowGetRun"])
		for _, want := range append([]string{fx.RunName, fx.ExpName, `"name":"` + fx.Model + `"`, fx.MetricText}, fx.secrets[3:5]...) {
			if !strings.Contains(body, want) {
				t.Errorf("her run lacks %q: %s", want, body)
			}
		}
		if strings.Contains(body, "_mlStudio") {
			t.Errorf("ml_studio's own field is left in the answer: %s", body)
		}
	})
	t.Run("alice's experiment, run search, metric history and artifacts", func(t *testing.T) {
		a := mustGraphQL(t, graphQL(t, c, alice, uiGetExperiment, map[string]any{"input": map[string]any{"experimentId": fx.ExpID}}, ""))
		mustContain(t, &apitest.Response{Body: a.Data["mlflowGetExperiment"]}, fx.ExpName)
		a = mustGraphQL(t, graphQL(t, c, alice, uiSearchRuns, map[string]any{"data": map[string]any{"experimentIds": []string{fx.ExpID, bob.ExpID}}}, ""))
		runs := string(a.Data["mlflowSearchRuns"])
		if !strings.Contains(runs, fx.RunID) || strings.Contains(runs, bob.RunID) {
			t.Errorf("her search of her and bob's experiments: %s", runs)
		}
		a = mustGraphQL(t, graphQL(t, c, alice, uiMetricHistory, map[string]any{"data": map[string]any{"runIds": []string{fx.RunID}, "metricKey": metricKey}}, ""))
		mustContain(t, &apitest.Response{Body: a.Data["mlflowGetMetricHistoryBulkInterval"]}, fx.MetricText)
		a = mustGraphQL(t, graphQL(t, c, alice, `{ mlflowListArtifacts(input: {runUuid: "`+fx.RunID+`"}) { files { path isDir } } }`, nil, ""))
		mustContain(t, &apitest.Response{Body: a.Data["mlflowListArtifacts"]}, artifactDir)
		a = mustGraphQL(t, graphQL(t, c, alice, `{ mlflowSearchModelVersions(input: {filter: "name = '`+fx.Model+`'"}) { modelVersions { name version } } }`, nil, ""))
		mustContain(t, &apitest.Response{Body: a.Data["mlflowSearchModelVersions"]}, fx.Model)
	})

	// Every spelling bob may try of alice's run, experiment and model.
	run, exp := fx.RunID, fx.ExpID
	denied := []struct {
		name, query string
		vars        map[string]any
		opName      string
	}{ // each a 403, but two names of one run, which are a 400
		{"the UI's query", uiGetRun, map[string]any{"data": map[string]any{"runId": run}}, ""},
		{"runUuid", uiGetRun, map[string]any{"data": map[string]any{"runUuid": run}}, ""},
		{"an empty runId and her runUuid", uiGetRun, map[string]any{"data": map[string]any{"runId": "", "runUuid": run}}, ""},
		{"his runId and her runUuid", uiGetRun, map[string]any{"data": map[string]any{"runId": bob.RunID, "runUuid": run}}, ""},
		{"a literal behind an alias", `{ mine: mlflowGetRun(input: {runId: "` + bob.RunID + `"}) { run { info { runId } } } hers: mlflowGetRun(input: {runId: "` + run + `"}) { run { data { params { value } } } } }`, nil, ""},
		{"a named fragment", `{ ...F } fragment F on Query { mlflowGetRun(input: {runId: "` + run + `"}) { run { data { params { value } } } } }`, nil, ""},
		{"an inline fragment", `query($r: String) { ... on Query { ... { mlflowListArtifacts(input: {runId: $r}) { files { path } } } } }`, map[string]any{"r": run}, ""},
		{"the other operation", `query Mine { test(inputString: "x") { output } } query Hers($r: String) { mlflowGetRun(input: {runId: $r}) { run { info { runName } } } }`, map[string]any{"r": run}, "Hers"},
		{"her experiment", uiGetExperiment, map[string]any{"input": map[string]any{"experimentId": exp}}, ""},
		{"her experiment spelt 0<id>", uiGetExperiment, map[string]any{"input": map[string]any{"experimentId": "0" + exp}}, ""},
		{"her metric history", uiMetricHistory, map[string]any{"data": map[string]any{"runIds": []string{bob.RunID, run}, "metricKey": metricKey}}, ""},
		{"a search of her experiment only", uiSearchRuns, map[string]any{"data": map[string]any{"experimentIds": []string{exp}}}, ""},
		{"a dataset search of her experiment only", `mutation { mlflowSearchDatasets(input: {experimentIds: ["` + exp + `"]}) { datasetSummaries { name } } }`, nil, ""},
	}
	for _, d := range denied {
		t.Run("bob: "+d.name, func(t *testing.T) {
			want := http.StatusForbidden
			if strings.HasPrefix(d.name, "his runId") {
				want = http.StatusBadRequest
			}
			r := graphQL(t, c, bobUser, d.query, d.vars, d.opName)
			requireMLflowRefusal(t, r, want, fx.secrets...)
		})
	}
	t.Run("bob: searches show him his own, nothing of hers", func(t *testing.T) {
		for _, q := range []struct {
			query string
			vars  map[string]any
			want  string
		}{
			{uiSearchRuns, map[string]any{"data": map[string]any{"experimentIds": []string{exp, bob.ExpID}}}, bob.RunID},
			{`mutation($e: [String]) { mlflowSearchRuns(input: {experimentIds: $e}) { runs { info { runId } data { params { value } } } } }`, map[string]any{"e": []string{exp, bob.ExpID}}, bob.RunID},
			{`{ mlflowSearchModelVersions(input: {filter: "name LIKE 'it-matrix-model-%'"}) { modelVersions { name runId } } }`, nil, bob.Model},
			{`{ mlflowSearchModelVersions(input: {filter: "run_id = '` + run + `'"}) { modelVersions { name } } }`, nil, `"modelVersions":[]`},
		} {
			r := graphQL(t, c, bobUser, q.query, q.vars, "")
			mustGraphQL(t, r)
			mustContain(t, r, q.want)
			for _, s := range append([]string{fx.RunID, fx.Model}, fx.secrets...) {
				if strings.Contains(string(r.Body), s) {
					t.Errorf("%s shows alice's %q: %s", q.query, s, r)
				}
			}
		}
	})

	// carol may read bob's experiment and registers a model of her own from
	// his run: bob's own run then lists a version of carol's model, which
	// he may not read.
	t.Run("a model version under his run, of a model he may not read", func(t *testing.T) {
		carol := c.st.NewUser(t, "gql-carol")
		c.st.Grant(t, "project:default", "create", carol)
		c.st.Grant(t, "experiment:"+bob.ExpID, "read", carol)
		model := "it-gql-carol-model-" + testenv.RandomSuffix()
		c.studio.MustCall(t, carol, post, "/models/create", map[string]any{"name": model})
		c.studio.MustCall(t, carol, post, "/models/versions/create", map[string]any{
			"name": model, "source": bob.ArtifactURI + "/" + artifactDir, "run_id": bob.RunID,
		})
		vars := map[string]any{"data": map[string]any{"runId": bob.RunID}}
		seen := string(mustGraphQL(t, graphQL(t, c, carol, uiGetRun, vars, "")).Data["mlflowGetRun"])
		if !strings.Contains(seen, model) {
			t.Fatalf("carol does not see her version under bob's run: %s", seen)
		}
		for _, r := range []*apitest.Response{
			graphQL(t, c, bobUser, uiGetRun, vars, ""),
			graphQL(t, c, bobUser, uiSearchRuns, map[string]any{"data": map[string]any{"experimentIds": []string{bob.ExpID}}}, ""),
			graphQL(t, c, bobUser, `{ mlflowSearchModelVersions(input: {filter: "run_id = '`+bob.RunID+`'"}) { modelVersions { name } } }`, nil, ""),
		} {
			mustGraphQL(t, r)
			mustContain(t, r, bob.Model) // his own version of his run stays
			if strings.Contains(string(r.Body), model) {
				t.Errorf("bob sees carol's model: %s", r)
			}
		}
	})

	t.Run("the roles of the matrix on her run", func(t *testing.T) {
		for _, role := range roles {
			r := graphQL(t, c, c.user(role), uiGetRun, map[string]any{"data": map[string]any{"runId": fx.RunID}}, "")
			switch role {
			case anonymous:
				if r.Status != http.StatusUnauthorized {
					t.Errorf("%s: %s, want 401", role, r)
				}
			case nobody:
				if r.Status != http.StatusForbidden {
					t.Errorf("%s: %s, want 403", role, r)
				}
			default:
				mustContain(t, r, fx.RunName)
				mustContain(t, r, fx.Model)
			}
		}
	})
}
