package mlflowgql

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// prepare reads a body and prepares its operation.
func prepare(body string) (*Operation, error) {
	r, err := Read([]byte(body))
	if err != nil {
		return nil, err
	}
	return Prepare(Pinned(), r)
}

// gql is a request body of query, variables (JSON, or "") and operationName.
func gql(query, variables, opName string) string {
	q, _ := json.Marshal(query)
	b := `{"query":` + string(q)
	if variables != "" {
		b += `,"variables":` + variables
	}
	if opName != "" {
		n, _ := json.Marshal(opName)
		b += `,"operationName":` + string(n)
	}
	return b + "}"
}

// prepareCases are documents and the document MLflow is sent for each.
var prepareCases = []struct {
	name, query, vars, opName string
	want                      string
}{
	{"variables are put in place",
		`query GetRun($data: MlflowGetRunInput!) @component(name: "MLflow.ExperimentRunTracking") { mlflowGetRun(input: $data) { run { info { runId } } } }`,
		`{"data":{"runId":"r1"}}`, "",
		`query GetRun {mlflowGetRun(input: {runId: "r1"}) {run {info {runId}}}}`},
	{"a variable inside an input object",
		`query($r: String) { mlflowGetRun(input: {runId: $r}) { run { info { runId } } } }`,
		`{"r":"r\"1\\\n"}`, "",
		`query {mlflowGetRun(input: {runId: "r\"1\\\u000a"}) {run {info {runId}}}}`},
	{"a variable without a value leaves its field out",
		`query($r: String, $u: String) { mlflowGetRun(input: {runId: $r, runUuid: $u}) { run { info { runId } } } }`,
		`{"u":"r2"}`, "",
		`query {mlflowGetRun(input: {runUuid: "r2"}) {run {info {runId}}}}`},
	{"a variable's default",
		`query($r: String = "r3") { mlflowGetRun(input: {runId: $r}) { run { info { runId } } } }`,
		"", "",
		`query {mlflowGetRun(input: {runId: "r3"}) {run {info {runId}}}}`},
	{"an explicit null stays null",
		`query($r: String) { mlflowGetRun(input: {runId: $r, runUuid: "u"}) { run { info { runId } } } }`,
		`{"r":null}`, "",
		`query {mlflowGetRun(input: {runId: null, runUuid: "u"}) {run {info {runId}}}}`},
	{"a single value stands for a list of one",
		`query($e: [String]) { mlflowSearchRuns(input: {experimentIds: $e, maxResults: 5, runViewType: ALL}) { runs { info { runId } } } }`,
		`{"e":"1"}`, "",
		`query {mlflowSearchRuns(input: {experimentIds: ["1"], maxResults: 5, runViewType: ALL}) {runs {info {runId}}}}`},
	{"a literal single value too",
		`{ mlflowSearchRuns(input: {experimentIds: "1"}) { runs { info { runId } } } }`,
		"", "",
		`query {mlflowSearchRuns(input: {experimentIds: ["1"]}) {runs {info {runId}}}}`},
	{"variables of input objects are printed in the schema's order",
		`query($i: MlflowSearchRunsInput) { mlflowSearchRuns(input: $i) { nextPageToken } }`,
		`{"i":{"pageToken":"p","experimentIds":["1","2"],"runViewType":"DELETED_ONLY","filter":"metrics.x > 1"}}`, "",
		`query {mlflowSearchRuns(input: {experimentIds: ["1", "2"], filter: "metrics.x > 1", runViewType: DELETED_ONLY, pageToken: "p"}) {nextPageToken}}`},
	{"LongString from a JSON number or digits",
		`query($n: LongString, $m: LongString) { a: mlflowSearchModelVersions(input: {maxResults: $n}) { nextPageToken } b: mlflowSearchModelVersions(input: {maxResults: $m}) { nextPageToken } }`,
		`{"n":10,"m":"20"}`, "",
		`query {a: mlflowSearchModelVersions(input: {maxResults: 10}) {nextPageToken} b: mlflowSearchModelVersions(input: {maxResults: 20}) {nextPageToken}}`},
	{"a block string",
		"{ mlflowGetExperiment(input: {experimentId: \"\"\"\n  12\n\"\"\"}) { experiment { name } } }",
		"", "",
		`query {mlflowGetExperiment(input: {experimentId: "12"}) {experiment {name}}}`},
	{"named and inline fragments are expanded",
		`query Q { ...Root } fragment Root on Query { mlflowGetRun(input: {runId: "r1"}) { run { ...Info ... on MlflowRunExtension { experiment { name } } } } } fragment Info on MlflowRunExtension { info { runId } }`,
		"", "",
		`query Q {mlflowGetRun(input: {runId: "r1"}) {run {info {runId} experiment {name}}}}`},
	{"fields of one response key are merged",
		`{ mlflowGetRun(input: {runId: "r1"}) { run { info { runId } } } ... on Query { mlflowGetRun(input: {runId: "r1"}) { run { info { status } data { params { key } } } } } }`,
		"", "",
		`query {mlflowGetRun(input: {runId: "r1"}) {run {info {runId status} data {params {key}}}}}`},
	{"aliases are kept, each its own field",
		`{ a: mlflowGetRun(input: {runId: "r1"}) { run { info { id: runId } } } b: mlflowGetRun(input: {runId: "r2"}) { run { info { runId } } } }`,
		"", "",
		`query {a: mlflowGetRun(input: {runId: "r1"}) {run {info {id: runId}}} b: mlflowGetRun(input: {runId: "r2"}) {run {info {runId}}}}`},
	{"@skip and @include, literal and by variable",
		`query($yes: Boolean!, $no: Boolean = false) { mlflowGetRun(input: {runId: "r1"}) { run { info @include(if: $yes) { runId } data @include(if: $no) { params { key } } experiment @skip(if: true) { name } ... @skip(if: $no) { outputs { modelOutputs { modelId } } } } } }`,
		`{"yes":true}`, "",
		`query {mlflowGetRun(input: {runId: "r1"}) {run {info {runId} outputs {modelOutputs {modelId}}}}}`},
	{"a skipped root field is not sent",
		`{ mlflowGetRun(input: {runId: "r1"}) @skip(if: true) { run { info { runId } } } test(inputString: "x") { output } }`,
		"", "",
		`query {test(inputString: "x") {output}}`},
	{"operationName picks one operation of several",
		`query A { mlflowGetRun(input: {runId: "r1"}) { run { info { runId } } } } query B($e: String) { mlflowGetExperiment(input: {experimentId: $e}) { experiment { name } } } mutation C { testMutation(inputString: "x") { output } }`,
		`{"e":"7"}`, "B",
		`query B {mlflowGetExperiment(input: {experimentId: "7"}) {experiment {name}}}`},
	{"a mutation",
		`mutation M($e: [String]) { mlflowSearchDatasets(input: {experimentIds: $e}) { datasetSummaries { name } } }`,
		`{"e":["1"]}`, "",
		`mutation M {mlflowSearchDatasets(input: {experimentIds: ["1"]}) {datasetSummaries {name}}}`},
	{"introspection and __typename",
		`{ __typename __type(name: "MlflowRunInfo") { name fields { name } } }`,
		"", "",
		`query {__typename __type(name: "MlflowRunInfo") {name fields {name}}}`},
	{"unicode is kept, control characters escaped",
		`{ test(inputString: "été \u0007 \t") { output } }`,
		"", "",
		"query {test(inputString: \"été \\u0007 \\u0009\") {output}}"},
	{"floats, enums and ints as given",
		`query($s: Int) { mlflowGetMetricHistoryBulkInterval(input: {runIds: ["r1"], metricKey: "m", startStep: $s, endStep: -5, maxResults: 10}) { metrics { value } } }`,
		`{"s":0}`, "",
		`query {mlflowGetMetricHistoryBulkInterval(input: {runIds: ["r1"], metricKey: "m", startStep: 0, endStep: -5, maxResults: 10}) {metrics {value}}}`},
}

