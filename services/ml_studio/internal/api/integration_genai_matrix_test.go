package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
)

// labelling is what someone keeps in an experiment for labelling and
// triage: a label schema, a review queue holding a trace, an issue.
type labelling struct {
	schema, queue, issue              string
	schemaName, queueName, issueDescr string
}

// newLabelling makes owner's label schema, review queue (with the trace in
// it) and issue (citing the run) in an experiment, through ml_studio.
func newLabelling(t *testing.T, c *cast, owner *apitest.User, expID, runID, trace string) *labelling {
	t.Helper()
	sfx := testenv.RandomSuffix()
	l := &labelling{schemaName: "quality-" + sfx, queueName: "queue-" + sfx, issueDescr: "issue-description-" + sfx}
	l.schema = created(t, c, owner, gatewayCall{"", post, v3 + "/label-schemas/create", map[string]any{
		"experiment_id": expID, "name": l.schemaName, "type": "FEEDBACK", "input": map[string]any{"text": map[string]any{}}}},
		"label_schema", "schema_id")
	l.queue = created(t, c, owner, gatewayCall{"", post, v3 + "/review-queues/create", map[string]any{
		"experiment_id": expID, "name": l.queueName, "queue_type": "CUSTOM"}}, "review_queue", "queue_id")
	if r := (gatewayCall{"", post, v3 + "/review-queues/items/add", map[string]any{
		"queue_id": l.queue, "item_type": "TRACE", "item_ids": []string{trace}}}).send(t, c, owner); r.Status != http.StatusOK {
		t.Fatalf("%s adds a trace to a queue: %s", owner, r)
	}
	l.issue = created(t, c, owner, gatewayCall{"", post, v3 + "/issues", map[string]any{
		"experiment_id": expID, "name": "slow-answers-" + sfx, "description": l.issueDescr, "status": "pending",
		"source_run_id": runID}}, "issue", "issue_id")
	return l
}

// asMLflowHasIt is the label schema, review queue (and its items) and
// issue read from MLflow directly.
func (l *labelling) asMLflowHasIt(t *testing.T, c *cast) string {
	t.Helper()
	var b strings.Builder
	for _, path := range []string{"/label-schemas/get?schema_id=" + l.schema, "/review-queues/get?queue_id=" + l.queue,
		"/review-queues/items/list?queue_id=" + l.queue, "/issues/" + l.issue} {
		r, err := apitest.Send(http.DefaultClient, nil, get, c.st.MLflowURL+v3+path, nil, nil)
		if err != nil || r.Status != http.StatusOK {
			t.Fatalf("MLflow: %s: %v %v", path, r, err)
		}
		b.Write(r.Body)
	}
	return b.String()
}

// created makes something and returns the id MLflow gave it.
func created(t *testing.T, c *cast, u *apitest.User, call gatewayCall, wrapper, idField string) string {
	t.Helper()
	r := call.send(t, c, u)
	var out map[string]map[string]any
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &out) != nil {
		t.Fatalf("%s as %s: %s", call.path, u, r)
	}
	id, _ := out[wrapper][idField].(string)
	if id == "" {
		t.Fatalf("%s as %s: no %s in %s", call.path, u, idField, r)
	}
	return id
}

// otlpSpans is one root span of a trace (32 hex digits) in OTLP's JSON
// encoding; MLflow names the trace "tr-<traceID>".
func otlpSpans(traceID, name string) []byte {
	return []byte(fmt.Sprintf(`{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"spans":[{
		"traceId":%q,"spanId":%q,"name":%q,"kind":1,
		"startTimeUnixNano":"1796290000000000000","endTimeUnixNano":"1796290000250000000","status":{"code":1}}]}]}]}`,
		traceID, traceID[:16], name))
}

// newTraceID is an OTLP trace id: 32 hex digits.
func newTraceID() string {
	return (testenv.RandomSuffix() + testenv.RandomSuffix() + testenv.RandomSuffix() + testenv.RandomSuffix())[:32]
}

// sendSpans sends OTLP spans as u into an experiment (and a run).
func sendSpans(t *testing.T, c *cast, u *apitest.User, spans []byte, experiment string, run ...string) *apitest.Response {
	t.Helper()
	h := http.Header{"Content-Type": {"application/json"}, "X-Mlflow-Experiment-Id": {experiment}}
	if len(run) > 0 {
		h.Set("X-Mlflow-Run-Id", run[0])
	}
	return c.studio.Do(t, u, post, "/v1/traces", spans, h)
}

