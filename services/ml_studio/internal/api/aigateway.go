package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflowapi"
)

// The AI gateway's configuration: secrets, model definitions and endpoints
// are elements of their own, registered to their creator in the default
// project as experiments and models are. Answers that embed another
// object (an endpoint's model definitions, a definition's secret) show it
// only to who may read it.

const gatewayAPI = "/api/3.0/mlflow/gateway"

// gwKind is one kind of gateway object as MLflow names it.
type gwKind struct {
	idField string // its id, in requests and in its answer object
	one     string // the answer's field holding one
	list    string // a list answer's field
	element func(string) string
}

var (
	gwSecret   = gwKind{"secret_id", "secret", "secrets", access.GatewaySecret}
	gwModelDef = gwKind{"model_definition_id", "model_definition", "model_definitions", access.GatewayModelDefinition}
	gwEndpoint = gwKind{"endpoint_id", "endpoint", "endpoints", access.GatewayEndpoint}
)

// aiGatewaySpecials are the gateway endpoints with handlers of their own,
// by their access.Rules key.
func (h handlers) aiGatewaySpecials() map[string]func(*gin.Context) error {
	k := func(method, path string) string { return method + " " + gatewayAPI + path }
	return map[string]func(*gin.Context) error{
		k(post, "/secrets/create"):           h.createGatewayObject(gwSecret),
		k(del, "/secrets/delete"):            h.deleteGatewayObject(gwSecret),
		k(get, "/secrets/list"):              h.listGatewayObjects(gwSecret),
		k(get, "/secrets/config"):            h.secretsConfig,
		k(post, "/model-definitions/create"): h.createGatewayObject(gwModelDef),
		k(get, "/model-definitions/get"):     h.changeGatewayObject(gwModelDef, access.Read),
		k(post, "/model-definitions/update"): h.changeGatewayObject(gwModelDef, access.Edit),
		k(del, "/model-definitions/delete"):  h.deleteGatewayObject(gwModelDef),
		k(get, "/model-definitions/list"):    h.listGatewayObjects(gwModelDef),
		k(post, "/endpoints/create"):         h.createGatewayObject(gwEndpoint),
		k(get, "/endpoints/get"):             h.getEndpoint,
		k(post, "/endpoints/update"):         h.changeGatewayObject(gwEndpoint, access.Edit),
		k(del, "/endpoints/delete"):          h.deleteGatewayObject(gwEndpoint),
		k(get, "/endpoints/list"):            h.listGatewayObjects(gwEndpoint),
		k(post, "/endpoints/models/attach"):  h.changeGatewayObject(gwEndpoint, access.Edit),
		"GET /gateway/mlflow/v1/models":      h.gatewayModels,
	}
}

// parsedCall is the gateway call's parse (gatewayREST put it there).
func parsedCall(c *gin.Context) (*mlflowapi.Request, params, string, error) {
	v, ok := c.Get(parsedRequest)
	if !ok {
		return nil, nil, "", errRefused
	}
	req := v.(*mlflowapi.Request)
	p, err := readParams(c)
	return req, p, req.Endpoint.Method + " " + access.RESTPath(req.Endpoint.Path), err
}

// alsoAndStamp requires what access.Also names for the call and sets
// access.Stamps' fields.
func (h handlers) alsoAndStamp(c *gin.Context, key string, req *mlflowapi.Request, p params) error {
	for _, ref := range access.Also[key] {
		if err := h.requireEach(c, req, ref.Path, ref.Target, ref.Op, false); err != nil {
			return respondErr(c, err)
		}
	}
	return h.stamp(c, key, p)
}

// callAt sends p to MLflow's path and reads the answer whole.
func (h handlers) callAt(ctx context.Context, method, path string, p params) (*mlflow.Response, error) {
	ctx, query, body, err := h.request(ctx, method, path, p)
	if err != nil {
		return nil, err
	}
	return h.MLflow.Call(ctx, method, path, query, body)
}

