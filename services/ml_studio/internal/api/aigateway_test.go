package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/catalogue"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/cerberus"
)

// registry is a cerberus registrar that records what it registers.
type registry struct {
	mu         sync.Mutex
	registered []string
}

func (r *registry) Register(_ context.Context, _ cerberus.Credential, name, parent string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.registered = append(r.registered, name+" in "+parent)
	return nil
}

func (r *registry) Rename(context.Context, cerberus.Credential, string, string) error { return nil }

func (r *registry) Unregister(context.Context, cerberus.Credential, string) error { return nil }

// levels is a cerberus that decides by a grant per element, the ordered
// operations including the ones below them as pkg/catalogue orders them.
type levels map[string]string

func (g levels) Authorize(_ context.Context, _ cerberus.Credential, element, op string) (cerberus.Decision, error) {
	held, ok := g[element]
	want, _ := catalogue.OperationNamed(op)
	have, _ := catalogue.OperationNamed(held)
	allowed := ok && (held == op || (want.Ordinal > 0 && have.Ordinal >= want.Ordinal))
	return cerberus.Decision{Allowed: allowed, User: &cerberus.User{ID: 2, Username: "bob"}}, nil
}

func (g levels) AuthorizeBatch(ctx context.Context, cred cerberus.Credential, elements []string, op string) (map[string]cerberus.Decision, error) {
	out := map[string]cerberus.Decision{}
	for _, e := range elements {
		out[e], _ = g.Authorize(ctx, cred, e, op)
	}
	return out, nil
}

func (g levels) Readable(_ context.Context, _ cerberus.Credential, kind, op string) (cerberus.Readable, error) {
	r := cerberus.Readable{}
	for e := range g {
		if d, _ := g.Authorize(context.Background(), "", e, op); d.Allowed && strings.HasPrefix(e, kind+":") {
			r.Names = append(r.Names, e)
		}
	}
	return r, nil
}

// gatewayMLflow answers the AI gateway's configuration calls with objects
// of alice's (endpoint chat, e-chat, routing to definition d-1 paid by
// secret s-1; endpoint other, e-other) and records the rest.
type gatewayMLflow struct {
	mu      sync.Mutex
	calls   []*http.Request
	bodies  []string
	headers []http.Header
}

const chatEndpoint = `{"endpoint_id":"e-chat","name":"chat","model_mappings":[{"mapping_id":"m-1","model_definition_id":"d-1",` +
	`"model_definition":{"model_definition_id":"d-1","name":"gpt","secret_id":"s-1","secret_name":"alice-key","provider":"openai"}}]}`

