package access

import "strings"

// The AI gateway's checks. Secrets, model definitions and endpoints are
// elements of their own (pkg/catalogue), keyed by the ids MLflow gives
// them, which never change (a rename keeps the id); their creator manages
// them. use, below read, lets one invoke an endpoint, or name a secret or
// model definition in one's own gateway objects, without reading it.
// Budgets and guardrails are the admins' policy over the whole server;
// bindings and guardrail configurations belong to their endpoint.

// Use is the operation of invoking an endpoint or naming a secret or model
// definition.
const Use = "use"

// GatewayEndpoint is an AI gateway endpoint's element.
func GatewayEndpoint(id string) string { return "gateway_endpoint:" + id }

// GatewaySecret is an AI gateway secret's element.
func GatewaySecret(id string) string { return "gateway_secret:" + id }

// GatewayModelDefinition is an AI gateway model definition's element.
func GatewayModelDefinition(id string) string { return "gateway_model_definition:" + id }

// gatewayRules are the AI gateway's rows of Rules: its configuration
// (/api/3.0/mlflow/gateway/..., with /ajax-api twins, some /ajax-api only)
// and its invocations (/gateway/..., MLflow's FastAPI router, no twins).
var gatewayRules = map[string]Rule{
	// secrets: their values never come back from MLflow (it answers masked
	// values); reading one's metadata needs read, naming it in a model
	// definition use
	"POST /api/3.0/mlflow/gateway/secrets/create":   {Special, Create},
	"GET /api/3.0/mlflow/gateway/secrets/get":       {BySecret, Read},
	"POST /api/3.0/mlflow/gateway/secrets/update":   {BySecret, Edit},
	"DELETE /api/3.0/mlflow/gateway/secrets/delete": {Special, Manage}, // its element goes too
	"GET /api/3.0/mlflow/gateway/secrets/list":      {Special, Read},   // the readable ones
	"GET /api/3.0/mlflow/gateway/secrets/config":    {Special, Read},   // whether secrets can be stored; the passphrase's state to admins only

	// model definitions: a provider, a model and the secret that pays for
	// it. Special: read or edit on the definition, its secret redacted
	"POST /api/3.0/mlflow/gateway/model-definitions/create":   {Special, Create},
	"GET /api/3.0/mlflow/gateway/model-definitions/get":       {Special, Read},
	"POST /api/3.0/mlflow/gateway/model-definitions/update":   {Special, Edit},
	"DELETE /api/3.0/mlflow/gateway/model-definitions/delete": {Special, Manage},
	"GET /api/3.0/mlflow/gateway/model-definitions/list":      {Special, Read},

	// endpoints route to model definitions. Special ones: gets, updates and
	// attachments redact the definitions and secrets they embed
	"POST /api/3.0/mlflow/gateway/endpoints/create":            {Special, Create},
	"GET /api/3.0/mlflow/gateway/endpoints/get":                {Special, Read}, // by id or by name
	"POST /api/3.0/mlflow/gateway/endpoints/update":            {Special, Edit},
	"DELETE /api/3.0/mlflow/gateway/endpoints/delete":          {Special, Manage},
	"GET /api/3.0/mlflow/gateway/endpoints/list":               {Special, Read},
	"POST /api/3.0/mlflow/gateway/endpoints/models/attach":     {Special, Edit},
	"POST /api/3.0/mlflow/gateway/endpoints/models/detach":     {ByEndpoint, Edit},
	"POST /api/3.0/mlflow/gateway/endpoints/set-tag":           {ByEndpoint, Edit},
	"DELETE /api/3.0/mlflow/gateway/endpoints/delete-tag":      {ByEndpoint, Edit},
	"POST /api/3.0/mlflow/gateway/endpoints/bindings/create":   {ByEndpoint, Edit},
	"DELETE /api/3.0/mlflow/gateway/endpoints/bindings/delete": {ByEndpoint, Edit},
	// without an endpoint MLflow would list every endpoint's bindings
	"GET /api/3.0/mlflow/gateway/endpoints/bindings/list": {ByEndpoint, Read},

	// budgets are spending limits over the server, its users and endpoints
	"POST /api/3.0/mlflow/gateway/budgets/create":   {AdminOnly, Manage},
	"POST /api/3.0/mlflow/gateway/budgets/update":   {AdminOnly, Manage},
	"DELETE /api/3.0/mlflow/gateway/budgets/delete": {AdminOnly, Manage},
	"GET /api/3.0/mlflow/gateway/budgets/get":       {AdminOnly, Manage},
	"GET /api/3.0/mlflow/gateway/budgets/list":      {AdminOnly, Manage},
	"GET /api/3.0/mlflow/gateway/budgets/windows":   {AdminOnly, Manage},

	// guardrails are the admins' safety policy: they make, attach, change
	// and remove them; whoever reads an endpoint sees its configuration
	"POST /api/3.0/mlflow/gateway/guardrails/create":                 {AdminOnly, Manage},
	"GET /api/3.0/mlflow/gateway/guardrails/get":                     {AdminOnly, Manage},
	"GET /api/3.0/mlflow/gateway/guardrails/list":                    {AdminOnly, Manage},
	"DELETE /api/3.0/mlflow/gateway/guardrails/delete":               {AdminOnly, Manage},
	"POST /api/3.0/mlflow/gateway/guardrails/add-to-endpoint":        {AdminOnly, Manage},
	"DELETE /api/3.0/mlflow/gateway/guardrails/remove-from-endpoint": {AdminOnly, Manage},
	"PATCH /api/3.0/mlflow/gateway/guardrails/update-config":         {AdminOnly, Manage},
	"GET /api/3.0/mlflow/gateway/guardrails/list-for-endpoint":       {ByEndpoint, Read},

	// MLflow's catalogue of providers and models (/ajax-api only): no data
	"GET /api/3.0/mlflow/gateway/supported-providers": {SignedIn, Read},
	"GET /api/3.0/mlflow/gateway/supported-models":    {SignedIn, Read},
	"GET /api/3.0/mlflow/gateway/provider-config":     {SignedIn, Read},

	// invocations: use on the endpoint the path or the body's model names
	"POST /gateway/{id}/mlflow/invocations":                         {ByEndpointName, Use},
	"POST /gateway/mlflow/v1/chat/completions":                      {ByEndpointName, Use},
	"POST /gateway/openai/v1/chat/completions":                      {ByEndpointName, Use},
	"POST /gateway/openai/v1/embeddings":                            {ByEndpointName, Use},
	"POST /gateway/openai/v1/responses":                             {ByEndpointName, Use},
	"POST /gateway/openai/v1/responses/compact":                     {ByEndpointName, Use},
	"POST /gateway/anthropic/v1/messages":                           {ByEndpointName, Use},
	"POST /gateway/typesafe/v1/systemone":                           {ByEndpointName, Use},
	"POST /gateway/gemini/v1beta/models/{id}:generateContent":       {ByEndpointName, Use},
	"POST /gateway/gemini/v1beta/models/{id}:streamGenerateContent": {ByEndpointName, Use},
	"GET /gateway/mlflow/v1/models":                                 {Special, Use}, // the endpoints one may use
	// the raw proxy sends any path and any model of the provider with the
	// endpoint's credentials: more than invoking the endpoint
	"POST /gateway/proxy/{id}/{path}": {ByEndpointName, Manage},
}

