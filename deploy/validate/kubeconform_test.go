package validate

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/yannh/kubeconform/pkg/resource"
	"github.com/yannh/kubeconform/pkg/validator"
)

// The Kubernetes versions the chart is checked against: the oldest its
// Chart.yaml accepts and the newest the schemas cover.
var kubeconformVersions = []string{"1.25.0", "1.37.0"}

// kubeSchemas is the folder of JSON schemas per Kubernetes version
// (v1.33.0-local-strict/deployment-apps-v1.json, ...) that the PyPI package
// kubernetes-validate ships; make test-deploy installs it under bin/tools.
func kubeSchemas(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("KUBE_SCHEMAS"); d != "" {
		return d
	}
	m, _ := filepath.Glob(repoPath("bin", "tools", "kubernetes-validate-*", "kubernetes_validate", "kubernetes-json-schema"))
	if len(m) == 0 {
		missing(t, "the Kubernetes JSON schemas are not installed (set KUBE_SCHEMAS, or run make test-deploy, which installs them)")
	}
	sort.Strings(m)
	return m[len(m)-1]
}

// kubeconform validates YAML documents with kubeconform's library, strict
// (no field the schema lacks), every kind must have a schema. The schemas
// are served from a loopback server, their "$id" (https://kubernetes.io/api/...)
// moved onto it, so that their references to /api/_definitions.json reach
// the version's own definitions there and nothing is fetched from outside.
func kubeconform(t *testing.T, version string) func(name string, doc []byte) []string {
	t.Helper()
	dir := filepath.Join(kubeSchemas(t), "v"+version+"-local-strict")
	if _, err := os.Stat(filepath.Join(dir, "_definitions.json")); err != nil {
		t.Fatalf("schemas of Kubernetes %s: %v", version, err)
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := filepath.Base(r.URL.Path)
		if r.URL.Path == "/api/_definitions.json" {
			name = "_definitions.json"
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bytes.ReplaceAll(b, []byte(`"$id": "https://kubernetes.io/api/`), []byte(`"$id": "`+srv.URL+`/api/`)))
	}))
	t.Cleanup(srv.Close)
	v, err := validator.New([]string{srv.URL + "/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"},
		validator.Opts{KubernetesVersion: version, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	return func(name string, doc []byte) []string {
		res := v.ValidateResource(resource.Resource{Path: name, Bytes: doc})
		switch res.Status {
		case validator.Valid:
			return nil
		case validator.Empty:
			return []string{"empty document"}
		}
		var errs []string
		for _, e := range res.ValidationErrors {
			errs = append(errs, e.Path+": "+e.Msg)
		}
		if len(errs) == 0 && res.Err != nil {
			errs = append(errs, res.Err.Error())
		}
		return errs
	}
}

// documents splits helm template's output into its non-empty documents.
func documents(out []byte) [][]byte {
	var docs [][]byte
	for _, d := range strings.Split(string(out), "\n---") {
		if !isEmptyYAML([]byte(d)) {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

// Every scenario's rendered chart is valid for the Kubernetes versions the
// chart supports, as kubeconform -strict sees it: required fields, types,
// enums and formats of the API's own OpenAPI schemas.
func TestHelmKubeconform(t *testing.T) {
	helm := helmBin(t)
	for _, version := range kubeconformVersions {
		check := kubeconform(t, version)
		for _, s := range scenarios {
			t.Run(version+"/"+s.name, func(t *testing.T) {
				out, err := HelmTemplate(helm, chartDir(), release, namespace, append([]string{"--kube-version", version}, s.args()...)...)
				if err != nil {
					t.Fatal(err)
				}
				docs := documents(out)
				if len(docs) < 10 {
					t.Fatalf("%d documents rendered", len(docs))
				}
				for _, d := range docs {
					for _, e := range check(sourceOf(d), d) {
						t.Errorf("%s: %s", sourceOf(d), e)
					}
				}
			})
		}
	}
}

// The check itself rejects what a cluster would: a missing required field,
// a field no schema knows, a value of the wrong type, an unknown kind.
func TestKubeconformRejects(t *testing.T) {
	check := kubeconform(t, kubeconformVersions[0])
	const pdb = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: x\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels: {a: b}\n"
	for _, tt := range []struct {
		name, doc string
		valid     bool
	}{
		{"a valid PodDisruptionBudget", pdb, true},
		{"an unknown field", strings.Replace(pdb, "minAvailable", "minAvaliable", 1), false},
		{"a container without a name", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n    - image: x:1\n", false},
		{"a port of the wrong type", "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  ports:\n    - port: http\n", false},
		{"a NetworkPolicy port that is neither a number nor a name", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: x\nspec:\n  podSelector: {}\n  ingress:\n    - ports:\n        - port: {number: 80}\n", false},
		{"an unknown kind", "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: x\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			errs := check(tt.name, []byte(tt.doc))
			if (len(errs) == 0) != tt.valid {
				t.Errorf("errors %v, want valid=%v", errs, tt.valid)
			}
		})
	}
}

// Every values file shipped under the chart's ci/ folder is a scenario, so
// each is rendered, linted and validated.
func TestHelmValuesFilesAreScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(chartDir(), "ci", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no values files under ci/: %v", err)
	}
	for _, f := range files {
		rel := "ci/" + filepath.Base(f)
		found := false
		for _, s := range scenarios {
			for _, v := range s.values {
				found = found || v == rel
			}
		}
		if !found {
			t.Errorf("%s is in no scenario of helm_test.go", rel)
		}
	}
}
