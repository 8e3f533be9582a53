package catalogue_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/catalogue"
)

// TestOperationsAreOrdered: the ordered operations come first, weakest
// first, with ordinals 1, 2, 3...; exactly one stands apart (ordinal 0).
func TestOperationsAreOrdered(t *testing.T) {
	apart := 0
	for i, o := range catalogue.Operations {
		switch {
		case o.Ordinal == 0:
			apart++
		case o.Ordinal != i+1:
			t.Errorf("operation %q at %d has ordinal %d, want %d", o.Name, i, o.Ordinal, i+1)
		}
		if got, ok := catalogue.OperationNamed(o.Name); !ok || got != o {
			t.Errorf("OperationNamed(%q) = %v, %v", o.Name, got, ok)
		}
	}
	if apart != 1 || catalogue.Operations[len(catalogue.Operations)-1].Ordinal != 0 {
		t.Errorf("want one operation standing apart, last: %v", catalogue.Operations)
	}
	if got := strings.Join(catalogue.Ordered(), " < "); got != "use < read < edit < manage" {
		t.Errorf("ordered operations: %s", got)
	}
}

func TestKindsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range catalogue.Kinds {
		if seen[k.Name] || k.Name == "" || strings.ContainsAny(k.Name, ":* ") {
			t.Errorf("kind %q: empty, repeated or holding ':', '*' or a space", k.Name)
		}
		seen[k.Name] = true
		if got, ok := catalogue.KindNamed(k.Name); !ok || got != k {
			t.Errorf("KindNamed(%q) = %v, %v", k.Name, got, ok)
		}
	}
	if _, ok := catalogue.KindNamed("run"); ok {
		t.Error("KindNamed found a kind that is not declared")
	}
}

var update = flag.Bool("update", false, "rewrite ui/src/api/catalogue.ts")

// TestUICatalogue: the UI's copy of the catalogue is generated from it
// (make docs rewrites it).
func TestUICatalogue(t *testing.T) {
	path := filepath.Join("..", "..", "ui", "src", "api", "catalogue.ts")
	want := typeScript()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(have) != want {
		t.Fatalf("%s is out of date; run `make docs`.\n--- want\n%s", path, want)
	}
}

func typeScript() string {
	var b strings.Builder
	b.WriteString("// Generated from pkg/catalogue by `make docs`; do not edit.\n\n")
	b.WriteString("/** Every operation a grant may carry. */\n")
	fmt.Fprintf(&b, "export const OPERATIONS = [%s] as const;\n", quoted(catalogue.OperationNames()))
	b.WriteString("export type Operation = (typeof OPERATIONS)[number];\n\n")
	b.WriteString("/** The operations that include one another, weakest first. */\n")
	fmt.Fprintf(&b, "export const ORDERED: Operation[] = [%s];\n\n", quoted(catalogue.Ordered()))
	b.WriteString("/** The rank of an ordered operation: a grant allows every operation of a lower rank. */\n")
	b.WriteString("export const RANK: Record<string, number> = {")
	for i, o := range catalogue.Ordered() {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " %s: %d", o, i+1)
	}
	b.WriteString(" };\n\n")
	b.WriteString("/** What a grant of each operation allows. */\n")
	b.WriteString("export const MEANINGS: Record<Operation, string> = {\n")
	for _, o := range catalogue.Operations {
		fmt.Fprintf(&b, "  %s: %q,\n", o.Name, o.Meaning)
	}
	b.WriteString("};\n\n")
	b.WriteString("/** Element kinds (`<kind>:<key>`) in words. */\n")
	b.WriteString("export const KIND_WORDS: Record<string, string> = {\n")
	for _, k := range catalogue.Kinds {
		fmt.Fprintf(&b, "  %s: %q,\n", k.Name, k.Word)
	}
	b.WriteString("};\n")
	return b.String()
}

func quoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return strings.Join(q, ", ")
}
