package access_test

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflowgql"
)

// TestGraphQLFieldsMatchSchema: every root field of the pinned MLflow's
// GraphQL schema has a rule (a new one fails here until it is decided),
// every rule names a real field, and its argument paths are real input
// fields of the type its target reads: one String id, or a list of them.
func TestGraphQLFieldsMatchSchema(t *testing.T) {
	s := mlflowgql.Pinned()
	roots := map[string]*ast.Definition{"Query": s.Query, "Mutation": s.Mutation}
	for name, def := range roots {
		for _, f := range def.Fields {
			if _, ok := access.GraphQLFields[name+"."+f.Name]; !ok {
				t.Errorf("%s.%s: no rule in access.GraphQLFields", name, f.Name)
			}
		}
		if _, ok := access.GraphQLFields[name+".__typename"]; !ok {
			t.Errorf("%s.__typename: no rule", name)
		}
	}
	for key, rule := range access.GraphQLFields {
		root, field, _ := strings.Cut(key, ".")
		def := roots[root]
		if def == nil {
			t.Errorf("%s: no root type %s", key, root)
			continue
		}
		if field == "__typename" {
			continue
		}
		fd := def.Fields.ForName(field)
		if fd == nil {
			t.Errorf("%s: MLflow's schema has no such field", key)
			continue
		}
		if rule.Op != access.Read {
			t.Errorf("%s: %s; every field MLflow serves over GraphQL only reads", key, rule.Op)
		}
		want := map[access.Target]string{
			access.ByExperiment: "String", access.ByRun: "String", access.Special: "String",
			access.ByRunList: "[String]", access.ByExperimentList: "[String]", access.SignedIn: "",
		}
		kind, ok := want[rule.Target]
		if !ok {
			t.Errorf("%s: target %d is not one the GraphQL handler knows", key, rule.Target)
			continue
		}
		for _, path := range []string{rule.Arg, rule.Alias} {
			if path == "" {
				if path == rule.Arg && kind != "" {
					t.Errorf("%s: no argument names its element", key)
				}
				continue
			}
			if got := argType(s, fd, path); got != kind {
				t.Errorf("%s: %s is %q, want %q", key, path, got, kind)
			}
		}
	}
}

// argType is the type of an argument path ("input.runId") of a field.
func argType(s *ast.Schema, fd *ast.FieldDefinition, path string) string {
	arg, field, nested := strings.Cut(path, ".")
	ad := fd.Arguments.ForName(arg)
	if ad == nil {
		return "no argument " + arg
	}
	typ := ad.Type
	if nested {
		in := s.Types[typ.Name()]
		if in == nil || in.Fields.ForName(field) == nil {
			return "no input field " + field
		}
		typ = in.Fields.ForName(field).Type
	}
	return typ.String()
}

// TestGraphQLModelListsAreEveryVersionList: every field of the schema
// holding model versions is filtered in MLflow's answer, so a new path to
// them (an MLflow upgrade) fails here rather than showing versions of
// models the caller may not read.
func TestGraphQLModelListsAreEveryVersionList(t *testing.T) {
	s := mlflowgql.Pinned()
	seen := map[string]bool{}
	for name, def := range s.Types {
		for _, f := range def.Fields {
			if f.Type.Name() != "MlflowModelVersion" {
				continue
			}
			key := name + "." + f.Name
			seen[key] = true
			if !access.GraphQLModelLists[key] {
				t.Errorf("%s holds model versions and is not filtered", key)
			}
			if f.Type.Elem == nil {
				t.Errorf("%s: a single version, which the answer's filter does not handle", key)
			}
		}
	}
	for key := range access.GraphQLModelLists {
		if !seen[key] {
			t.Errorf("%s: no such list of model versions", key)
		}
	}
	if s.Types["MlflowModelVersion"].Fields.ForName("name") == nil {
		t.Fatal("model versions have no name to filter them by")
	}
}