// TestPrepare: the document MLflow is sent is the one operation graphene
// would run, with variables, fragments, aliases and directives resolved as
// graphene resolves them.
func TestPrepare(t *testing.T) {
	for _, tt := range prepareCases {
		t.Run(tt.name, func(t *testing.T) {
			op, err := prepare(gql(tt.query, tt.vars, tt.opName))
			if err != nil {
				t.Fatal(err)
			}
			got := op.Print()
			if got != tt.want {
				t.Fatalf("printed\n%s\nwant\n%s", got, tt.want)
			}
			// What is sent reads back as itself: MLflow runs what was printed.
			again, err := prepare(gql(got, "", ""))
			if err != nil {
				t.Fatalf("the printed document does not read back: %v", err)
			}
			if again.Print() != got {
				t.Fatalf("the printed document reads back as\n%s", again.Print())
			}
		})
	}
}

// TestPrepareRefuses: what graphene would refuse, read differently, or
// what exceeds the limits is a 400 before anything is authorized.
func TestPrepareRefuses(t *testing.T) {
	nested := `{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }`
	// unaliased, they merge into one field, but MLflow counts each
	manyRoots := "{" + strings.Repeat(` test(inputString: "x") { output }`, MaxRootFields+1) + "}"
	manyAliases := `{ mlflowGetRun(input: {runId: "r"}) { run { info {`
	for i := range 11 {
		manyAliases += " a" + string(rune('a'+i)) + ": runId"
	}
	manyAliases += " } } } }"
	// fragments doubling at each step: 2^12 fields from a short document
	fragments := `{ mlflowGetRun(input: {runId: "r"}) { run { info { ...F0 } } } }`
	for i := range 12 {
		fragments += " fragment F" + strconv.Itoa(i) + " on MlflowRunInfo { ...F" + strconv.Itoa(i+1) + " ... on MlflowRunInfo { ...F" + strconv.Itoa(i+1) + " } }"
	}
	fragments += " fragment F12 on MlflowRunInfo { runId status }"
	tests := []struct {
		name, body, want string
	}{
		{"a syntax error", gql(`{ mlflowGetRun(`, "", ""), "GraphQL"},
		{"an unknown field", gql(`{ mlflowDeleteRun { ok } }`, "", ""), "mlflowDeleteRun"},
		{"an unknown argument", gql(`{ mlflowGetRun(input: {runId: "r"}, other: 1) { run { info { runId } } } }`, "", ""), "other"},
		{"an invalid operation elsewhere in the document", gql(`query A { test(inputString: "x") { output } } query B { nope }`, "", "A"), "nope"},
		{"several operations, none named", gql(`query A { test { output } } query B { test { output } }`, "", ""), "operationName"},
		{"an operationName naming none", gql(`query A { test { output } }`, "", "B"), "no operation named"},
		{"an anonymous operation beside another", gql(`{ test { output } } query B { test { output } }`, "", "B"), "GraphQL"},
		{"a subscription", gql(`subscription { test { output } }`, "", ""), "GraphQL"},
		{"a missing required variable", gql(`query($d: MlflowGetRunInput!) { mlflowGetRun(input: $d) { run { info { runId } } } }`, "", ""), "required"},
		{"a variable of the wrong type", gql(`query($r: String) { mlflowGetRun(input: {runId: $r}) { run { info { runId } } } }`, `{"r":5}`, ""), "not a valid String"},
		{"an unknown field in a variable", gql(`query($d: MlflowGetRunInput) { mlflowGetRun(input: $d) { run { info { runId } } } }`, `{"d":{"run_id":"r"}}`, ""), "no field 'run_id'"},
		{"a LongString that is no integer", gql(`query($n: LongString) { mlflowSearchModelVersions(input: {maxResults: $n}) { nextPageToken } }`, `{"n":"1_0"}`, ""), "LongString"},
		{"a LongString literal string", gql(`{ mlflowSearchModelVersions(input: {maxResults: "10"}) { nextPageToken } }`, "", ""), "LongString"},
		{"an Int beyond 32 bits", gql(`query($m: Int) { mlflowSearchRuns(input: {experimentIds: ["1"], maxResults: $m}) { nextPageToken } }`, `{"m":4294967296}`, ""), "Int"},
		{"an Int that is a float", gql(`query($m: Int) { mlflowSearchRuns(input: {experimentIds: ["1"], maxResults: $m}) { nextPageToken } }`, `{"m":1.5}`, ""), "Int"},
		{"an enum value that is not one", gql(`query($v: MlflowViewType) { mlflowSearchRuns(input: {experimentIds: ["1"], runViewType: $v}) { nextPageToken } }`, `{"v":"EVERYTHING"}`, ""), "no value"},
		{"@defer", gql(`{ mlflowGetRun(input: {runId: "r"}) { ... @defer { run { info { runId } } } } }`, "", ""), "@defer"},
		{"an unknown directive", gql(`{ test(inputString: "x") @cached { output } }`, "", ""), "GraphQL"},
		{"a reserved alias", gql(`{ mlflowGetRun(input: {runId: "r"}) { run { modelVersions { _mlStudioModelName: version } } } }`, "", ""), "reserved"},
		{"everything skipped", gql(`{ test(inputString: "x") @skip(if: true) { output } }`, "", ""), "keeps no field"},
		{"a selection emptied by @include", gql(`{ mlflowGetRun(input: {runId: "r"}) { run @include(if: false) { info { runId } } } }`, "", ""), "keeps no field"},
		{"too deep", gql(nested, "", ""), "deeper"},
		{"too many root fields", gql(manyRoots, "", ""), "root fields"},
		{"too many aliases", gql(manyAliases, "", ""), "aliases"},
		{"fragments expanding past the limit", gql(fragments, "", ""), "more than"},
		{"a huge document", gql("{ test(inputString: \""+strings.Repeat("x", MaxQueryBytes)+"\") { output } }", "", ""), "larger than"},
		{"a variable on a non-null position given null", gql(`query($b: Boolean!) { test(inputString: "x") @skip(if: $b) { output } }`, `{"b":null}`, ""), "null"},
		{"a leaf with a selection", gql(`{ test(inputString: "x") { output { x } } }`, "", ""), "GraphQL"},
		{"an object without a selection", gql(`{ mlflowGetRun(input: {runId: "r"}) }`, "", ""), "GraphQL"},
		{"a string variable that is no valid UTF-8 after decoding", gql(`query($r: String) { mlflowGetRun(input: {runId: $r}) { run { info { runId } } } }`, `{"r":"\ud800"}`, ""), ""},
		{"directives on fragment definitions", gql(`{ ...F } fragment F on Query @skip(if: true) { test { output } }`, "", ""), "GraphQL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op, err := prepare(tt.body)
			if tt.want == "" { // Go's JSON decoding makes a lone surrogate U+FFFD: accepted, printed as that
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(op.Print(), "\uFFFD") {
					t.Fatalf("printed %s", op.Print())
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %s", op.Print())
			}
			if !apierror.IsStatus(err, http.StatusBadRequest) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want a 400 mentioning %q", err, tt.want)
			}
		})
	}
}

