// Package mlflowgql reads a GraphQL call the way the pinned MLflow's
// graphene server will, so ml_studio can authorize it field by field and
// forward exactly what it checked.
//
// schema.graphql is MLflow's own schema, dumped from the pinned server
// (dump_schema.py) and checked against it by a test. Read takes a request
// body apart strictly; Prepare parses the document, validates all of it
// against the schema, picks the one operation graphene would run, puts the
// variables' values in place, expands fragments and evaluates @skip and
// @include, and bounds the result. Print writes that operation back as the
// only document MLflow is sent: no variables, fragments or directives left
// for MLflow to read differently from ml_studio.
package mlflowgql

import (
	_ "embed"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

//go:embed schema.graphql
var schemaSDL string

// Pinned is the GraphQL schema of the MLflow version ml_studio is built
// against.
var Pinned = sync.OnceValue(func() *ast.Schema {
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: schemaSDL})
	if err != nil {
		panic(err) // the embedded file is checked by the package's tests
	}
	return s
})