// createGatewayObject needs create on the default project and use on what
// the new object names; the object is then registered with the caller as
// its creator, or deleted again.
func (h handlers) createGatewayObject(kind gwKind) func(*gin.Context) error {
	return func(c *gin.Context) error {
		req, p, key, err := parsedCall(c)
		if err != nil {
			return err
		}
		ctx, cred := c.Request.Context(), credential(c)
		project := access.Project(h.DefaultProject)
		if err := h.Access.Require(ctx, cred, project, access.Create); err != nil {
			return err
		}
		if err := h.alsoAndStamp(c, key, req, p); err != nil {
			return err
		}
		var track *usageExperiment
		if kind.one == gwEndpoint.one {
			if track, err = h.usageExperiment(c, p); err != nil {
				return respondErr(c, err)
			}
		}
		resp, err := h.callAt(ctx, post, req.Path(), p)
		if err != nil || !resp.OK() {
			return respondErr(c, orUpstream(resp, err))
		}
		made, err := decodeAnswer(resp.Body)
		if err != nil {
			return err
		}
		obj, _ := made[kind.one].(map[string]any)
		id, _ := obj[kind.idField].(string)
		if id == "" {
			return apierror.BadGateway(nil, "MLflow's answer names no %s", kind.idField)
		}
		undo := func() {
			h.undo(ctx, del, strings.TrimSuffix(req.Path(), "/create")+"/delete", params{kind.idField: id})
		}
		if err := h.Registry.Register(ctx, cred, kind.element(id), project); err != nil {
			undo()
			return err
		}
		h.Access.Forget(cred, kind.element(id))
		if track != nil {
			exp, _ := obj["experiment_id"].(string)
			if err := h.claimUsageExperiment(c, track, exp, project); err != nil {
				undo()
				_ = h.Registry.Unregister(context.WithoutCancel(ctx), cred, kind.element(id))
				return err
			}
		}
		return h.redacted(c, resp)
	}
}

// usageExperiment is the experiment MLflow makes (or takes, when one of
// that name exists) for an endpoint's usage traces when the call names
// none: gateway/<endpoint name>.
type usageExperiment struct {
	name    string
	existed bool
}

// usageExperiment checks where an endpoint's traces will go: an experiment
// named needs edit (Also); none named, with usage tracking on (MLflow's
// default), MLflow gets or creates gateway/<name>, which needs edit if it
// exists already — the caller's traces must not land in someone else's
// experiment.
func (h handlers) usageExperiment(c *gin.Context, p params) (*usageExperiment, error) {
	if exp, _ := mlflowapi.Text(p["experiment_id"]); exp != "" || !usageTracking(p) {
		return nil, nil
	}
	name, _ := mlflowapi.Text(p["name"])
	u := &usageExperiment{name: "gateway/" + name}
	resp, err := h.call(c.Request.Context(), get, "/experiments/get-by-name", params{"experiment_name": u.name})
	if err != nil {
		return nil, err
	}
	if resp.Status == http.StatusNotFound {
		return u, nil
	}
	if !resp.OK() {
		return nil, upstreamError{resp}
	}
	var out struct {
		Experiment struct {
			ID string `json:"experiment_id"`
		} `json:"experiment"`
	}
	if json.Unmarshal(resp.Body, &out) != nil || out.Experiment.ID == "" {
		return nil, apierror.BadGateway(nil, "MLflow gave an unreadable answer")
	}
	u.existed = true
	return u, h.Access.Require(c.Request.Context(), credential(c), access.Experiment(out.Experiment.ID), access.Edit)
}

// usageTracking is an endpoint call's usage_tracking, on unless false.
func usageTracking(p params) bool {
	raw, ok := p["usage_tracking"].(json.RawMessage)
	return !ok || string(raw) != "false"
}

// claimUsageExperiment registers the experiment MLflow created for the new
// endpoint's traces to its caller. If it existed after all (made between
// the check and the creation), the caller needs edit on it.
func (h handlers) claimUsageExperiment(c *gin.Context, u *usageExperiment, exp, project string) error {
	if exp == "" {
		return nil
	}
	ctx, cred := c.Request.Context(), credential(c)
	element := access.Experiment(exp)
	if !u.existed {
		if err := h.Registry.Register(ctx, cred, element, project); err == nil {
			h.Access.Forget(cred, element)
			return nil
		}
	}
	return h.Access.Require(ctx, cred, element, access.Edit)
}

