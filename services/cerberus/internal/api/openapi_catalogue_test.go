package api_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ml-studio/ml-studio/pkg/catalogue"
)

// TestOpenAPINamesTheCatalogue: every list of operations or element kinds
// in openapi.yaml is pkg/catalogue's (the ordered operations where only
// those are meant), and every element-name pattern takes exactly its kinds.
func TestOpenAPINamesTheCatalogue(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	kinds, ops, ordered := catalogue.KindNames(), catalogue.OperationNames(), catalogue.Ordered()
	kindPattern := "(" + strings.Join(kinds, "|") + "):"
	var enums, patterns int
	var walk func(where string, s *openapi3.Schema)
	seen := map[*openapi3.Schema]bool{}
	walk = func(where string, s *openapi3.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		if len(s.Enum) > 0 {
			var vals []string
			for _, v := range s.Enum {
				if str, ok := v.(string); ok {
					vals = append(vals, str)
				}
			}
			switch {
			case slices.Contains(vals, "read") || slices.Contains(vals, "create"):
				enums++
				if !slices.Equal(vals, ops) && !slices.Equal(vals, ordered) {
					t.Errorf("%s: operations %v, want %v or %v", where, vals, ops, ordered)
				}
			case slices.Contains(vals, "experiment"):
				enums++
				if !slices.Equal(vals, kinds) {
					t.Errorf("%s: kinds %v, want %v", where, vals, kinds)
				}
			}
		}
		if strings.Contains(s.Pattern, "experiment") {
			patterns++
			if !strings.Contains(s.Pattern, kindPattern) {
				t.Errorf("%s: pattern %s does not take exactly the kinds %v", where, s.Pattern, kinds)
			}
		}
		for name, p := range s.Properties {
			walk(where+"."+name, p.Value)
		}
		if s.Items != nil {
			walk(where+"[]", s.Items.Value)
		}
	}
	for name, ref := range doc.Components.Schemas {
		walk(name, ref.Value)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value != nil && p.Value.Schema != nil {
					walk(method+" "+path+" ?"+p.Value.Name, p.Value.Schema.Value)
				}
			}
		}
	}
	if enums < 5 || patterns < 2 {
		t.Fatalf("found %d enums of operations or kinds and %d element patterns: the walk misses the document", enums, patterns)
	}
}