func (m *gatewayMLflow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/3.0/mlflow/gateway/endpoints/get":
		switch r.URL.Query().Get("name") + r.URL.Query().Get("endpoint_id") {
		case "chat", "e-chat":
			_, _ = w.Write([]byte(`{"endpoint":` + chatEndpoint + `}`))
		case "other":
			_, _ = w.Write([]byte(`{"endpoint":{"endpoint_id":"e-other","name":"other"}}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"no such endpoint"}`))
		}
		return
	case r.Method == http.MethodGet && r.URL.Path == "/api/3.0/mlflow/gateway/endpoints/list":
		_, _ = w.Write([]byte(`{"endpoints":[` + chatEndpoint + `,{"endpoint_id":"e-other","name":"other"}]}`))
		return
	case r.Method == http.MethodGet && r.URL.Path == "/gateway/mlflow/v1/models":
		_, _ = w.Write([]byte(`{"object":"list","data":[{"id":"chat","object":"model"},{"id":"other","object":"model"}]}`))
		return
	case r.Method == http.MethodGet && r.URL.Path == "/api/2.0/mlflow/experiments/get-by-name":
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"no experiment"}`))
		return
	}
	body, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	m.calls, m.bodies, m.headers = append(m.calls, r), append(m.bodies, string(body)), append(m.headers, r.Header.Clone())
	m.mu.Unlock()
	switch {
	case strings.HasSuffix(r.URL.Path, "/secrets/create"):
		_, _ = w.Write([]byte(`{"secret":{"secret_id":"s-new","secret_name":"k","masked_values":{"api_key":"sk-...xyz"}}}`))
	case strings.HasSuffix(r.URL.Path, "/model-definitions/create"):
		_, _ = w.Write([]byte(`{"model_definition":{"model_definition_id":"d-new","secret_id":"s-1","secret_name":"alice-key"}}`))
	case strings.HasSuffix(r.URL.Path, "/endpoints/create"):
		_, _ = w.Write([]byte(`{"endpoint":{"endpoint_id":"e-new","name":"mine","experiment_id":"42"}}`))
	default:
		_, _ = w.Write([]byte(`{"ok":true}`))
	}
}

func (m *gatewayMLflow) take() ([]string, []string, []http.Header) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, r := range m.calls {
		out = append(out, r.Method+" "+r.URL.RequestURI())
	}
	bodies, headers := m.bodies, m.headers
	m.calls, m.bodies, m.headers = nil, nil, nil
	return out, bodies, headers
}

func send(t *testing.T, h http.Handler, method, target, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer mlt_bob")
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestGatewayInvocationNeedsUse: an invocation goes on when bob may use
// the endpoint it names (in the path, or the body's model), as MLflow
// resolves that name; its body byte for byte, none of bob's headers.
func TestGatewayInvocationNeedsUse(t *testing.T) {
	const chat = `{"model":"chat","messages":[{"role":"user","content":"hi"}]}`
	tests := []struct {
		name, method, target, body string
		levels                     levels
		header                     []string
		status                     int
		forwarded                  string // the call MLflow gets, "" for none
	}{
		{"invocations with use", "POST", "/gateway/chat/mlflow/invocations", `{"messages":[]}`, levels{"gateway_endpoint:e-chat": "use"}, nil, 200, "POST /gateway/chat/mlflow/invocations"},
		{"invocations with read (which includes use)", "POST", "/gateway/chat/mlflow/invocations", `{"messages":[]}`, levels{"gateway_endpoint:e-chat": "read"}, nil, 200, "POST /gateway/chat/mlflow/invocations"},
		{"invocations without a grant", "POST", "/gateway/chat/mlflow/invocations", `{"messages":[]}`, levels{}, nil, 403, ""},
		{"use on another endpoint", "POST", "/gateway/chat/mlflow/invocations", `{"messages":[]}`, levels{"gateway_endpoint:e-other": "manage"}, nil, 403, ""},
		{"an endpoint that does not exist", "POST", "/gateway/nope/mlflow/invocations", `{"messages":[]}`, levels{"gateway_endpoint:e-chat": "use"}, nil, 404, ""},
		{"chat completions by the body's model", "POST", "/gateway/mlflow/v1/chat/completions", chat, levels{"gateway_endpoint:e-chat": "use"}, nil, 200, "POST /gateway/mlflow/v1/chat/completions"},
		{"openai passthrough", "POST", "/gateway/openai/v1/chat/completions", chat, levels{"gateway_endpoint:e-chat": "use"}, nil, 200, "POST /gateway/openai/v1/chat/completions"},
		{"anthropic passthrough without a grant", "POST", "/gateway/anthropic/v1/messages", chat, levels{}, nil, 403, ""},
		{"the model given twice", "POST", "/gateway/mlflow/v1/chat/completions", `{"model":"other","model":"chat"}`, levels{"gateway_endpoint:e-chat": "use"}, nil, 400, ""},
		{"an escaped key naming the model twice", "POST", "/gateway/mlflow/v1/chat/completions", `{"model":"other","mod\u0065l":"chat"}`, levels{"gateway_endpoint:e-chat": "use"}, nil, 400, ""},
		{"no model", "POST", "/gateway/openai/v1/embeddings", `{"input":"x"}`, levels{"gateway_endpoint:e-chat": "use"}, nil, 400, ""},
		{"a model that is no name", "POST", "/gateway/openai/v1/embeddings", `{"model":"chat/../x","input":"x"}`, levels{"gateway_endpoint:e-chat": "use"}, nil, 400, ""},
		{"a model that is not a string", "POST", "/gateway/openai/v1/embeddings", `{"model":["chat"],"input":"x"}`, levels{"gateway_endpoint:e-chat": "use"}, nil, 400, ""},
		{"a body that is not an object", "POST", "/gateway/openai/v1/responses", `["chat"]`, levels{"gateway_endpoint:e-chat": "use"}, nil, 400, ""},
		{"trailing data", "POST", "/gateway/openai/v1/responses", chat + `{}`, levels{"gateway_endpoint:e-chat": "use"}, nil, 400, ""},
		{"a compressed body", "POST", "/gateway/openai/v1/responses", chat, levels{"gateway_endpoint:e-chat": "use"}, []string{"Content-Encoding", "zstd"}, 415, ""},
		{"gemini by the path", "POST", "/gateway/gemini/v1beta/models/chat:generateContent", `{"contents":[]}`, levels{"gateway_endpoint:e-chat": "use"}, nil, 200, "POST /gateway/gemini/v1beta/models/chat:generateContent"},
		{"gemini without a grant", "POST", "/gateway/gemini/v1beta/models/chat:streamGenerateContent", `{"contents":[]}`, levels{}, nil, 403, ""},
		{"the raw proxy needs manage", "POST", "/gateway/proxy/chat/v1/files?purpose=x", chat, levels{"gateway_endpoint:e-chat": "edit"}, nil, 403, ""},
		{"the raw proxy with manage", "POST", "/gateway/proxy/chat/v1/files?purpose=x", chat, levels{"gateway_endpoint:e-chat": "manage"}, nil, 200, "POST /gateway/proxy/chat/v1/files?purpose=x"},
		{"a path two routes match", "POST", "/gateway/proxy/mlflow/invocations", chat, levels{"gateway_endpoint:e-chat": "manage"}, nil, 403, ""},
		{"a method MLflow does not serve", "GET", "/gateway/chat/mlflow/invocations", "", levels{"gateway_endpoint:e-chat": "manage"}, nil, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &gatewayMLflow{}
			srv := studioOn(t, fake, tt.levels)
			header := append([]string{"X-MLflow-Guardrail-Bypass", "1", "X-Mlflow-Workspace", "w"}, tt.header...)
			w := send(t, srv.Engine(), tt.method, tt.target, tt.body, header...)
			calls, bodies, headers := fake.take()
			if w.Code != tt.status {
				t.Fatalf("answered %d %s, want %d", w.Code, w.Body, tt.status)
			}
			if tt.forwarded == "" {
				if len(calls) > 0 {
					t.Fatalf("MLflow received %v", calls)
				}
				return
			}
			if len(calls) != 1 || calls[0] != tt.forwarded || bodies[0] != tt.body {
				t.Fatalf("MLflow received %v %q, want %s %q", calls, bodies, tt.forwarded, tt.body)
			}
			for _, h := range []string{"Authorization", "X-MLflow-Guardrail-Bypass", "X-Mlflow-Workspace"} {
				if v := headers[0].Get(h); v != "" {
					t.Errorf("MLflow received %s: %s", h, v)
				}
			}
		})
	}
}

// TestGatewayObjectsAreFilteredAndRedacted: lists keep what bob may read;
// what an answer embeds of a model definition or secret he may not read is
// withheld.
func TestGatewayObjectsAreFilteredAndRedacted(t *testing.T) {
	fake := &gatewayMLflow{}
	srv := studioOn(t, fake, levels{"gateway_endpoint:e-chat": "read", "gateway_endpoint:e-other": "use"})
	w := send(t, srv.Engine(), "GET", "/api/3.0/mlflow/gateway/endpoints/list", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"e-chat"`) || strings.Contains(w.Body.String(), `"e-other"`) {
		t.Fatalf("list: %d %s, want e-chat only (use is not read)", w.Code, w.Body)
	}
	for _, hidden := range []string{"alice-key", "s-1", `"provider":"openai"`} {
		if strings.Contains(w.Body.String(), hidden) {
			t.Errorf("list shows %s of a model definition bob may not read: %s", hidden, w.Body)
		}
	}
	if !strings.Contains(w.Body.String(), `"model_definition_id":"d-1"`) {
		t.Errorf("list lost the mapping's definition id: %s", w.Body)
	}
	w = send(t, srv.Engine(), "GET", "/api/3.0/mlflow/gateway/endpoints/get?name=other", "")
	if w.Code != 403 {
		t.Fatalf("get by name of an endpoint bob may only use: %d %s", w.Code, w.Body)
	}
	w = send(t, srv.Engine(), "GET", "/gateway/mlflow/v1/models", "")
	var models struct{ Data []struct{ ID string } }
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &models) != nil || len(models.Data) != 2 {
		t.Fatalf("models bob may use: %d %s, want chat and other", w.Code, w.Body)
	}

	srv = studioOn(t, fake, levels{"gateway_endpoint:e-chat": "read", "gateway_model_definition:d-1": "read"})
	w = send(t, srv.Engine(), "GET", "/api/3.0/mlflow/gateway/endpoints/get?endpoint_id=e-chat", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"name":"gpt"`) || strings.Contains(w.Body.String(), "alice-key") || strings.Contains(w.Body.String(), `"s-1"`) {
		t.Fatalf("get: %d %s, want the definition without its secret", w.Code, w.Body)
	}
	w = send(t, srv.Engine(), "GET", "/gateway/mlflow/v1/models", "")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"chat"`) || strings.Contains(w.Body.String(), `"other"`) {
		t.Fatalf("models: %d %s, want chat only", w.Code, w.Body)
	}
}