// requireObject is the call's parse and the id of the one object it names,
// once op on that object is allowed.
func (h handlers) requireObject(c *gin.Context, kind gwKind, op string) (*mlflowapi.Request, params, string, string, error) {
	req, p, key, err := parsedCall(c)
	if err != nil {
		return nil, nil, "", "", err
	}
	id, err := p.first(kind.idField)
	if err != nil {
		return nil, nil, "", "", err
	}
	if err := h.Access.Require(c.Request.Context(), credential(c), kind.element(id), op); err != nil {
		return nil, nil, "", "", err
	}
	return req, p, key, id, nil
}

// changeGatewayObject reads or changes one object: op on it, use on what
// the call names (Also), the stamps; the answer is redacted.
func (h handlers) changeGatewayObject(kind gwKind, op string) func(*gin.Context) error {
	return func(c *gin.Context) error {
		req, p, key, id, err := h.requireObject(c, kind, op)
		if err != nil {
			return err
		}
		ctx := c.Request.Context()
		if err := h.alsoAndStamp(c, key, req, p); err != nil {
			return err
		}
		if key == "POST "+gatewayAPI+"/endpoints/update" {
			if err := h.noUsageExperimentMade(c, id, p); err != nil {
				return respondErr(c, err)
			}
		}
		resp, err := h.callAt(ctx, req.Endpoint.Method, req.Path(), p)
		if err != nil || !resp.OK() {
			return respondErr(c, orUpstream(resp, err))
		}
		return h.redacted(c, resp)
	}
}

// noUsageExperimentMade refuses an update that turns usage tracking on for
// an endpoint without an experiment and names none: MLflow would get or
// create gateway/<name>, perhaps someone else's.
func (h handlers) noUsageExperimentMade(c *gin.Context, id string, p params) error {
	raw, _ := p["usage_tracking"].(json.RawMessage)
	if exp, _ := mlflowapi.Text(p["experiment_id"]); exp != "" || string(raw) != "true" {
		return nil
	}
	resp, err := h.callAt(c.Request.Context(), get, gatewayAPI+"/endpoints/get", params{"endpoint_id": id})
	if err != nil || !resp.OK() {
		return orUpstream(resp, err)
	}
	var out struct {
		Endpoint struct {
			ExperimentID string `json:"experiment_id"`
		} `json:"endpoint"`
	}
	if json.Unmarshal(resp.Body, &out) != nil {
		return apierror.BadGateway(nil, "MLflow gave an unreadable answer")
	}
	if out.Endpoint.ExperimentID == "" {
		return badParam("experiment_id", "given (an experiment you may edit) when usage tracking is turned on")
	}
	return nil
}

// getEndpoint reads an endpoint by id or by name: MLflow's answer says
// which endpoint it is, and read on it is required before it is shown.
func (h handlers) getEndpoint(c *gin.Context) error {
	req, p, _, err := parsedCall(c)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	if err := h.Access.Authenticate(ctx, credential(c)); err != nil {
		return err
	}
	resp, err := h.callAt(ctx, get, req.Path(), p)
	if err != nil || !resp.OK() {
		return respondErr(c, orUpstream(resp, err))
	}
	out, err := decodeAnswer(resp.Body)
	if err != nil {
		return err
	}
	endpoint, _ := out["endpoint"].(map[string]any)
	id, _ := endpoint["endpoint_id"].(string)
	if err := h.Access.Require(ctx, credential(c), access.GatewayEndpoint(id), access.Read); err != nil {
		return err
	}
	return h.redacted(c, resp)
}

// deleteGatewayObject needs manage; the object's element goes with it.
func (h handlers) deleteGatewayObject(kind gwKind) func(*gin.Context) error {
	return func(c *gin.Context) error {
		req, p, _, id, err := h.requireObject(c, kind, access.Manage)
		if err != nil {
			return err
		}
		ctx, cred := c.Request.Context(), credential(c)
		resp, err := h.callAt(ctx, del, req.Path(), p.only(kind.idField))
		if err != nil || !resp.OK() {
			return respondErr(c, orUpstream(resp, err))
		}
		if err := h.Registry.Unregister(context.WithoutCancel(ctx), cred, kind.element(id)); err != nil {
			_ = c.Error(err) // the object is gone; a stale element opens nothing
		}
		return pass(c, resp)
	}
}