// gatewayAlso: what gateway objects name needs use (a model definition's
// secret, an endpoint's model definitions), and an endpoint's usage
// tracking writes traces into the experiment it names (edit).
var gatewayAlso = map[string][]Ref{
	"POST /api/3.0/mlflow/gateway/model-definitions/create": {{"secret_id", BySecret, Use}},
	"POST /api/3.0/mlflow/gateway/endpoints/create": {
		{"model_configs.model_definition_id", ByModelDef, Use},
		{"experiment_id", ByExperiment, Edit},
	},
	"POST /api/3.0/mlflow/gateway/model-definitions/update": {{"secret_id", BySecret, Use}},
	"POST /api/3.0/mlflow/gateway/endpoints/update": {
		{"model_configs.model_definition_id", ByModelDef, Use},
		{"experiment_id", ByExperiment, Edit},
	},
	"POST /api/3.0/mlflow/gateway/endpoints/models/attach": {{"model_config.model_definition_id", ByModelDef, Use}},
}

// gatewayStamps: who created or changed a gateway object is the caller.
var gatewayStamps = map[string][]Stamp{
	"POST /api/3.0/mlflow/gateway/secrets/create":            {{Field: "created_by"}},
	"POST /api/3.0/mlflow/gateway/secrets/update":            {{Field: "updated_by"}},
	"POST /api/3.0/mlflow/gateway/model-definitions/create":  {{Field: "created_by"}},
	"POST /api/3.0/mlflow/gateway/model-definitions/update":  {{Field: "updated_by"}},
	"POST /api/3.0/mlflow/gateway/endpoints/create":          {{Field: "created_by"}},
	"POST /api/3.0/mlflow/gateway/endpoints/update":          {{Field: "updated_by"}},
	"POST /api/3.0/mlflow/gateway/endpoints/models/attach":   {{Field: "created_by"}},
	"POST /api/3.0/mlflow/gateway/endpoints/bindings/create": {{Field: "created_by"}},
}

// merged is the union of tables that share no key (a programming error,
// caught at start).
func merged[V any](tables ...map[string]V) map[string]V {
	out := map[string]V{}
	for _, t := range tables {
		for k, v := range t {
			if _, dup := out[k]; dup {
				panic("access: " + k + " is in two tables")
			}
			out[k] = v
		}
	}
	return out
}

// InvocationPrefix is where MLflow serves the AI gateway's invocations.
const InvocationPrefix = "/gateway/"

// LookupInvocation finds the rule of an invocation path (/gateway/...).
// MLflow's router takes the first of its routes that matches; a path two
// rules match (/gateway/proxy/mlflow/invocations: the endpoint "proxy", or
// the raw proxy of "mlflow") is refused rather than guessed.
func LookupInvocation(method, path string) Match {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var found []Match
	for key, r := range gatewayRules {
		m, pattern, _ := strings.Cut(key, " ")
		if m != method || !strings.HasPrefix(pattern, InvocationPrefix) {
			continue
		}
		if pattern == path {
			found = append(found, Match{Key: key, Rule: r})
			continue
		}
		if ids, ok := match(strings.Split(strings.Trim(pattern, "/"), "/"), segs); ok && strings.Contains(pattern, "{") {
			found = append(found, Match{Key: key, Rule: r, IDs: ids})
		}
	}
	switch len(found) {
	case 1:
		return found[0]
	case 0:
		return Match{}
	}
	return Match{Reason: "the path matches more than one of the AI gateway's routes; name the endpoint in the body's model instead"}
}

// ValidEndpointName is MLflow's rule for endpoint names (letters, digits,
// '_', '-', '.'): a name outside it is no endpoint's, and needs no
// escaping in a path.
func ValidEndpointName(name string) bool {
	if name == "" || len(name) > 255 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}