// TestGenAIMatrix: traces, evaluation datasets, label schemas, review
// queues, issues and OTLP span ingest are authorized through their
// experiment. Each role of the matrix calls every endpoint on alice's
// experiment's objects and gets what its operation there allows: read to
// read, edit to change; nobody, without any grant, gets neither, and no
// refusal shows alice's names.
func TestGenAIMatrix(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	fx := newFixture(t, c)
	alice := c.user(creator)
	spanName, otlpID := "alice-matrix-span-"+testenv.RandomSuffix(), newTraceID()
	if r := sendSpans(t, c, alice, otlpSpans(otlpID, spanName), fx.ExpID); r.Status != http.StatusOK {
		t.Fatalf("alice's spans: %s", r)
	}
	trace := "tr-" + otlpID // stored with its spans in MLflow's tracking store
	l := newLabelling(t, c, alice, fx.ExpID, fx.RunID, trace)
	dsName := "matrix-dataset-" + testenv.RandomSuffix()
	ds := dataset(t, c, alice, fx.ExpID, dsName)
	secrets := []string{l.schemaName, l.queueName, l.issueDescr, dsName, spanName}

	type entry struct {
		name  string
		class class
		// call builds the call for one caller; fresh objects are made by
		// alice where the call would spoil them for the next caller.
		call func(t *testing.T, who string) gatewayCall
	}
	same := func(g gatewayCall) func(*testing.T, string) gatewayCall {
		return func(*testing.T, string) gatewayCall { return g }
	}
	exp := fx.ExpID
	entries := []entry{
		{"trace", readOp, same(gatewayCall{"", get, v3 + "/traces/" + trace, nil})},
		{"trace with spans", readOp, same(gatewayCall{"", get, v3 + "/traces/get?trace_id=" + trace, nil})},
		{"trace with spans, ajax", readOp, same(gatewayCall{"", get, "/ajax-api/3.0/mlflow/traces/get?trace_id=" + trace, nil})},
		{"trace infos", readOp, same(gatewayCall{"", post, v3 + "/traces/batchGetInfos", map[string]any{"trace_ids": []string{trace}}})},
		{"tag a trace", editOp, same(gatewayCall{"", patch, v3 + "/traces/" + trace + "/tags", map[string]any{"key": "seen", "value": "yes"}})},
		{"assess a trace", editOp, func(_ *testing.T, who string) gatewayCall {
			return gatewayCall{"", post, v3 + "/traces/" + trace + "/assessments", map[string]any{"assessment": map[string]any{
				"assessment_name": "quality", "trace_id": trace, "source": map[string]any{"source_type": "HUMAN", "source_id": who},
				"feedback": map[string]any{"value": true}}}}
		}},
		{"dataset", readOp, same(gatewayCall{"", get, v3 + "/datasets/" + ds, nil})},
		{"dataset records", readOp, same(gatewayCall{"", get, v3 + "/datasets/" + ds + "/records", nil})},
		{"create a dataset", editOp, func(_ *testing.T, who string) gatewayCall {
			return gatewayCall{"", post, v3 + "/datasets/create", map[string]any{"name": "by-" + who, "experiment_ids": []string{exp}}}
		}},
		{"add dataset records", editOp, func(_ *testing.T, who string) gatewayCall {
			return gatewayCall{"", post, v3 + "/datasets/" + ds + "/records", map[string]any{"records": `[{"inputs":{"q":"` + who + `"}}]`}}
		}},
		{"tag a dataset", editOp, same(gatewayCall{"", patch, v3 + "/datasets/" + ds + "/tags", map[string]any{"tags": `{"seen":"yes"}`}})},
		{"label schema", readOp, same(gatewayCall{"", get, v3 + "/label-schemas/get?schema_id=" + l.schema, nil})},
		{"label schema by name", readOp, same(gatewayCall{"", get, v3 + "/label-schemas/get-by-name?experiment_id=" + exp + "&name=" + l.schemaName, nil})},
		{"label schemas of the experiment", readOp, same(gatewayCall{"", get, v3 + "/label-schemas/list?experiment_id=" + exp, nil})},
		{"label schemas, ajax", readOp, same(gatewayCall{"", get, "/ajax-api/3.0/mlflow/label-schemas/list?experiment_id=" + exp, nil})},
		{"create a label schema", editOp, func(_ *testing.T, who string) gatewayCall {
			return gatewayCall{"", post, v3 + "/label-schemas/create", map[string]any{"experiment_id": exp, "name": "by-" + who,
				"type": "EXPECTATION", "input": map[string]any{"text": map[string]any{}}}}
		}},
		{"update a label schema", editOp, same(gatewayCall{"", patch, v3 + "/label-schemas/update", map[string]any{"schema_id": l.schema, "instruction": "rate it"}})},
		{"delete a label schema", editOp, func(t *testing.T, who string) gatewayCall {
			id := created(t, c, alice, gatewayCall{"", post, v3 + "/label-schemas/create", map[string]any{"experiment_id": exp,
				"name": "doomed-" + who, "type": "FEEDBACK", "input": map[string]any{"text": map[string]any{}}}}, "label_schema", "schema_id")
			return gatewayCall{"", del, v3 + "/label-schemas/delete", map[string]any{"schema_id": id}}
		}},
		{"review queue", readOp, same(gatewayCall{"", get, v3 + "/review-queues/get?queue_id=" + l.queue, nil})},
		{"review queue by name", readOp, same(gatewayCall{"", get, v3 + "/review-queues/get-by-name?experiment_id=" + exp + "&name=" + l.queueName, nil})},
		{"review queues of the experiment", readOp, same(gatewayCall{"", get, v3 + "/review-queues/list?experiment_id=" + exp, nil})},
		{"review queue items", readOp, same(gatewayCall{"", get, v3 + "/review-queues/items/list?queue_id=" + l.queue, nil})},
		{"create a review queue", editOp, func(_ *testing.T, who string) gatewayCall {
			return gatewayCall{"", post, v3 + "/review-queues/create", map[string]any{"experiment_id": exp, "name": "by-" + who, "queue_type": "CUSTOM"}}
		}},
		{"a user's queue", editOp, func(_ *testing.T, who string) gatewayCall {
			return gatewayCall{"", post, v3 + "/review-queues/get-or-create-user", map[string]any{"experiment_id": exp, "user": who}}
		}},
		{"add to a review queue", editOp, same(gatewayCall{"", post, v3 + "/review-queues/items/add", map[string]any{"queue_id": l.queue, "item_type": "TRACE", "item_ids": []string{trace}}})},
		{"set an item's status", editOp, same(gatewayCall{"", post, v3 + "/review-queues/items/set-status", map[string]any{"queue_id": l.queue, "item_id": trace, "status": "PENDING"}})},
		{"update a review queue", editOp, same(gatewayCall{"", post, v3 + "/review-queues/update", map[string]any{"queue_id": l.queue, "name": l.queueName}})},
		{"remove from a review queue", editOp, func(t *testing.T, who string) gatewayCall {
			q := created(t, c, alice, gatewayCall{"", post, v3 + "/review-queues/create", map[string]any{"experiment_id": exp, "name": "emptied-" + who, "queue_type": "CUSTOM"}}, "review_queue", "queue_id")
			return gatewayCall{"", post, v3 + "/review-queues/items/remove", map[string]any{"queue_id": q, "item_ids": []string{trace}}}
		}},
		{"delete a review queue", editOp, func(t *testing.T, who string) gatewayCall {
			q := created(t, c, alice, gatewayCall{"", post, v3 + "/review-queues/create", map[string]any{"experiment_id": exp, "name": "doomed-" + who, "queue_type": "CUSTOM"}}, "review_queue", "queue_id")
			return gatewayCall{"", post, v3 + "/review-queues/delete", map[string]any{"queue_id": q}}
		}},
		{"issue", readOp, same(gatewayCall{"", get, v3 + "/issues/" + l.issue, nil})},
		{"issue, ajax", readOp, same(gatewayCall{"", get, "/ajax-api/3.0/mlflow/issues/" + l.issue, nil})},
		{"issues of the experiment", readOp, same(gatewayCall{"", post, v3 + "/issues/search", map[string]any{"experiment_id": exp}})},
		{"create an issue", editOp, func(_ *testing.T, who string) gatewayCall {
			return gatewayCall{"", post, v3 + "/issues", map[string]any{"experiment_id": exp, "name": "by-" + who, "description": "d", "status": "pending"}}
		}},
		{"update an issue", editOp, same(gatewayCall{"", patch, v3 + "/issues/" + l.issue, map[string]any{"issue_id": l.issue, "severity": "high"}})},
	}

	for _, r := range []role{anonymous, nobody, reader, editor, manager, admin} {
		u := c.user(r)
		for _, e := range entries {
			t.Run(r.String()+": "+e.name, func(t *testing.T) {
				got := e.call(t, r.String()+"-"+testenv.RandomSuffix()[:6]).send(t, c, u)
				want := e.class.want(r)
				if want == http.StatusOK {
					if got.Status != want {
						t.Fatalf("%s, want %d", got, want)
					}
					return
				}
				requireMLflowRefusal(t, got, want, secrets...)
			})
		}
		t.Run(r.String()+": OTLP spans", func(t *testing.T) {
			got, want := sendSpans(t, c, u, otlpSpans(newTraceID(), "by-"+r.String()), exp, fx.RunID), editOp.want(r)
			if want == http.StatusOK && got.Status != want {
				t.Fatalf("%s, want %d", got, want)
			} else if want != http.StatusOK {
				requireMLflowRefusal(t, got, want, secrets...)
			}
		})
	}

	t.Run("MLflow records the caller as who did it", func(t *testing.T) {
		var issue struct {
			Issue struct {
				CreatedBy string `json:"created_by"`
			} `json:"issue"`
		}
		if r, err := apitest.Send(http.DefaultClient, nil, get, c.st.MLflowURL+v3+"/issues/"+l.issue, nil, nil); err != nil ||
			json.Unmarshal(r.Body, &issue) != nil || issue.Issue.CreatedBy != alice.Name {
			t.Fatalf("issue created_by %q, want %q (%v %v)", issue.Issue.CreatedBy, alice.Name, r, err)
		}
		var run struct {
			Run struct {
				Info struct {
					UserID string `json:"user_id"`
				} `json:"info"`
			} `json:"run"`
		}
		r := gatewayCall{"", post, "/api/2.0/mlflow/runs/create", map[string]any{"experiment_id": exp, "user_id": "mallory"}}.send(t, c, alice)
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &run) != nil || run.Run.Info.UserID != alice.Name {
			t.Fatalf("a run created claiming to be mallory's: %s", r)
		}
	})
	t.Run("issues of no experiment", func(t *testing.T) {
		requireMLflowRefusal(t, gatewayCall{"", post, v3 + "/issues/search", map[string]any{}}.send(t, c, c.user(editor)), http.StatusBadRequest)
	})
	t.Run("an issue citing a run one may not read", func(t *testing.T) {
		bob := newMember(t, c)
		r := gatewayCall{"", post, v3 + "/issues", map[string]any{"experiment_id": bob.expID, "name": "n", "description": "d",
			"status": "pending", "source_run_id": fx.RunID}}.send(t, c, bob.user)
		requireMLflowRefusal(t, r, http.StatusForbidden, secrets...)
	})
	t.Run("OTLP spans of alice's trace into bob's experiment", func(t *testing.T) {
		// MLflow keeps a trace in its experiment: spans naming alice's trace
		// are refused whoever sends them, and her trace keeps its spans.
		bob, id := newMember(t, c), newTraceID()
		if r := sendSpans(t, c, alice, otlpSpans(id, "alice-span"), exp); r.Status != http.StatusOK {
			t.Fatalf("alice's spans: %s", r)
		}
		before := traceAsMLflowHasIt(t, c, "tr-"+id)
		r := sendSpans(t, c, bob.user, otlpSpans(id, "bob-span"), bob.expID)
		if r.Status < 400 || r.Status >= 500 {
			t.Fatalf("%s, want a refusal", r)
		}
		if after := traceAsMLflowHasIt(t, c, "tr-"+id); after != before || strings.Contains(after, "bob-span") {
			t.Fatalf("bob changed alice's trace:\nbefore %s\nafter  %s", before, after)
		}
	})
}
