package mlflowgql

import (
	"bytes"
	"os/exec"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/testenv"
)

// TestSchemaMatchesPinnedMLflow dumps the pinned server's GraphQL schema
// again and compares it with the embedded schema.graphql: upgrading MLflow
// without regenerating it (python dump_schema.py > schema.graphql) fails
// here, so every new field is decided in access.GraphQLFields. Under CI
// the pinned MLflow must be installed (make test installs it).
func TestSchemaMatchesPinnedMLflow(t *testing.T) {
	// The pinned MLflow: under CI its absence fails the test.
	python := testenv.MLflowPython(t)
	cmd := exec.Command(python, "dump_schema.py")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dump_schema.py: %v\n%s", err, stderr.String())
	}
	if !bytes.Equal(out, []byte(schemaSDL)) {
		t.Fatalf("schema.graphql is not what the pinned MLflow dumps: regenerate it with %s dump_schema.py > schema.graphql and decide every new field in access.GraphQLFields\n--- dumped:\n%s", python, out)
	}
}

func TestPinnedLoads(t *testing.T) {
	s := Pinned()
	if s.Query == nil || s.Mutation == nil || s.Subscription != nil {
		t.Fatalf("root types: query %v, mutation %v, subscription %v", s.Query != nil, s.Mutation != nil, s.Subscription != nil)
	}
	// Every type is an object, input, enum or scalar: no interface or
	// union, so a fragment always applies where it is spread (sameType).
	for name, def := range s.Types {
		if def.Kind == "INTERFACE" || def.Kind == "UNION" {
			t.Errorf("type %s is an %s", name, def.Kind)
		}
	}
}
