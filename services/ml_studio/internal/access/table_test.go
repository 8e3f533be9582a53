package access_test

import (
	"flag"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflowapi"
)

// TestRulesNameRealEndpoints: every rule is for an endpoint the pinned
// MLflow serves (with {id} for its path parameters), so a rule cannot
// silently guard a path nobody calls while the real one goes unchecked.
func TestRulesNameRealEndpoints(t *testing.T) {
	spec := mlflowapi.Pinned()
	for key := range access.Rules {
		method, path, _ := strings.Cut(key, " ")
		probe := strings.NewReplacer("{id}", "x", "{path}", "1/x/artifacts/f").Replace(path)
		ajax := strings.Replace(probe, "/api/", "/ajax-api/", 1)
		e, _, ok := spec.Lookup(method, probe)
		_, _, twin := spec.Lookup(method, ajax)
		switch {
		case !ok && twin && strings.HasPrefix(path, "/api/"):
			// an /ajax-api endpoint without a REST twin, looked up by its REST spelling
		case !ok:
			t.Errorf("rule %q: MLflow %s serves no such endpoint", key, spec.Version)
		case !twin && strings.HasPrefix(path, "/api/"):
			t.Errorf("rule %q: no /ajax-api twin (handler %s)", key, e.Handler)
		}
	}
	paths := map[string][]string{}
	for key, refs := range access.Also {
		for _, ref := range refs {
			paths[key] = append(paths[key], ref.Path)
		}
	}
	for key, path := range access.Params {
		paths[key] = append(paths[key], path)
	}
	for key, list := range paths {
		if _, ok := access.Rules[key]; !ok {
			t.Errorf("Also or Params name %q, which has no rule", key)
			continue
		}
		method, path, _ := strings.Cut(key, " ")
		e, _, _ := spec.Lookup(method, strings.ReplaceAll(path, "{id}", "x"))
		for _, p := range list {
			fields := spec.Fields(e.Message)
			for _, name := range strings.Split(p, ".") {
				f, ok := fieldOf(fields, name)
				if !ok {
					t.Errorf("%s: %q: no field %q", key, p, name)
					break
				}
				fields = spec.Fields(f.Message)
			}
		}
	}
}

func fieldOf(fields []mlflowapi.Field, name string) (mlflowapi.Field, bool) {
	for _, f := range fields {
		if f.Name == name {
			return f, true
		}
	}
	return mlflowapi.Field{}, false
}

// TestEveryEndpointIsMappedOrRefused: each (method, path) of the pinned
// server, /ajax-api twins included, has a rule or is refused on purpose
// with a reason. An MLflow upgrade that adds routes fails here until each
// is decided.
func TestEveryEndpointIsMappedOrRefused(t *testing.T) {
	for _, e := range mlflowapi.Pinned().Endpoints {
		probe := strings.NewReplacer("<path:artifact_path>", "1/x/artifacts/f").Replace(e.Path)
		probe = regexp.MustCompile(`<[^>]+>`).ReplaceAllString(probe, "x")
		m := access.Lookup(e.Method, probe)
		if m.Rule.Target == access.Refused && m.Reason == "" {
			t.Errorf("%s %s (%s): neither mapped nor refused on purpose", e.Method, e.Path, e.Handler)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the table of refused endpoints in README.md")

// TestREADMEListsRefusals: README's table of refused endpoints is
// access.Refusals, a row per reason (make docs rewrites it).
func TestREADMEListsRefusals(t *testing.T) {
	var b strings.Builder
	b.WriteString("| paths (and their `/ajax-api` twins) | why |\n|---|---|\n")
	refusals := access.Refusals
	for i := 0; i < len(refusals); {
		var paths []string
		j := i
		for ; j < len(refusals) && refusals[j].Reason == refusals[i].Reason; j++ {
			paths = append(paths, "`"+refusals[j].Prefix+"…`")
		}
		fmt.Fprintf(&b, "| %s | %s |\n", strings.Join(paths, ", "), refusals[i].Reason)
		i = j
	}
	testenv.CheckDocSection(t, "README.md", "refusals", b.String(), *update)
}
