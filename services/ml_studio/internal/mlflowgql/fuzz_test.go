package mlflowgql

import (
	"strings"
	"testing"
)

// FuzzPrepare: no body panics Read or Prepare, and whatever Prepare
// accepts prints a document that reads back as itself (with no variables
// or operationName): MLflow runs the operation ml_studio authorized. The
// committed corpus is testdata/fuzz/FuzzPrepare; more runs with
// go test -fuzz FuzzPrepare ./services/ml_studio/internal/mlflowgql
func FuzzPrepare(f *testing.F) {
	for _, seed := range []string{
		gql(`query GetRun($data: MlflowGetRunInput!) @component(name: "x") { mlflowGetRun(input: $data) { run { info { runId } modelVersions { name } } } }`, `{"data":{"runId":"r1","runUuid":"r2"}}`, ""),
		gql(`query A { ...F } query B { test { output } } fragment F on Query { a: mlflowGetExperiment(input: {experimentId: "1"}) { experiment { name } } }`, "", "A"),
		gql(`query($e: [String], $s: Boolean = true) { mlflowSearchRuns(input: {experimentIds: $e}) @include(if: $s) { runs { info { runId } } } }`, `{"e":"1"}`, ""),
		gql(`mutation { mlflowSearchDatasets(input: {experimentIds: ["1", "2"]}) { datasetSummaries { name } } }`, "", ""),
		gql(`{ mlflowSearchModelVersions(input: {filter: "name='m'", maxResults: 5}) { modelVersions { name version } } }`, "", ""),
		gql(`{ __schema { queryType { name } } }`, "", ""),
		`{"query":"{ test(inputString: \"a\\\"b\\u0000\") { output } }","query":"x"}`,
	} {
		f.Add(seed)
	}
	schema := Pinned()
	f.Fuzz(func(t *testing.T, body string) {
		r, err := Read([]byte(body))
		if err != nil {
			return
		}
		op, err := Prepare(schema, r)
		if err != nil {
			return
		}
		printed := op.Print()
		again, err := Prepare(schema, &Request{Query: printed})
		if err != nil {
			t.Fatalf("%s\nprints %s\nwhich does not read back: %v", body, printed, err)
		}
		if got := again.Print(); got != printed {
			t.Fatalf("%s\nprints %s\nwhich reads back as %s", body, printed, got)
		}
		if strings.Contains(printed, "$") && !strings.Contains(printed, `"`) {
			t.Fatalf("a variable is left in %s", printed)
		}
	})
}