// TestGatewayCreatesNeedCreateAndUse: creating needs create on the default
// project and use on what the new object names; the object is registered
// to its creator.
func TestGatewayCreatesNeedCreateAndUse(t *testing.T) {
	create := levels{"project:default": "create"}
	with := func(extra levels) levels {
		out := levels{}
		for k, v := range create {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name, target, body string
		levels             levels
		status             int
		registered         []string
	}{
		{"a secret", "/api/3.0/mlflow/gateway/secrets/create", `{"secret_name":"k","secret_value":{"api_key":"sk-x"}}`, create, 200, []string{"gateway_secret:s-new in project:default"}},
		{"a secret without create", "/api/3.0/mlflow/gateway/secrets/create", `{"secret_name":"k","secret_value":{"api_key":"sk-x"}}`, levels{}, 403, nil},
		{"a definition on a secret bob may use", "/api/3.0/mlflow/gateway/model-definitions/create",
			`{"name":"d","secret_id":"s-1","provider":"openai","model_name":"gpt"}`, with(levels{"gateway_secret:s-1": "use"}), 200, []string{"gateway_model_definition:d-new in project:default"}},
		{"a definition on someone else's secret", "/api/3.0/mlflow/gateway/model-definitions/create",
			`{"name":"d","secret_id":"s-1","provider":"openai","model_name":"gpt"}`, create, 403, nil},
		{"an endpoint on a definition bob may use, tracked in his experiment", "/api/3.0/mlflow/gateway/endpoints/create",
			`{"name":"mine","model_configs":[{"model_definition_id":"d-1","linkage_type":"PRIMARY"}],"experiment_id":"42"}`,
			with(levels{"gateway_model_definition:d-1": "use", "experiment:42": "edit"}), 200, []string{"gateway_endpoint:e-new in project:default"}},
		{"an endpoint on someone else's definition", "/api/3.0/mlflow/gateway/endpoints/create",
			`{"name":"mine","model_configs":[{"model_definition_id":"d-1","linkage_type":"PRIMARY"}],"experiment_id":"42"}`,
			with(levels{"experiment:42": "edit"}), 403, nil},
		{"an endpoint tracked in someone else's experiment", "/api/3.0/mlflow/gateway/endpoints/create",
			`{"name":"mine","model_configs":[{"model_definition_id":"d-1","linkage_type":"PRIMARY"}],"experiment_id":"42"}`,
			with(levels{"gateway_model_definition:d-1": "use", "experiment:42": "read"}), 403, nil},
		{"an endpoint whose usage experiment MLflow makes", "/api/3.0/mlflow/gateway/endpoints/create",
			`{"name":"mine","model_configs":[{"model_definition_id":"d-1","linkage_type":"PRIMARY"}]}`,
			with(levels{"gateway_model_definition:d-1": "use"}), 200, []string{"gateway_endpoint:e-new in project:default", "experiment:42 in project:default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, reg := &gatewayMLflow{}, &registry{}
			srv := studioOnWith(t, fake, tt.levels, reg)
			w := send(t, srv.Engine(), "POST", tt.target, tt.body)
			calls, _, _ := fake.take()
			if w.Code != tt.status {
				t.Fatalf("answered %d %s, want %d", w.Code, w.Body, tt.status)
			}
			if (tt.status == 200) != (len(calls) == 1) {
				t.Fatalf("MLflow received %v", calls)
			}
			if strings.Join(reg.registered, ", ") != strings.Join(tt.registered, ", ") {
				t.Fatalf("registered %v, want %v", reg.registered, tt.registered)
			}
		})
	}
}
