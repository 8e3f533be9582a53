package api

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/goccy/go-yaml"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/ml-studio/ml-studio/pkg/httpclient"
	"github.com/ml-studio/ml-studio/pkg/server"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
)

// The parts of openapi.yaml the tests read.
type openapiDocument struct {
	OpenAPI string                                 `yaml:"openapi"`
	Paths   map[string]map[string]openapiOperation `yaml:"paths"`
}

type openapiOperation struct {
	OperationID string `yaml:"operationId"`
	Summary     string `yaml:"summary"`
	Description string `yaml:"description"`
	Parameters  []struct {
		Name     string `yaml:"name"`
		In       string `yaml:"in"`
		Required bool   `yaml:"required"`
	} `yaml:"parameters"`
	RequestBody struct {
		Content map[string]struct {
			Schema struct {
				Required   []string       `yaml:"required"`
				Properties map[string]any `yaml:"properties"`
			} `yaml:"schema"`
		} `yaml:"content"`
	} `yaml:"requestBody"`
	Responses map[string]struct {
		Ref   string                    `yaml:"$ref"`
		Links map[string]map[string]any `yaml:"links"`
	} `yaml:"responses"`
}

// params are the operation's parameters (query or JSON body), and which
// of them are required.
func (o openapiOperation) params() (all, required []string) {
	for _, p := range o.Parameters {
		all = append(all, p.Name)
		if p.Required {
			required = append(required, p.Name)
		}
	}
	if body, ok := o.RequestBody.Content["application/json"]; ok {
		for name := range body.Schema.Properties {
			all = append(all, name)
		}
		required = append(required, body.Schema.Required...)
	}
	slices.Sort(all)
	slices.Sort(required)
	return all, required
}

func loadOpenAPI(t *testing.T) openapiDocument {
	t.Helper()
	raw, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc openapiDocument
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	return doc
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

func routeSet(r *gin.Engine) map[string]bool {
	out := map[string]bool{}
	for _, rt := range r.Routes() {
		out[rt.Method+" "+ginParam.ReplaceAllString(rt.Path, "{$1}")] = true
	}
	return out
}

func testDeps() *Deps {
	hc := httpclient.New(httpclient.Defaults(), zap.NewNop())
	return &Deps{MLflow: mlflow.New("http://127.0.0.1:1", hc, hc), Access: access.NewAuthorizer(nil, 0),
		DefaultProject: "default", CerberusURL: "http://127.0.0.1:1", CerberusTransport: hc}
}

// TestOpenAPICoversOwnedRoutes compares the routes ml_studio owns — all it
// serves as production builds it, less MLflow's surface and the account
// routes relayed to cerberus (which the other documents describe) — with
// the document's operations, both ways.
func TestOpenAPICoversOwnedRoutes(t *testing.T) {
	srv := server.New(server.Config{}, zaptest.NewLogger(t), "ml_studio")
	Register(srv.Engine(), testDeps())
	owned := routeSet(srv.Engine())

	others := gin.New()
	h := handlers{Deps: *testDeps()}
	h.special = h.allSpecials()
	h.registerGateway(others)
	h.registerAIGateway(others)
	if err := registerAccount(others, "http://127.0.0.1:1", nil); err != nil {
		t.Fatal(err)
	}
	for k := range routeSet(others) {
		delete(owned, k)
	}
	documented := map[string]bool{}
	for path, ops := range loadOpenAPI(t).Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	for _, must := range []string{"GET /", "GET " + OpenAPIPath, "GET /healthz", "POST /api/experiments/create", "PUT /api/artifacts/upload"} {
		if !owned[must] {
			t.Errorf("ml_studio does not serve %s", must)
		}
	}
	tests := []struct {
		name       string
		have, want map[string]bool
	}{
		{"served but not documented", owned, documented},
		{"documented but not served", documented, owned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var missing []string
			for k := range tt.have {
				if !tt.want[k] {
					missing = append(missing, k)
				}
			}
			slices.Sort(missing)
			if len(missing) > 0 {
				t.Errorf("%s:\n  %s", tt.name, strings.Join(missing, "\n  "))
			}
		})
	}
}

// TestOpenAPIDescribesEveryOperation: each operation has an id, a summary
// and a description, every /api operation documents the errors a caller
// meets, and every link names an operation of the document.
func TestOpenAPIDescribesEveryOperation(t *testing.T) {
	doc := loadOpenAPI(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q, want 3.x", doc.OpenAPI)
	}
	ids := map[string]bool{}
	for _, ops := range doc.Paths {
		for _, op := range ops {
			if ids[op.OperationID] {
				t.Errorf("operationId %s twice", op.OperationID)
			}
			ids[op.OperationID] = true
		}
	}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			name := strings.ToUpper(method) + " " + path
			if op.OperationID == "" || op.Summary == "" || op.Description == "" {
				t.Errorf("%s needs an operationId, a summary and a description", name)
			}
			if strings.HasPrefix(path, "/api/") {
				for _, code := range []string{"200", "400", "401", "403", "404"} {
					if _, ok := op.Responses[code]; !ok {
						t.Errorf("%s does not document %s", name, code)
					}
				}
			}
			for code, resp := range op.Responses {
				for link, def := range resp.Links {
					if target, _ := def["operationId"].(string); !ids[target] {
						t.Errorf("%s %s: link %s names no operation (%v)", name, code, link, def["operationId"])
					}
				}
			}
		}
	}
}

// TestOpenAPIParametersMatchRoutes: a route mapping onto one MLflow call
// names its parameters in the route table; the document names the same,
// with the same ones required.
func TestOpenAPIParametersMatchRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	h := handlers{Deps: *testDeps()}
	checked := 0
	for _, rt := range h.routes() {
		if rt.fields == nil {
			continue // its handler reads its own parameters
		}
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			op, ok := doc.Paths["/api"+rt.path][strings.ToLower(rt.method)]
			if !ok {
				t.Fatal("not documented")
			}
			all, required := op.params()
			want, wantRequired := slices.Sorted(slices.Values(rt.fields)), slices.Sorted(slices.Values(rt.required))
			if !slices.Equal(all, want) {
				t.Errorf("documented parameters %v, the route takes %v", all, want)
			}
			if !slices.Equal(required, wantRequired) {
				t.Errorf("documented as required %v, the route requires %v", required, wantRequired)
			}
		})
		checked++
	}
	if checked < 30 {
		t.Fatalf("only %d routes name their parameters: is the route table read?", checked)
	}
}

// TestOpenAPIIsServed: GET /api/openapi.yaml answers the file, to anyone.
func TestOpenAPIIsServed(t *testing.T) {
	want, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, deps := range []*Deps{nil, testDeps()} {
		r := gin.New()
		Register(r, deps)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, OpenAPIPath, nil))
		if rec.Code != http.StatusOK || rec.Body.String() != string(want) {
			t.Fatalf("GET %s = %d, %d bytes; want 200 and the file (%d bytes)", OpenAPIPath, rec.Code, rec.Body.Len(), len(want))
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/yaml") {
			t.Errorf("Content-Type %q", ct)
		}
	}
}