// TestLists finds the lists a field holds in an answer, through lists and
// aliases, as the operation's response keys say.
func TestLists(t *testing.T) {
	op, err := prepare(gql(`{ a: mlflowSearchRuns(input: {experimentIds: ["1"]}) { runs { mv: modelVersions { name } } } b: mlflowGetRun(input: {runId: "r"}) { run { modelVersions { version } } } }`, "", ""))
	if err != nil {
		t.Fatal(err)
	}
	var data any
	if err := json.Unmarshal([]byte(`{"a":{"runs":[{"mv":[{"name":"x"},{"name":"y"}]},{"mv":null},{"mv":[{"name":"z"}]}]},"b":{"run":{"modelVersions":[{"version":"1"}]}}}`), &data); err != nil {
		t.Fatal(err)
	}
	held := op.Lists(data, func(f *Field) bool { return f.Parent == "MlflowRunExtension" && f.Name == "modelVersions" })
	var sizes []int
	for _, h := range held {
		sizes = append(sizes, len(h.Items()))
	}
	if want := []int{2, 0, 1, 1}; len(sizes) != len(want) || sizes[0] != 2 || sizes[1] != 0 || sizes[2] != 1 || sizes[3] != 1 {
		t.Fatalf("list sizes %v, want %v", sizes, want)
	}
	held[0].Set([]any{})
	out, _ := json.Marshal(data)
	if !strings.Contains(string(out), `"runs":[{"mv":[]}`) {
		t.Fatalf("Set did not replace the list: %s", out)
	}
}
