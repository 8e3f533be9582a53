package mlflowgql

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/testenv"
)

// readInGraphene parses and validates each document (one JSON string a
// line on stdin) with the pinned MLflow's graphql-core against MLflow's own
// schema, and prints a JSON line for each: the validation errors, and every
// string value in document order as graphql-core decoded it.
const readInGraphene = `
import json, sys
from graphql import parse, validate
from graphql.language import Visitor, visit
from mlflow.server.graphql.graphql_schema_extensions import schema

class Strings(Visitor):
    def __init__(self):
        super().__init__()
        self.values = []
    def enter_string_value(self, node, *_):
        self.values.append(node.value)

for line in sys.stdin:
    doc = parse(json.loads(line))
    errors = [e.message for e in validate(schema.graphql_schema, doc)]
    v = Strings()
    visit(doc, v)
    print(json.dumps({"errors": errors, "strings": v.values, "operations": len(doc.definitions)}))
`

// TestPrintedDocumentsReadTheSameInGraphene: what ml_studio sends MLflow
// validates in MLflow's own graphql-core against its schema, holds one
// operation, and its string values decode there to exactly the strings
// ml_studio authorized: quotes, backslashes, control characters and
// characters beyond the BMP included.
func TestPrintedDocumentsReadTheSameInGraphene(t *testing.T) {
	// The pinned MLflow: under CI its absence fails the test.
	python := testenv.MLflowPython(t)
	bodies := []string{
		gql(`query($r: String) { mlflowGetRun(input: {runId: $r}) { run { info { runId } } } }`, `{"r":"a\"b\\c\n\t\u0001\u007f é 😀 \u2028 \\u0041 \\\\"}`, ""),
		gql(`{ test(inputString: "\u00e9\ud83d\ude00 \\ \" \/ \b\f\n\r\t") { output } }`, "", ""),
		gql("{ test(inputString: \"\"\"\n   block \\\"\"\" \"quoted\" \\n\n  second\n\"\"\") { output } }", "", ""),
		gql(`{ mlflowSearchModelVersions(input: {filter: "name = 'it''s'"}) { modelVersions { name } } }`, "", ""),
	}
	for _, tt := range prepareCases {
		bodies = append(bodies, gql(tt.query, tt.vars, tt.opName))
	}
	var in bytes.Buffer
	var want [][]string
	for _, body := range bodies {
		op, err := prepare(body)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		doc, _ := json.Marshal(op.Print())
		in.Write(doc)
		in.WriteByte('\n')
		var strs []string
		var collect func(v Value)
		collect = func(v Value) {
			switch v.Kind {
			case String:
				strs = append(strs, v.Text)
			case List:
				for _, item := range v.List {
					collect(item)
				}
			case Object:
				for _, f := range v.Fields {
					collect(f.Value)
				}
			}
		}
		var walk func(fields []*Field)
		walk = func(fields []*Field) {
			for _, f := range fields {
				for _, a := range f.Args {
					collect(a.Value)
				}
				walk(f.Fields)
			}
		}
		walk(op.Fields)
		want = append(want, strs)
	}
	cmd := exec.Command(python, "-c", readInGraphene)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("graphql-core: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(bodies) {
		t.Fatalf("graphql-core read %d documents of %d", len(lines), len(bodies))
	}
	for i, line := range lines {
		var got struct {
			Errors     []string `json:"errors"`
			Strings    []string `json:"strings"`
			Operations int      `json:"operations"`
		}
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Errors) > 0 || got.Operations != 1 {
			t.Errorf("%s: graphql-core finds %d operations, errors %v", bodies[i], got.Operations, got.Errors)
		}
		g, _ := json.Marshal(got.Strings)
		w, _ := json.Marshal(want[i])
		if want[i] == nil {
			w = []byte("[]")
		}
		if !bytes.Equal(g, w) {
			t.Errorf("%s: graphql-core reads the strings %s, ml_studio authorized %s", bodies[i], g, w)
		}
	}
}
