package mlflowapi

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/testenv"
)

// TestEndpointsMatchPinnedMLflow dumps the pinned server's endpoints again
// and compares them with the embedded endpoints.json: upgrading MLflow
// without regenerating it (python dump_endpoints.py > endpoints.json) fails
// here, showing every changed route. Under CI the pinned MLflow must be
// installed (make test installs it).
func TestEndpointsMatchPinnedMLflow(t *testing.T) {
	// The pinned MLflow: under CI its absence fails the test.
	python := testenv.MLflowPython(t)
	cmd := exec.Command(python, "dump_endpoints.py")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dump_endpoints.py: %v\n%s", err, stderr.String())
	}
	if !bytes.Equal(out, endpointsJSON) {
		fresh, err := Load(out)
		if err != nil {
			t.Fatal(err)
		}
		old := Pinned()
		seen := map[string]bool{}
		for _, e := range old.Endpoints {
			seen[e.Method+" "+e.Path] = true
		}
		for _, e := range fresh.Endpoints {
			if !seen[e.Method+" "+e.Path] {
				t.Errorf("new endpoint %s %s (%s)", e.Method, e.Path, e.Handler)
			}
			delete(seen, e.Method+" "+e.Path)
		}
		for k := range seen {
			t.Errorf("endpoint gone: %s", k)
		}
		t.Fatalf("endpoints.json is not what MLflow %s dumps: regenerate it with %s dump_endpoints.py > endpoints.json", fresh.Version, python)
	}
}

func TestPinnedLoads(t *testing.T) {
	s := Pinned()
	if len(s.Endpoints) < 300 || s.Version == "" {
		t.Fatalf("%d endpoints of MLflow %q", len(s.Endpoints), s.Version)
	}
	for name, fields := range s.Messages {
		for _, f := range fields {
			if f.Kind == "message" && s.Messages[f.Message] == nil && !strings.HasPrefix(f.Message, "google.protobuf.") {
				t.Errorf("%s.%s: nested message %s is not described", name, f.Name, f.Message)
			}
		}
	}
	handlers := map[string]bool{}
	for _, e := range s.Endpoints {
		handlers[e.Handler] = true
	}
	for h := range handlerFields {
		if !handlers[h] {
			t.Errorf("handlerFields names handler %s, which serves no endpoint", h)
		}
	}
	for h := range rawArgs {
		if !handlers[h] {
			t.Errorf("rawArgs names handler %s, which serves no endpoint", h)
		}
	}
}