// listGatewayObjects keeps the objects the caller may read (MLflow's lists
// are not paged).
func (h handlers) listGatewayObjects(kind gwKind) func(*gin.Context) error {
	return func(c *gin.Context) error {
		req, p, _, err := parsedCall(c)
		if err != nil {
			return err
		}
		ctx := c.Request.Context()
		set, err := h.Access.Readable(ctx, credential(c), strings.TrimSuffix(kind.element(""), ":"))
		if err != nil {
			return err
		}
		resp, err := h.callAt(ctx, get, req.Path(), p)
		if err != nil || !resp.OK() {
			return respondErr(c, orUpstream(resp, err))
		}
		out, err := decodeAnswer(resp.Body)
		if err != nil {
			return err
		}
		items, _ := out[kind.list].([]any)
		kept := make([]any, 0, len(items))
		for _, item := range items {
			obj, _ := item.(map[string]any)
			if id, _ := obj[kind.idField].(string); id != "" && set.Has(kind.element(id)) {
				kept = append(kept, obj)
			}
		}
		out = map[string]any{kind.list: kept} // nothing else of MLflow's answer
		if err := h.redact(c, out); err != nil {
			return err
		}
		c.JSON(http.StatusOK, out)
		return nil
	}
}

// secretsConfig says whether MLflow can store secrets; whether it uses the
// default passphrase is for admins only.
func (h handlers) secretsConfig(c *gin.Context) error {
	req, p, _, err := parsedCall(c)
	if err != nil {
		return err
	}
	ctx, cred := c.Request.Context(), credential(c)
	if err := h.Access.Authenticate(ctx, cred); err != nil {
		return err
	}
	resp, err := h.callAt(ctx, get, req.Path(), p)
	if err != nil || !resp.OK() {
		return respondErr(c, orUpstream(resp, err))
	}
	out, err := decodeAnswer(resp.Body)
	if err != nil {
		return err
	}
	if h.Access.Require(ctx, cred, access.Root, access.Manage) != nil {
		delete(out, "using_default_passphrase")
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// decodeAnswer reads an MLflow JSON object keeping numbers as written.
func decodeAnswer(body []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var out map[string]any
	if err := d.Decode(&out); err != nil || out == nil {
		return nil, apierror.BadGateway(err, "MLflow gave an unreadable answer")
	}
	return out, nil
}

// redacted writes an answer about gateway objects, redacted.
func (h handlers) redacted(c *gin.Context, resp *mlflow.Response) error {
	out, err := decodeAnswer(resp.Body)
	if err != nil {
		return err
	}
	if err := h.redact(c, out); err != nil {
		return err
	}
	c.JSON(resp.Status, out)
	return nil
}

// redact withholds what an answer embeds of objects the caller may not
// read: an endpoint's mapping keeps its model definition's id but not the
// definition, unless the caller may read it; a definition keeps its
// secret's id and name only for who may read the secret.
func (h handlers) redact(c *gin.Context, answer map[string]any) error {
	var mappings, defs []map[string]any
	collect := func(endpoint any) {
		e, _ := endpoint.(map[string]any)
		list, _ := e["model_mappings"].([]any)
		for _, m := range list {
			if mm, ok := m.(map[string]any); ok {
				mappings = append(mappings, mm)
			}
		}
	}
	collect(answer["endpoint"])
	for _, e := range asList(answer["endpoints"]) {
		collect(e)
	}
	if m, ok := answer["mapping"].(map[string]any); ok {
		mappings = append(mappings, m)
	}
	if d, ok := answer["model_definition"].(map[string]any); ok {
		defs = append(defs, d)
	}
	for _, d := range asList(answer["model_definitions"]) {
		if dd, ok := d.(map[string]any); ok {
			defs = append(defs, dd)
		}
	}
	for _, m := range mappings {
		if d, ok := m["model_definition"].(map[string]any); ok {
			defs = append(defs, d)
		}
	}
	var elements []string
	for _, m := range mappings {
		elements = append(elements, access.GatewayModelDefinition(mappingDefinition(m)))
	}
	for _, d := range defs {
		if s, _ := d["secret_id"].(string); s != "" {
			elements = append(elements, access.GatewaySecret(s))
		}
	}
	if len(elements) == 0 {
		return nil
	}
	may, err := h.Access.Allowed(c.Request.Context(), credential(c), elements, access.Read)
	if err != nil {
		return err
	}
	for _, d := range defs {
		if s, _ := d["secret_id"].(string); s != "" && !may[access.GatewaySecret(s)] {
			delete(d, "secret_id")
			delete(d, "secret_name")
		}
	}
	for _, m := range mappings {
		if !may[access.GatewayModelDefinition(mappingDefinition(m))] {
			delete(m, "model_definition")
		}
	}
	return nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// mappingDefinition is the model definition an endpoint's mapping names.
func mappingDefinition(m map[string]any) string {
	if id, _ := m["model_definition_id"].(string); id != "" {
		return id
	}
	d, _ := m["model_definition"].(map[string]any)
	id, _ := d["model_definition_id"].(string)
	return id
}

// endpointIDs maps the names of MLflow's endpoints to their ids.
func (h handlers) endpointIDs(ctx context.Context) (map[string]string, error) {
	resp, err := h.callAt(ctx, get, gatewayAPI+"/endpoints/list", params{})
	if err != nil || !resp.OK() {
		return nil, orUpstream(resp, err)
	}
	var out struct {
		Endpoints []struct {
			ID   string `json:"endpoint_id"`
			Name string `json:"name"`
		} `json:"endpoints"`
	}
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		return nil, apierror.BadGateway(err, "MLflow gave an unreadable answer")
	}
	ids := make(map[string]string, len(out.Endpoints))
	for _, e := range out.Endpoints {
		ids[e.Name] = e.ID
	}
	return ids, nil
}

// gatewayModels is the OpenAI-style list of endpoints (by name): those the
// caller may use.
func (h handlers) gatewayModels(c *gin.Context) error {
	ctx, cred := c.Request.Context(), credential(c)
	if err := h.Access.Authenticate(ctx, cred); err != nil {
		return err
	}
	ids, err := h.endpointIDs(ctx)
	if err != nil {
		return respondErr(c, err)
	}
	resp, err := h.MLflow.Call(ctx, get, "/gateway/mlflow/v1/models", nil, nil)
	if err != nil || !resp.OK() {
		return respondErr(c, orUpstream(resp, err))
	}
	out, err := decodeAnswer(resp.Body)
	if err != nil {
		return err
	}
	models := asList(out["data"])
	elements := make([]string, 0, len(models))
	for _, id := range ids {
		elements = append(elements, access.GatewayEndpoint(id))
	}
	may, err := h.Access.Allowed(ctx, cred, elements, access.Use)
	if err != nil {
		return err
	}
	kept := make([]any, 0, len(models))
	for _, m := range models {
		obj, _ := m.(map[string]any)
		name, _ := obj["id"].(string)
		if id, ok := ids[name]; ok && may[access.GatewayEndpoint(id)] {
			kept = append(kept, obj)
		}
	}
	c.JSON(http.StatusOK, gin.H{"object": out["object"], "data": kept}) // nothing else of MLflow's answer
	return nil
}

// endpointID is the id of the endpoint MLflow routes name to, asked of
// MLflow the way its invocations look it up (by name).
func (h handlers) endpointID(ctx context.Context, name string) (string, error) {
	resp, err := h.MLflow.Call(ctx, get, gatewayAPI+"/endpoints/get", url.Values{"name": {name}}, nil)
	if err != nil || !resp.OK() {
		return "", orUpstream(resp, err)
	}
	var out struct {
		Endpoint struct {
			ID   string `json:"endpoint_id"`
			Name string `json:"name"`
		} `json:"endpoint"`
	}
	if json.Unmarshal(resp.Body, &out) != nil || out.Endpoint.ID == "" || out.Endpoint.Name != name {
		return "", apierror.BadGateway(nil, "MLflow gave an unreadable answer")
	}
	return out.Endpoint.ID, nil
}

// allSpecials are the handlers of every Special rule.
func (h handlers) allSpecials() map[string]func(*gin.Context) error {
	all := h.specials()
	for k, f := range h.aiGatewaySpecials() {
		all[k] = f
	}
	return all
}
