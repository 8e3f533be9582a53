package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
)

const gw3 = v3 + "/gateway"

// fakeProvider is an OpenAI-compatible model provider on 127.0.0.1 (the
// provider is not one of ML Studio's parts): it answers chat completions,
// embeddings and responses, and records every call it gets.
type fakeProvider struct {
	URL   string
	mu    sync.Mutex
	calls []providerCall
}

type providerCall struct {
	Path, Authorization, Body string
}

func newFakeProvider(t *testing.T) *fakeProvider {
	t.Helper()
	p := &fakeProvider{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.calls = append(p.calls, providerCall{r.URL.Path, r.Header.Get("Authorization"), string(body)})
		p.mu.Unlock()
		var req struct {
			Model  string `json:"model"`
			Stream bool   `json:"stream"`
		}
		_ = json.Unmarshal(body, &req)
		usage := map[string]any{"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
		var out map[string]any
		switch {
		case r.URL.Path == "/v1/chat/completions" && req.Stream:
			w.Header().Set("Content-Type", "text/event-stream")
			for _, chunk := range []string{
				`{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1,"model":%q,"choices":[{"index":0,"delta":{"role":"assistant","content":"fake streamed answer"},"finish_reason":null}]}`,
				`{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1,"model":%q,"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
			} {
				fmt.Fprintf(w, "data: "+chunk+"\n\n", req.Model)
				w.(http.Flusher).Flush()
			}
			fmt.Fprint(w, "data: [DONE]\n\n")
			return
		case r.URL.Path == "/v1/chat/completions":
			out = map[string]any{"id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": req.Model,
				"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
					"message": map[string]any{"role": "assistant", "content": "fake answer"}}}, "usage": usage}
		case r.URL.Path == "/v1/embeddings":
			out = map[string]any{"object": "list", "model": req.Model, "usage": usage,
				"data": []any{map[string]any{"object": "embedding", "index": 0, "embedding": []float64{0.25, 0.5}}}}
		case r.URL.Path == "/v1/responses":
			out = map[string]any{"id": "resp-fake", "object": "response", "created_at": 1, "model": req.Model, "status": "completed",
				"output": []any{map[string]any{"type": "message", "id": "msg-fake", "role": "assistant", "status": "completed",
					"content": []any{map[string]any{"type": "output_text", "text": "fake answer", "annotations": []any{}}}}},
				"usage": map[string]any{"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}}
		default:
			http.Error(w, `{"error":{"message":"no such route"}}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// all are the calls it got.
func (p *fakeProvider) all() []providerCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// received are the calls whose body holds marker.
func (p *fakeProvider) received(marker string) []providerCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []providerCall
	for _, c := range p.calls {
		if strings.Contains(c.Body, marker) {
			out = append(out, c)
		}
	}
	return out
}

// aiGateway is alice's secret, model definition and endpoint, made through
// an ml_studio in front of the gateway's MLflow.
type aiGateway struct {
	c              *cast
	studio         *apitest.Studio
	mlflow         string // the gateway's MLflow, not behind ml_studio
	provider       *fakeProvider
	gatewayObjects // alice's
}

// gatewayObjects are one user's secret (its api_base the fake provider),
// model definition on it and endpoint on that.
type gatewayObjects struct {
	secret, secretName, secretValue string
	def, defName, modelName         string
	endpoint, endpointName          string
}

// objectsOf makes u's secret, model definition and endpoint through
// ml_studio; with usage tracking MLflow makes the experiment
// gateway/<name> for the endpoint's traces.
func (g *aiGateway) objectsOf(t *testing.T, u *apitest.User, usageTracking bool) gatewayObjects {
	t.Helper()
	sfx := testenv.RandomSuffix()
	o := gatewayObjects{secretName: u.Name + "-key-" + sfx, secretValue: "sk-" + u.Name + "-secret-value-" + sfx,
		defName: u.Name + "-def-" + sfx, modelName: u.Name + "-model-" + sfx, endpointName: u.Name + "-endpoint-" + sfx}
	o.secret = g.created(t, u, post, gw3+"/secrets/create", map[string]any{
		"secret_name": o.secretName, "secret_value": map[string]string{"api_key": o.secretValue},
		"provider": "openai", "auth_config": map[string]string{"api_base": g.provider.URL + "/v1"}}, "secret", "secret_id")
	o.def = g.created(t, u, post, gw3+"/model-definitions/create", map[string]any{
		"name": o.defName, "secret_id": o.secret, "provider": "openai", "model_name": o.modelName},
		"model_definition", "model_definition_id")
	o.endpoint = g.created(t, u, post, gw3+"/endpoints/create", map[string]any{
		"name": o.endpointName, "model_configs": []any{g.mapping(o.def)}, "usage_tracking": usageTracking}, "endpoint", "endpoint_id")
	return o
}

func newAIGateway(t *testing.T, c *cast) *aiGateway {
	t.Helper()
	mlflowURL := c.st.GatewayMLflow(t)
	g := &aiGateway{c: c, mlflow: mlflowURL, provider: newFakeProvider(t),
		studio: c.st.NewStudio(t, apitest.Options{MLflowURL: mlflowURL})}
	// usage tracking on (MLflow's default): the experiment MLflow makes is
	// registered to alice
	g.gatewayObjects = g.objectsOf(t, c.user(creator), true)
	return g
}

// mapping is an endpoint's model config naming a model definition.
func (g *aiGateway) mapping(def string) map[string]any {
	return map[string]any{"model_definition_id": def, "linkage_type": "PRIMARY", "weight": 1}
}

// call sends a call as u through ml_studio; no answer, whoever gets it,
// shows the secret's value.
func (g *aiGateway) call(t *testing.T, u *apitest.User, method, path string, body any) *apitest.Response {
	t.Helper()
	r := gatewayCall{"", method, path, body}.sendTo(t, g.studio, u)
	if g.secretValue != "" && strings.Contains(string(r.Body), g.secretValue) {
		t.Fatalf("%s: shows the secret's value", r)
	}
	return r
}

// created makes an object and returns its id.
func (g *aiGateway) created(t *testing.T, u *apitest.User, method, path string, body any, wrapper, idField string) string {
	t.Helper()
	r := g.call(t, u, method, path, body)
	var out map[string]map[string]any
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &out) != nil {
		t.Fatalf("%s as %s: %s", path, u, r)
	}
	id, _ := out[wrapper][idField].(string)
	if id == "" {
		t.Fatalf("%s as %s: no %s in %s", path, u, idField, r)
	}
	return id
}

// asMLflowHasIt is alice's objects (and the endpoint's bindings and tags)
// read from MLflow directly.
func (g *aiGateway) asMLflowHasIt(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, path := range []string{"/secrets/get?secret_id=" + g.secret, "/model-definitions/get?model_definition_id=" + g.def,
		"/endpoints/get?endpoint_id=" + g.endpoint, "/endpoints/bindings/list?endpoint_id=" + g.endpoint} {
		r, err := apitest.Send(http.DefaultClient, nil, get, g.mlflow+gw3+path, nil, nil)
		if err != nil || r.Status != http.StatusOK {
			t.Fatalf("MLflow: %s: %v %v", path, r, err)
		}
		b.Write(r.Body)
	}
	return b.String()
}

// namesInMLflow are the names of MLflow's objects of a kind (secrets,
// model-definitions, endpoints), read from MLflow directly.
func (g *aiGateway) namesInMLflow(t *testing.T, kind string) []string {
	t.Helper()
	r, err := apitest.Send(http.DefaultClient, nil, get, g.mlflow+gw3+"/"+kind+"/list", nil, nil)
	if err != nil || r.Status != http.StatusOK {
		t.Fatalf("MLflow: %s list: %v %v", kind, r, err)
	}
	var out map[string][]map[string]any
	r.Decode(t, &out)
	var names []string
	for _, list := range out {
		for _, o := range list {
			for _, k := range []string{"name", "secret_name"} {
				if n, _ := o[k].(string); n != "" {
					names = append(names, n)
				}
			}
		}
	}
	return names
}

// invocation is a call of an endpoint through one of the gateway's route
// families; marker is in what the provider is sent.
type invocation struct {
	name string
	call func(endpoint, marker string) gatewayCall
	// provider says whether a call of it reaches an OpenAI provider
	// (the Anthropic and Gemini routes need a provider of their kind).
	provider bool
}

func invocations() []invocation {
	chat := func(marker string) []any { return []any{map[string]string{"role": "user", "content": marker}} }
	return []invocation{
		{"the endpoint's invocations", func(e, m string) gatewayCall {
			return gatewayCall{"", post, "/gateway/" + e + "/mlflow/invocations", map[string]any{"messages": chat(m)}}
		}, true},
		{"MLflow's chat completions", func(e, m string) gatewayCall {
			return gatewayCall{"", post, "/gateway/mlflow/v1/chat/completions", map[string]any{"model": e, "messages": chat(m)}}
		}, true},
		{"OpenAI chat completions", func(e, m string) gatewayCall {
			return gatewayCall{"", post, "/gateway/openai/v1/chat/completions", map[string]any{"model": e, "messages": chat(m)}}
		}, true},
		{"OpenAI chat completions, streamed", func(e, m string) gatewayCall {
			return gatewayCall{"", post, "/gateway/openai/v1/chat/completions", map[string]any{"model": e, "messages": chat(m), "stream": true}}
		}, true},
		{"OpenAI embeddings", func(e, m string) gatewayCall {
			return gatewayCall{"", post, "/gateway/openai/v1/embeddings", map[string]any{"model": e, "input": m}}
		}, true},
		{"OpenAI responses", func(e, m string) gatewayCall {
			return gatewayCall{"", post, "/gateway/openai/v1/responses", map[string]any{"model": e, "input": m}}
		}, true},
		{"Anthropic messages", func(e, m string) gatewayCall {
			return gatewayCall{"", post, "/gateway/anthropic/v1/messages", map[string]any{"model": e, "max_tokens": 8, "messages": chat(m)}}
		}, false},
		{"Gemini generateContent", func(e, m string) gatewayCall {
			return gatewayCall{"", post, "/gateway/gemini/v1beta/models/" + e + ":generateContent",
				map[string]any{"contents": []any{map[string]any{"parts": []any{map[string]string{"text": m}}}}}}
		}, false},
	}
}

// invoke calls the endpoint through every family as u: refused (403, no
// call reaches the provider) or not (200 from every OpenAI family, each
// reaching the provider with alice's secret).
func (g *aiGateway) invoke(t *testing.T, u *apitest.User, endpoint string, allowed bool) {
	t.Helper()
	for _, inv := range invocations() {
		if allowed && !inv.provider {
			continue
		}
		t.Run(inv.name, func(t *testing.T) {
			marker := "from-" + u.Name + "-" + testenv.RandomSuffix()
			call := inv.call(endpoint, marker)
			r := g.call(t, u, call.method, call.path, call.body)
			got := g.provider.received(marker)
			if !allowed {
				requireMLflowRefusal(t, r, http.StatusForbidden, g.secretName, g.defName, g.modelName)
				if len(got) != 0 {
					t.Fatalf("the provider was called: %+v", got)
				}
				return
			}
			if r.Status != http.StatusOK {
				t.Fatalf("%s, want 200", r)
			}
			if body, ok := call.body.(map[string]any); ok && body["stream"] == true &&
				(!strings.HasPrefix(r.Header.Get("Content-Type"), "text/event-stream") || !strings.Contains(string(r.Body), "fake streamed answer")) {
				t.Fatalf("%s: want the provider's events", r)
			}
			if len(got) != 1 || got[0].Authorization != "Bearer "+g.secretValue || !strings.Contains(got[0].Body, g.modelName) {
				t.Fatalf("the provider got %+v, want one call of %s with alice's key", got, g.modelName)
			}
		})
	}
}

// ids are the ids of a list answer's objects.
func ids(t *testing.T, r *apitest.Response, list, idField string) []string {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("%s, want 200", r)
	}
	var out map[string][]map[string]any
	r.Decode(t, &out)
	var got []string
	for _, o := range out[list] {
		id, _ := o[idField].(string)
		got = append(got, id)
	}
	return got
}

// prefixes are the REST API and its /ajax-api twin.
var prefixes = []string{gw3, "/ajax-api/3.0/mlflow/gateway"}

// TestAIGatewayOnRealMLflow: alice's secret, model definition and endpoint
// on the pinned MLflow, invoked through a fake provider. Without a grant
// bob can neither list, read, change, use nor name them through any route
// family; use on the endpoint invokes it without showing its configuration;
// read shows the configuration, redacted of what bob may not read, and
// never a secret's value.
func TestAIGatewayOnRealMLflow(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	g := newAIGateway(t, c)
	alice := c.user(creator)
	secrets := []string{g.secretName, g.defName, g.modelName}

	t.Run("alice invokes her endpoint", func(t *testing.T) { g.invoke(t, alice, g.endpointName, true) })

	t.Run("without a grant", func(t *testing.T) {
		bob := c.st.NewUser(t, "bob")
		before := g.asMLflowHasIt(t)
		for _, p := range prefixes {
			for _, l := range []struct{ kind, list, idField, id string }{
				{"secrets", "secrets", "secret_id", g.secret},
				{"model-definitions", "model_definitions", "model_definition_id", g.def},
				{"endpoints", "endpoints", "endpoint_id", g.endpoint},
			} {
				t.Run(p+"/"+l.kind+"/list", func(t *testing.T) {
					r := g.call(t, bob, get, p+"/"+l.kind+"/list", nil)
					if got := ids(t, r, l.list, l.idField); slices.Contains(got, l.id) {
						t.Fatalf("%s: lists alice's %s", r, l.id)
					}
					for _, s := range secrets {
						if strings.Contains(string(r.Body), s) {
							t.Fatalf("%s: shows %q", r, s)
						}
					}
				})
			}
			refused := []gatewayCall{
				{"secret", get, p + "/secrets/get?secret_id=" + g.secret, nil},
				{"model definition", get, p + "/model-definitions/get?model_definition_id=" + g.def, nil},
				{"endpoint", get, p + "/endpoints/get?endpoint_id=" + g.endpoint, nil},
				{"endpoint by name", get, p + "/endpoints/get?name=" + g.endpointName, nil},
				{"bindings", get, p + "/endpoints/bindings/list?endpoint_id=" + g.endpoint, nil},
				{"guardrails", get, p + "/guardrails/list-for-endpoint?endpoint_id=" + g.endpoint, nil},
				{"update the secret", post, p + "/secrets/update", map[string]any{"secret_id": g.secret, "secret_value": map[string]string{"api_key": "bob's"}}},
				{"update the model definition", post, p + "/model-definitions/update", map[string]any{"model_definition_id": g.def, "model_name": "bobs-model"}},
				{"update the endpoint", post, p + "/endpoints/update", map[string]any{"endpoint_id": g.endpoint, "name": "bobs-endpoint"}},
				{"tag the endpoint", post, p + "/endpoints/set-tag", map[string]any{"endpoint_id": g.endpoint, "key": "k", "value": "v"}},
				{"attach to the endpoint", post, p + "/endpoints/models/attach", map[string]any{"endpoint_id": g.endpoint, "model_config": g.mapping(g.def)}},
				{"bind the endpoint", post, p + "/endpoints/bindings/create", map[string]any{"endpoint_id": g.endpoint, "resource_type": "scorer", "resource_id": "x"}},
				{"delete the secret", del, p + "/secrets/delete", map[string]any{"secret_id": g.secret}},
				{"delete the model definition", del, p + "/model-definitions/delete", map[string]any{"model_definition_id": g.def}},
				{"delete the endpoint", del, p + "/endpoints/delete", map[string]any{"endpoint_id": g.endpoint}},
			}
			for _, call := range refused {
				t.Run(p+": "+call.name, func(t *testing.T) {
					requireMLflowRefusal(t, g.call(t, bob, call.method, call.path, call.body), http.StatusForbidden, secrets...)
				})
			}
		}
		t.Run("OpenAI models", func(t *testing.T) {
			r := g.call(t, bob, get, "/gateway/mlflow/v1/models", nil)
			if r.Status != http.StatusOK || strings.Contains(string(r.Body), g.endpointName) {
				t.Fatalf("%s, want 200 without alice's endpoint", r)
			}
		})
		t.Run("invoke", func(t *testing.T) { g.invoke(t, bob, g.endpointName, false) })
		t.Run("the raw proxy", func(t *testing.T) {
			marker := "raw-" + testenv.RandomSuffix()
			r := g.call(t, bob, post, "/gateway/proxy/"+g.endpointName+"/chat/completions", map[string]any{"model": g.modelName, "messages": marker})
			requireMLflowRefusal(t, r, http.StatusForbidden, secrets...)
			if got := g.provider.received(marker); len(got) != 0 {
				t.Fatalf("the provider was called: %+v", got)
			}
		})
		if after := g.asMLflowHasIt(t); after != before {
			t.Fatalf("bob's refused calls changed alice's objects:\nbefore %s\nafter  %s", before, after)
		}
	})

	t.Run("anonymous", func(t *testing.T) {
		for _, inv := range invocations() {
			call := inv.call(g.endpointName, "anonymous-"+testenv.RandomSuffix())
			requireMLflowRefusal(t, g.call(t, nil, call.method, call.path, call.body), http.StatusUnauthorized, secrets...)
		}
		for _, path := range []string{gw3 + "/endpoints/list", "/gateway/mlflow/v1/models", "/ajax-api/3.0/mlflow/gateway/supported-providers"} {
			requireMLflowRefusal(t, g.call(t, nil, get, path, nil), http.StatusUnauthorized, secrets...)
		}
	})

	t.Run("the admins' parts", func(t *testing.T) {
		bob := c.st.NewUser(t, "bob")
		for _, path := range []string{gw3 + "/budgets/list", gw3 + "/guardrails/list"} {
			if r := g.call(t, c.st.Admin, get, path, nil); r.Status != http.StatusOK {
				t.Fatalf("%s, want 200", r)
			}
			requireMLflowRefusal(t, g.call(t, bob, get, path, nil), http.StatusForbidden)
		}
		// whether MLflow encrypts with its built-in passphrase is for admins
		const config = "/ajax-api/3.0/mlflow/gateway/secrets/config"
		for _, who := range []*apitest.User{c.st.Admin, bob} {
			r := g.call(t, who, get, config, nil)
			var out map[string]any
			if r.Status != http.StatusOK || json.Unmarshal(r.Body, &out) != nil {
				t.Fatalf("%s, want 200", r)
			}
			if _, shown := out["using_default_passphrase"]; shown != (who == c.st.Admin) {
				t.Fatalf("%s: using_default_passphrase shown to %s: %v", r, who, shown)
			}
		}
		if r := g.call(t, bob, get, "/ajax-api/3.0/mlflow/gateway/supported-providers", nil); r.Status != http.StatusOK {
			t.Fatalf("%s, want 200", r)
		}
	})

	t.Run("the endpoint's usage experiment", func(t *testing.T) {
		// MLflow made gateway/<name> for the endpoint's traces: alice's
		r, err := apitest.Send(http.DefaultClient, nil, get, g.mlflow+gw3+"/endpoints/get?endpoint_id="+g.endpoint, nil, nil)
		var e struct {
			Endpoint struct {
				ExperimentID string `json:"experiment_id"`
			} `json:"endpoint"`
		}
		if err != nil || json.Unmarshal(r.Body, &e) != nil || e.Endpoint.ExperimentID == "" {
			t.Fatalf("MLflow: the endpoint's experiment: %v %v", r, err)
		}
		exp := e.Endpoint.ExperimentID
		byName := "/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + url.QueryEscape("gateway/"+g.endpointName)
		if r := g.call(t, alice, get, byName, nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"`+exp+`"`) {
			t.Fatalf("%s, want alice's experiment %s", r, exp)
		}
		bob := c.st.NewUser(t, "bob")
		c.st.Grant(t, "project:default", "create", bob)
		requireMLflowRefusal(t, g.call(t, bob, get, byName, nil), http.StatusForbidden, secrets...)
		sfx := testenv.RandomSuffix()
		mine := g.objectsOf(t, bob, false)
		myDef, myEndpoint := mine.def, mine.endpoint
		before := g.namesInMLflow(t, "endpoints")
		for _, call := range []gatewayCall{
			{"an endpoint tracing into alice's experiment", post, gw3 + "/endpoints/create", map[string]any{
				"name": "bob-into-alices-" + sfx, "model_configs": []any{g.mapping(myDef)}, "experiment_id": exp}},
			{"his endpoint moved to alice's experiment", post, gw3 + "/endpoints/update", map[string]any{
				"endpoint_id": myEndpoint, "experiment_id": exp, "usage_tracking": true}},
			{"tracing turned on, no experiment named", post, gw3 + "/endpoints/update", map[string]any{
				"endpoint_id": myEndpoint, "usage_tracking": true}},
		} {
			t.Run(call.name, func(t *testing.T) {
				r := g.call(t, bob, call.method, call.path, call.body)
				if r.Status != http.StatusForbidden && r.Status != http.StatusBadRequest {
					t.Fatalf("%s, want a refusal", r)
				}
				requireMLflowRefusal(t, r, r.Status, secrets...)
			})
		}
		if now := g.namesInMLflow(t, "endpoints"); !slices.Equal(before, now) {
			t.Fatalf("refused creations left endpoints in MLflow: %v, was %v", now, before)
		}
		r, err = apitest.Send(http.DefaultClient, nil, get, g.mlflow+gw3+"/endpoints/get?endpoint_id="+myEndpoint, nil, nil)
		if err != nil || strings.Contains(string(r.Body), `"experiment_id"`) {
			t.Fatalf("bob's endpoint traces into an experiment: %v %v", r, err)
		}
	})

	t.Run("use on the endpoint", func(t *testing.T) {
		bob := c.st.NewUser(t, "bob")
		c.st.Grant(t, "gateway_endpoint:"+g.endpoint, "use", bob)
		g.invoke(t, bob, g.endpointName, true)
		for _, p := range prefixes {
			for _, call := range []gatewayCall{
				{"endpoint", get, p + "/endpoints/get?endpoint_id=" + g.endpoint, nil},
				{"endpoint by name", get, p + "/endpoints/get?name=" + g.endpointName, nil},
				{"its model definition", get, p + "/model-definitions/get?model_definition_id=" + g.def, nil},
				{"its secret", get, p + "/secrets/get?secret_id=" + g.secret, nil},
				{"update the endpoint", post, p + "/endpoints/update", map[string]any{"endpoint_id": g.endpoint, "name": "bobs-endpoint"}},
			} {
				t.Run(p+": "+call.name, func(t *testing.T) {
					requireMLflowRefusal(t, g.call(t, bob, call.method, call.path, call.body), http.StatusForbidden, secrets...)
				})
			}
			t.Run(p+": endpoints/list", func(t *testing.T) {
				if got := ids(t, g.call(t, bob, get, p+"/endpoints/list", nil), "endpoints", "endpoint_id"); slices.Contains(got, g.endpoint) {
					t.Fatalf("use lists the endpoint's configuration")
				}
			})
		}
		t.Run("OpenAI models", func(t *testing.T) {
			r := g.call(t, bob, get, "/gateway/mlflow/v1/models", nil)
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"`+g.endpointName+`"`) {
				t.Fatalf("%s, want 200 listing %s", r, g.endpointName)
			}
		})
		t.Run("the raw proxy needs manage", func(t *testing.T) {
			marker := "raw-" + testenv.RandomSuffix()
			r := g.call(t, bob, post, "/gateway/proxy/"+g.endpointName+"/chat/completions", map[string]any{"model": g.modelName, "messages": marker})
			requireMLflowRefusal(t, r, http.StatusForbidden, secrets...)
			if got := g.provider.received(marker); len(got) != 0 {
				t.Fatalf("the provider was called: %+v", got)
			}
		})
	})

	t.Run("read on the endpoint, its definition and its secret", func(t *testing.T) {
		bob := c.st.NewUser(t, "bob")
		c.st.Grant(t, "gateway_endpoint:"+g.endpoint, "read", bob)
		// the endpoint: its mapping names the definition, which stays hidden
		for _, p := range prefixes {
			for _, path := range []string{"/endpoints/get?endpoint_id=" + g.endpoint, "/endpoints/get?name=" + g.endpointName} {
				r := g.call(t, bob, get, p+path, nil)
				if r.Status != http.StatusOK || !strings.Contains(string(r.Body), g.def) ||
					strings.Contains(string(r.Body), g.defName) || strings.Contains(string(r.Body), g.secret) {
					t.Fatalf("%s, want the endpoint naming %s and nothing of it", r, g.def)
				}
			}
			requireMLflowRefusal(t, g.call(t, bob, get, p+"/model-definitions/get?model_definition_id="+g.def, nil), http.StatusForbidden, secrets...)
		}
		g.invoke(t, bob, g.endpointName, true) // read includes use
		// the definition: shown, its secret withheld
		c.st.Grant(t, "gateway_model_definition:"+g.def, "read", bob)
		for _, p := range prefixes {
			for _, path := range []string{"/endpoints/get?endpoint_id=" + g.endpoint, "/model-definitions/get?model_definition_id=" + g.def, "/model-definitions/list"} {
				r := g.call(t, bob, get, p+path, nil)
				if r.Status != http.StatusOK || !strings.Contains(string(r.Body), g.defName) ||
					strings.Contains(string(r.Body), g.secret) || strings.Contains(string(r.Body), g.secretName) {
					t.Fatalf("%s, want %s without its secret", r, g.defName)
				}
			}
			requireMLflowRefusal(t, g.call(t, bob, get, p+"/secrets/get?secret_id="+g.secret, nil), http.StatusForbidden, secrets...)
			requireMLflowRefusal(t, g.call(t, bob, post, p+"/model-definitions/update",
				map[string]any{"model_definition_id": g.def, "model_name": "bobs-model"}), http.StatusForbidden, secrets...)
		}
		// the secret: its name and masked value, never the value
		c.st.Grant(t, "gateway_secret:"+g.secret, "read", bob)
		for _, p := range prefixes {
			for _, path := range []string{"/secrets/get?secret_id=" + g.secret, "/secrets/list", "/model-definitions/get?model_definition_id=" + g.def} {
				r := g.call(t, bob, get, p+path, nil) // g.call fails on the value
				if r.Status != http.StatusOK || !strings.Contains(string(r.Body), g.secretName) {
					t.Fatalf("%s, want 200 naming %s", r, g.secretName)
				}
			}
		}
	})

	t.Run("references need use", func(t *testing.T) {
		bob := c.st.NewUser(t, "bob")
		c.st.Grant(t, "project:default", "create", bob)
		sfx := testenv.RandomSuffix()
		mine := g.objectsOf(t, bob, false)
		myDef, myEndpoint := mine.def, mine.endpoint
		before := g.asMLflowHasIt(t)
		names := map[string][]string{}
		for _, kind := range []string{"secrets", "model-definitions", "endpoints"} {
			names[kind] = g.namesInMLflow(t, kind)
		}
		for _, p := range prefixes {
			for _, call := range []gatewayCall{
				{"a definition on alice's secret", post, p + "/model-definitions/create", map[string]any{
					"name": "bob-on-alices-key-" + sfx, "secret_id": g.secret, "provider": "openai", "model_name": "m"}},
				{"his definition moved to alice's secret", post, p + "/model-definitions/update", map[string]any{
					"model_definition_id": myDef, "secret_id": g.secret}},
				{"an endpoint on alice's definition", post, p + "/endpoints/create", map[string]any{
					"name": "bob-on-alices-def-" + sfx, "model_configs": []any{g.mapping(g.def)}, "usage_tracking": false}},
				{"alice's definition attached to his endpoint", post, p + "/endpoints/models/attach", map[string]any{
					"endpoint_id": myEndpoint, "model_config": g.mapping(g.def)}},
				{"his endpoint moved to alice's definition", post, p + "/endpoints/update", map[string]any{
					"endpoint_id": myEndpoint, "model_configs": []any{g.mapping(g.def)}}},
			} {
				t.Run(p+": "+call.name, func(t *testing.T) {
					requireMLflowRefusal(t, g.call(t, bob, call.method, call.path, call.body), http.StatusForbidden, secrets...)
				})
			}
		}
		if after := g.asMLflowHasIt(t); after != before {
			t.Fatalf("bob's refused calls changed alice's objects:\nbefore %s\nafter  %s", before, after)
		}
		for kind, was := range names {
			if now := g.namesInMLflow(t, kind); !slices.Equal(was, now) {
				t.Fatalf("refused creations left %s in MLflow: %v, was %v", kind, now, was)
			}
		}
		r, err := apitest.Send(http.DefaultClient, nil, get, g.mlflow+gw3+"/endpoints/get?endpoint_id="+myEndpoint, nil, nil)
		if err != nil || strings.Contains(string(r.Body), g.def) {
			t.Fatalf("bob's endpoint routes to alice's definition: %v %v", r, err)
		}

		t.Run("with use", func(t *testing.T) {
			c.st.Grant(t, "gateway_secret:"+g.secret, "use", bob)
			c.st.Grant(t, "gateway_model_definition:"+g.def, "use", bob)
			onHerKey := g.created(t, bob, post, gw3+"/model-definitions/create", map[string]any{
				"name": "bob-on-alices-key-" + sfx, "secret_id": g.secret, "provider": "openai", "model_name": g.modelName},
				"model_definition", "model_definition_id")
			name := "bob-on-alices-def-" + sfx
			g.created(t, bob, post, gw3+"/endpoints/create", map[string]any{
				"name": name, "model_configs": []any{g.mapping(g.def)}, "usage_tracking": false}, "endpoint", "endpoint_id")
			for _, p := range prefixes {
				requireMLflowRefusal(t, g.call(t, bob, get, p+"/secrets/get?secret_id="+g.secret, nil), http.StatusForbidden, secrets...)
				requireMLflowRefusal(t, g.call(t, bob, get, p+"/model-definitions/get?model_definition_id="+g.def, nil), http.StatusForbidden, secrets...)
				r := g.call(t, bob, get, p+"/model-definitions/get?model_definition_id="+onHerKey, nil)
				if r.Status != http.StatusOK || strings.Contains(string(r.Body), g.secretName) {
					t.Fatalf("%s, want bob's definition without alice's secret's name", r)
				}
			}
			g.invoke(t, bob, name, true) // alice's key pays for bob's endpoint: what use on it allows
		})
	})

	t.Run("alice deletes them", func(t *testing.T) {
		bob := c.st.NewUser(t, "bob")
		c.st.Grant(t, "gateway_endpoint:"+g.endpoint, "use", bob)
		for _, del := range []struct{ path, field, id string }{
			{"/endpoints/delete", "endpoint_id", g.endpoint},
		} {
			if r := g.call(t, alice, http.MethodDelete, gw3+del.path, map[string]any{del.field: del.id}); r.Status != http.StatusOK {
				t.Fatalf("%s", r)
			}
		}
		marker := "after-" + testenv.RandomSuffix()
		call := invocations()[0].call(g.endpointName, marker)
		if r := g.call(t, bob, call.method, call.path, call.body); r.Status < 400 || r.Status >= 500 {
			t.Fatalf("%s, want a refusal", r)
		}
		if got := g.provider.received(marker); len(got) != 0 {
			t.Fatalf("the provider was called: %+v", got)
		}
		// the endpoint's name is free again, but MLflow would trace a new
		// endpoint of that name into alice's experiment gateway/<name>
		c.st.Grant(t, "project:default", "create", bob)
		myDef := g.objectsOf(t, bob, false).def
		requireMLflowRefusal(t, g.call(t, bob, post, gw3+"/endpoints/create", map[string]any{
			"name": g.endpointName, "model_configs": []any{g.mapping(myDef)}}), http.StatusForbidden, g.secretName, g.defName)
		if slices.Contains(g.namesInMLflow(t, "endpoints"), g.endpointName) {
			t.Fatalf("a refused creation left the endpoint %s in MLflow", g.endpointName)
		}
		again := g.created(t, bob, post, gw3+"/endpoints/create", map[string]any{
			"name": g.endpointName, "model_configs": []any{g.mapping(myDef)}, "usage_tracking": false}, "endpoint", "endpoint_id")
		if again == g.endpoint {
			t.Fatalf("MLflow gave the new endpoint the old one's id")
		}
	})
}
