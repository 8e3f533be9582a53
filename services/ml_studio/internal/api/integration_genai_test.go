package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
)

const v3 = "/api/3.0/mlflow"

// startTrace logs a trace in an experiment through ml_studio, as the stock
// client's exporter does, and returns its id.
func startTrace(t *testing.T, c *cast, u *apitest.User, expID, preview string) string {
	t.Helper()
	id := "tr-" + testenv.RandomSuffix() + testenv.RandomSuffix()[:8]
	r := gatewayCall{"", post, v3 + "/traces", map[string]any{"trace": map[string]any{"trace_info": map[string]any{
		"trace_id":           id,
		"trace_location":     map[string]any{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": map[string]any{"experiment_id": expID}},
		"request_time":       "2026-12-03T08:00:00Z",
		"execution_duration": "0.250s",
		"state":              "OK",
		"request_preview":    preview + "-request",
		"response_preview":   preview + "-response",
		"tags":               map[string]string{fixtureTag: preview + "-tag"},
	}}}}.send(t, c, u)
	if r.Status != http.StatusOK {
		t.Fatalf("start a trace in experiment %s as %s: %s", expID, u, r)
	}
	return id
}

// TestTracesThroughTheirExperiment: traces are authorized through the
// experiment they are logged in. Bob, with an experiment and a trace of his
// own, reaches none of alice's trace by any trace endpoint, v3 or v2, and
// changes nothing of it; searches show him only his own; alice uses hers.
func TestTracesThroughTheirExperiment(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	bob := newMember(t, c)
	fx := newFixture(t, c)
	alice := c.user(creator)
	secret := "alice-trace-" + testenv.RandomSuffix()
	aliceTrace := startTrace(t, c, alice, fx.ExpID, secret)
	bobTrace := startTrace(t, c, bob.user, bob.expID, "bob-trace")
	feedback := map[string]any{"assessment": map[string]any{
		"assessment_name": "quality", "trace_id": aliceTrace,
		"source":   map[string]any{"source_type": "HUMAN", "source_id": "bob"},
		"feedback": map[string]any{"value": false},
	}}
	before := traceAsMLflowHasIt(t, c, aliceTrace)

	refused := []gatewayCall{
		{"trace info", get, v3 + "/traces/" + aliceTrace, nil},
		{"trace info, ajax", get, "/ajax-api/3.0/mlflow/traces/" + aliceTrace, nil},
		{"trace with spans", get, v3 + "/traces/get?trace_id=" + aliceTrace, nil},
		{"batch get", get, v3 + "/traces/batchGet?trace_ids=" + aliceTrace, nil},
		{"batch get, his and hers", get, v3 + "/traces/batchGet?trace_ids=" + bobTrace + "&trace_ids=" + aliceTrace, nil},
		{"batch get infos", post, v3 + "/traces/batchGetInfos", map[string]any{"trace_ids": []string{aliceTrace}}},
		{"batch get his trace scoped to her experiment", get, v3 + "/traces/batchGet?trace_ids=" + bobTrace + "&experiment_ids=" + fx.ExpID, nil},
		{"set a tag", patch, v3 + "/traces/" + aliceTrace + "/tags", map[string]any{"key": "bob", "value": "was here"}},
		{"delete her tag", del, v3 + "/traces/" + aliceTrace + "/tags", map[string]any{"key": fixtureTag}},
		{"log feedback", post, v3 + "/traces/" + aliceTrace + "/assessments", feedback},
		{"delete her traces", post, v3 + "/traces/delete-traces", map[string]any{"experiment_id": fx.ExpID, "request_ids": []string{aliceTrace}}},
		{"start a trace in her experiment", post, v3 + "/traces", map[string]any{"trace": map[string]any{"trace_info": map[string]any{
			"trace_id": "tr-bob-in-alice", "trace_location": map[string]any{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": map[string]any{"experiment_id": fx.ExpID}},
			"request_time": "2026-12-03T08:00:00Z", "state": "OK"}}}},
		{"trace metrics of her experiment", post, v3 + "/traces/metrics", map[string]any{"experiment_ids": []string{fx.ExpID}, "view_type": "TRACES", "metric_name": "trace_count", "aggregations": []map[string]any{{"aggregation_type": "COUNT"}}}},
		{"filter correlation over her experiment", post, v3 + "/traces/calculate-filter-correlation", map[string]any{"experiment_ids": []string{fx.ExpID}, "filter_string1": "status = 'OK'", "filter_string2": "status = 'ERROR'"}},
		{"link her trace to his run", post, "/api/2.0/mlflow/traces/link-to-run", map[string]any{"trace_ids": []string{aliceTrace}, "run_id": bob.runID}},
		{"v2 trace info", get, "/api/2.0/mlflow/traces/" + aliceTrace + "/info", nil},
		{"v2 set a tag", patch, "/api/2.0/mlflow/traces/" + aliceTrace + "/tags", map[string]any{"key": "bob", "value": "was here"}},
		{"v2 end her trace", patch, "/api/2.0/mlflow/traces/" + aliceTrace, map[string]any{"timestamp_ms": "1", "status": "ERROR"}},
	}
	for _, call := range refused {
		t.Run("bob: "+call.name, func(t *testing.T) {
			requireMLflowRefusal(t, call.send(t, c, bob.user), http.StatusForbidden, secret)
		})
	}
	for _, call := range []gatewayCall{
		{"both spellings of trace_info", post, v3 + "/traces", map[string]any{"trace": map[string]any{
			"trace_info": map[string]any{"trace_location": map[string]any{"mlflow_experiment": map[string]any{"experiment_id": bob.expID}}},
			"traceInfo":  map[string]any{"trace_location": map[string]any{"mlflow_experiment": map[string]any{"experiment_id": fx.ExpID}}}}}},
		{"metrics over no experiment", post, v3 + "/traces/metrics", map[string]any{"view_type": "TRACES", "metric_name": "trace_count"}},
		{"batch get of nothing", post, v3 + "/traces/batchGetInfos", map[string]any{}},
	} {
		t.Run("bob: "+call.name, func(t *testing.T) {
			requireMLflowRefusal(t, call.send(t, c, bob.user), http.StatusBadRequest, secret)
		})
	}
	if after := traceAsMLflowHasIt(t, c, aliceTrace); after != before {
		t.Errorf("bob changed alice's trace:\nbefore %s\nafter  %s", before, after)
	}

	searches := []struct {
		name string
		call gatewayCall
	}{
		{"v3 search", gatewayCall{"", post, v3 + "/traces/search", map[string]any{"locations": []map[string]any{
			{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": map[string]any{"experiment_id": fx.ExpID}},
			{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": map[string]any{"experiment_id": bob.expID}}}}}},
		{"v3 search, camelCase", gatewayCall{"", post, "/ajax-api/3.0/mlflow/traces/search", map[string]any{"locations": []map[string]any{
			{"mlflowExperiment": map[string]any{"experimentId": fx.ExpID}},
			{"mlflowExperiment": map[string]any{"experimentId": bob.expID}}}}}},
		{"v2 search", gatewayCall{"", get, "/api/2.0/mlflow/traces?experiment_ids=" + fx.ExpID + "&experiment_ids=" + bob.expID, nil}},
	}
	for _, s := range searches {
		t.Run("bob: "+s.name, func(t *testing.T) {
			r := s.call.send(t, c, bob.user)
			if r.Status != http.StatusOK {
				t.Fatalf("%s", r)
			}
			mustContain(t, r, bobTrace)
			if strings.Contains(string(r.Body), aliceTrace) || strings.Contains(string(r.Body), secret) {
				t.Fatalf("shows alice's trace: %s", r)
			}
		})
		t.Run("alice: "+s.name, func(t *testing.T) {
			r := s.call.send(t, c, alice)
			if r.Status != http.StatusOK {
				t.Fatalf("%s", r)
			}
			mustContain(t, r, aliceTrace)
			if strings.Contains(string(r.Body), bobTrace) {
				t.Fatalf("shows bob's trace to alice: %s", r)
			}
		})
	}
	t.Run("bob: a search of only her experiment is empty", func(t *testing.T) {
		r := gatewayCall{"", post, v3 + "/traces/search", map[string]any{"locations": []map[string]any{
			{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": map[string]any{"experiment_id": fx.ExpID}}}}}.send(t, c, bob.user)
		var out struct {
			Traces []json.RawMessage `json:"traces"`
		}
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &out) != nil || len(out.Traces) != 0 {
			t.Fatalf("%s, want 200 with no traces", r)
		}
	})

	for _, call := range []gatewayCall{
		{"trace info", get, v3 + "/traces/" + aliceTrace, nil},
		{"v2 trace info", get, "/api/2.0/mlflow/traces/" + aliceTrace + "/info", nil},
		{"batch get infos", post, v3 + "/traces/batchGetInfos", map[string]any{"trace_ids": []string{aliceTrace}}},
		{"set a tag", patch, v3 + "/traces/" + aliceTrace + "/tags", map[string]any{"key": "reviewed", "value": "yes"}},
		{"log feedback", post, v3 + "/traces/" + aliceTrace + "/assessments", feedback},
		{"link to her run", post, "/api/2.0/mlflow/traces/link-to-run", map[string]any{"trace_ids": []string{aliceTrace}, "run_id": fx.RunID}},
	} {
		t.Run("alice: "+call.name, func(t *testing.T) {
			if r := call.send(t, c, alice); r.Status != http.StatusOK {
				t.Fatalf("%s", r)
			}
		})
	}
	t.Run("reader reads, cannot write", func(t *testing.T) {
		reader := c.user(reader)
		if r := (gatewayCall{"", get, v3 + "/traces/" + aliceTrace, nil}).send(t, c, reader); r.Status != http.StatusOK {
			t.Fatalf("%s", r)
		}
		r := gatewayCall{"", patch, v3 + "/traces/" + aliceTrace + "/tags", map[string]any{"key": "k", "value": "v"}}.send(t, c, reader)
		requireMLflowRefusal(t, r, http.StatusForbidden)
	})
}

// traceAsMLflowHasIt is a trace's info and assessments read from MLflow
// directly.
func traceAsMLflowHasIt(t *testing.T, c *cast, id string) string {
	t.Helper()
	r, err := apitest.Send(http.DefaultClient, nil, get, c.st.MLflowURL+v3+"/traces/"+url.PathEscape(id), nil, nil)
	if err != nil || r.Status != http.StatusOK {
		t.Fatalf("MLflow: trace %s: %v %v", id, r, err)
	}
	return string(r.Body)
}

// TestScorersThroughTheirExperiment: scorers live in an experiment; bob
// reaches none of alice's, and listing across experiments keeps only his.
// (Registering and listing for real, with the stock client, is in
// tests/python/test_scorers.py.)
func TestScorersThroughTheirExperiment(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	bob := newMember(t, c)
	fx := newFixture(t, c)
	q := "?experiment_id=" + fx.ExpID + "&name=polite"
	for _, call := range []gatewayCall{
		{"register", post, v3 + "/scorers/register", map[string]any{"experiment_id": fx.ExpID, "name": "bobs", "serialized_scorer": "{}"}},
		{"get", get, v3 + "/scorers/get" + q, nil},
		{"versions", get, v3 + "/scorers/versions" + q, nil},
		{"delete", del, v3 + "/scorers/delete", map[string]any{"experiment_id": fx.ExpID, "name": "polite"}},
		{"list hers", get, v3 + "/scorers/list?experiment_id=" + fx.ExpID, nil},
		{"sample her scorer", put, v3 + "/scorers/online-config", map[string]any{"experiment_id": fx.ExpID, "name": "polite", "sample_rate": 1}},
	} {
		t.Run("bob: "+call.name, func(t *testing.T) {
			requireMLflowRefusal(t, call.send(t, c, bob.user), http.StatusForbidden)
		})
	}
	t.Run("bob: list across hers and his", func(t *testing.T) {
		r := gatewayCall{"", get, v3 + "/scorers/list?experiment_ids=" + fx.ExpID + "&experiment_ids=" + bob.expID, nil}.send(t, c, bob.user)
		if r.Status != http.StatusOK {
			t.Fatalf("%s", r)
		}
	})
	t.Run("bob: list of nothing named", func(t *testing.T) {
		requireMLflowRefusal(t, gatewayCall{"", get, v3 + "/scorers/list", nil}.send(t, c, bob.user), http.StatusBadRequest)
	})
	t.Run("bob: list of only hers is empty", func(t *testing.T) {
		r := gatewayCall{"", get, v3 + "/scorers/list?experiment_ids=" + fx.ExpID, nil}.send(t, c, bob.user)
		if r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != `{"scorers":[]}` {
			t.Fatalf("%s, want an empty list", r)
		}
	})
}

// TestServerInfoForAnySignedInUser: MLflow's server-info and version (which
// MLflow serves even without login, and the stock client asks for: from
// the version it decides to send spans over OTLP) are served to any valid
// credential, and only to one.
func TestServerInfoForAnySignedInUser(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	for _, tc := range []struct {
		call gatewayCall
		want string
	}{
		{gatewayCall{"server-info", get, v3 + "/server-info", nil}, "store_type"},
		{gatewayCall{"version", get, "/version", nil}, "3."},
	} {
		t.Run(tc.call.name, func(t *testing.T) {
			if r := tc.call.send(t, c, c.user(nobody)); r.Status != http.StatusOK || !strings.Contains(string(r.Body), tc.want) {
				t.Fatalf("signed in: %s", r)
			}
			if r := tc.call.send(t, c, nil); r.Status != http.StatusUnauthorized {
				t.Fatalf("anonymous: %s", r)
			}
			if r := tc.call.send(t, c, &apitest.User{Name: "forged", Token: "mlt_" + strings.Repeat("0", 43)}); r.Status != http.StatusUnauthorized {
				t.Fatalf("a forged token: %s", r)
			}
		})
	}
}

// TestDatasetsThroughTheirExperiments: an evaluation dataset is reached
// through the experiments it belongs to. Bob reads and changes none of
// alice's, cannot add his experiment to it nor it to his, and searches show
// him only his own; alice, who may edit both experiments, may link them.
func TestDatasetsThroughTheirExperiments(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	bob := newMember(t, c)
	fx := newFixture(t, c)
	alice := c.user(creator)
	secret := "alice-dataset-" + testenv.RandomSuffix()
	ds := dataset(t, c, alice, fx.ExpID, secret)
	bobs := dataset(t, c, bob.user, bob.expID, "bob-dataset-"+testenv.RandomSuffix())
	for _, call := range []gatewayCall{
		{"get", get, v3 + "/datasets/" + ds, nil},
		{"records", get, v3 + "/datasets/" + ds + "/records", nil},
		{"experiment ids", get, v3 + "/datasets/" + ds + "/experiment-ids", nil},
		{"upsert records", post, v3 + "/datasets/" + ds + "/records", map[string]any{"records": `[{"inputs":{"q":"x"}}]`}},
		{"set tags", patch, v3 + "/datasets/" + ds + "/tags", map[string]any{"tags": `{"bob":"x"}`}},
		{"delete", del, v3 + "/datasets/" + ds, nil},
		{"add his experiment to hers", post, v3 + "/datasets/" + ds + "/add-experiments", map[string]any{"experiment_ids": []string{bob.expID}}},
		{"add her experiment to his", post, v3 + "/datasets/" + bobs + "/add-experiments", map[string]any{"experiment_ids": []string{fx.ExpID}}},
		{"create in her experiment", post, v3 + "/datasets/create", map[string]any{"name": "bobs", "experiment_ids": []string{fx.ExpID}}},
	} {
		t.Run("bob: "+call.name, func(t *testing.T) {
			requireMLflowRefusal(t, call.send(t, c, bob.user), http.StatusForbidden, secret)
		})
	}
	t.Run("bob: create in no experiment", func(t *testing.T) {
		r := gatewayCall{"", post, v3 + "/datasets/create", map[string]any{"name": "orphan"}}.send(t, c, bob.user)
		requireMLflowRefusal(t, r, http.StatusBadRequest)
	})
	for _, call := range []gatewayCall{
		{"search both", post, v3 + "/datasets/search", map[string]any{"experiment_ids": []string{fx.ExpID, bob.expID}}},
		{"search both, GET", get, v3 + "/datasets/search?experiment_ids=" + fx.ExpID + "&experiment_ids=" + bob.expID, nil},
		{"search all he may read", post, v3 + "/datasets/search", map[string]any{"filter_string": "name LIKE '%dataset-%'"}},
	} {
		t.Run("bob: "+call.name, func(t *testing.T) {
			r := call.send(t, c, bob.user)
			if r.Status != http.StatusOK {
				t.Fatalf("%s", r)
			}
			mustContain(t, r, bobs)
			if strings.Contains(string(r.Body), ds) || strings.Contains(string(r.Body), secret) {
				t.Fatalf("shows alice's dataset: %s", r)
			}
		})
	}
	t.Run("alice: reads hers, not his", func(t *testing.T) {
		if r := (gatewayCall{"", get, v3 + "/datasets/" + ds, nil}).send(t, c, alice); r.Status != http.StatusOK {
			t.Fatalf("%s", r)
		}
		requireMLflowRefusal(t, gatewayCall{"", get, v3 + "/datasets/" + bobs, nil}.send(t, c, alice), http.StatusForbidden)
	})
	t.Run("a reader of one of its experiments reads it, cannot change it", func(t *testing.T) {
		if r := (gatewayCall{"", get, v3 + "/datasets/" + ds + "/records", nil}).send(t, c, c.user(reader)); r.Status != http.StatusOK {
			t.Fatalf("%s", r)
		}
		r := gatewayCall{"", patch, v3 + "/datasets/" + ds + "/tags", map[string]any{"tags": `{"r":"x"}`}}.send(t, c, c.user(reader))
		requireMLflowRefusal(t, r, http.StatusForbidden)
	})
}

// dataset creates an evaluation dataset in an experiment through ml_studio.
func dataset(t *testing.T, c *cast, u *apitest.User, expID, name string) string {
	t.Helper()
	r := gatewayCall{"", post, v3 + "/datasets/create", map[string]any{"name": name, "experiment_ids": []string{expID}}}.send(t, c, u)
	var out struct {
		Dataset struct {
			ID string `json:"dataset_id"`
		} `json:"dataset"`
	}
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &out) != nil || out.Dataset.ID == "" {
		t.Fatalf("create a dataset as %s: %s", u, r)
	}
	return out.Dataset.ID
}
