package api

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/httpclient"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflowgql"
)

// maxGraphQLBody bounds a GraphQL call: its document (at most
// mlflowgql.MaxQueryBytes) and its variables.
const maxGraphQLBody = 1 << 20

// maxGraphQLExperiments bounds the experiment ids one search names.
const maxGraphQLExperiments = 1000

// hiddenModelName is the alias under which a forwarded document asks for
// each model version's model name, by which the answer is filtered.
const hiddenModelName = mlflowgql.Hidden + "ModelName"

// graphQL serves MLflow's /graphql. The document is read once
// (mlflowgql), every root field is authorized by access.GraphQLFields, and
// MLflow is sent a document printed from exactly what was checked: the
// one operation, variables put in place, fragments expanded, search
// lists cut to what the caller may read. Lists of model versions are
// filtered in MLflow's answer.
func (h handlers) graphQL(c *gin.Context) error {
	if m := access.Lookup(c.Request.Method, c.Request.URL.Path); m.Rule.Target != access.ByGraphQL {
		return refusal(m)
	}
	if c.Request.Method != http.MethodPost {
		return apierror.BadRequest(`MLflow reads a GraphQL call from its JSON body only: send it with POST, as {"query": ..., "variables": ..., "operationName": ...}`)
	}
	if c.Request.URL.RawQuery != "" {
		return apierror.BadRequest("a GraphQL call takes no query string (MLflow would read some arguments from it)")
	}
	if mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type")); err != nil || mt != "application/json" {
		return apierror.BadRequest("a GraphQL call is sent with Content-Type: application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxGraphQLBody))
	if err != nil {
		return apierror.New(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", maxGraphQLBody)
	}
	req, err := mlflowgql.Read(body)
	if err != nil {
		return err
	}
	op, err := mlflowgql.Prepare(mlflowgql.Pinned(), req)
	if err != nil {
		return err
	}
	if err := h.authorizeGraphQL(c, op); err != nil {
		return respondErr(c, err)
	}
	filtered := askModelNames(op)
	doc, err := json.Marshal(map[string]string{"query": op.Print()})
	if err != nil {
		return err
	}
	// Every field MLflow serves over GraphQL only reads: safe to retry.
	ctx := httpclient.MarkIdempotent(c.Request.Context())
	if !filtered {
		resp, err := h.MLflow.Forward(ctx, http.MethodPost, "/graphql", nil, doc)
		if err != nil {
			return err
		}
		return h.relay(c, resp)
	}
	resp, err := h.MLflow.Call(ctx, http.MethodPost, "/graphql", nil, doc)
	if err != nil {
		return err
	}
	if !resp.OK() {
		return pass(c, resp)
	}
	out, err := h.keepReadableVersions(c, op, resp.Body)
	if err != nil {
		return err
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "application/json", out)
	return nil
}

// gqlCheck is what one root field needs: read on each of elements, named
// by ids.
type gqlCheck struct {
	field    *mlflowgql.Field
	rule     access.GraphQLRule
	ids      []string
	elements []string
}

// authorizeGraphQL checks every root field of op by its rule, deciding all
// their elements in one batch, and rewrites the arguments to what was
// checked: one run id for runId/runUuid, only the readable experiments of
// a search, the model search narrowed to readable models. A field without
// a rule, or whose arguments name nothing it can be checked by, is
// refused.
func (h handlers) authorizeGraphQL(c *gin.Context, op *mlflowgql.Operation) error {
	ctx, cred := c.Request.Context(), credential(c)
	var checks []gqlCheck
	byOp := map[string][]string{}
	for _, f := range op.Fields {
		rule, ok := access.GraphQLFields[op.Root+"."+f.Name]
		if !ok {
			return apierror.Forbidden("the GraphQL field %s.%s is not available through ML Studio", op.Root, f.Name)
		}
		var ids []string
		switch rule.Target {
		case access.SignedIn:
			continue
		case access.Special:
			if err := h.narrowVersionSearch(c, f, rule); err != nil {
				return err
			}
			continue
		case access.ByExperiment, access.ByRun:
			id, err := gqlOneID(f, rule)
			if err != nil {
				return err
			}
			ids = []string{id}
		case access.ByRunList:
			list, err := gqlIDs(f, rule.Arg, maxEach)
			if err != nil {
				return err
			}
			ids = list
		case access.ByExperimentList:
			list, err := gqlIDs(f, rule.Arg, maxGraphQLExperiments)
			if err != nil {
				return err
			}
			ids = list
		default:
			return errRefused
		}
		target := rule.Target
		switch target {
		case access.ByRunList:
			target = access.ByRun
		case access.ByExperimentList:
			target = access.ByExperiment
		}
		ck := gqlCheck{field: f, rule: rule, ids: ids}
		for _, id := range ids {
			element, err := h.elementOf(c, target, id)
			if err != nil {
				return err
			}
			ck.elements = append(ck.elements, element)
		}
		byOp[rule.Op] = append(byOp[rule.Op], ck.elements...)
		checks = append(checks, ck)
	}
	if len(byOp) == 0 {
		return h.Access.Authenticate(ctx, cred)
	}
	allowed := map[string]map[string]bool{}
	for op, elements := range byOp {
		a, err := h.Access.Allowed(ctx, cred, elements, op)
		if err != nil {
			return err
		}
		allowed[op] = a
	}
	for _, ck := range checks {
		ok := allowed[ck.rule.Op]
		if ck.rule.Target == access.ByExperimentList { // a search: what may be read is kept
			kept := make([]mlflowgql.Value, 0, len(ck.ids))
			for i, id := range ck.ids {
				if ok[ck.elements[i]] {
					kept = append(kept, mlflowgql.Str(id))
				}
			}
			if len(kept) == 0 {
				return apierror.Forbidden("you do not have %s access to any experiment %s names", ck.rule.Op, ck.field.Name)
			}
			gqlSet(ck.field, ck.rule.Arg, mlflowgql.Value{Kind: mlflowgql.List, List: kept})
			continue
		}
		for _, element := range ck.elements {
			if !ok[element] {
				if err := h.Access.Require(ctx, cred, element, ck.rule.Op); err != nil {
					return err // its 403, from the decision just cached
				}
				return apierror.Forbidden("you do not have %s access to what %s names", ck.rule.Op, ck.field.Name)
			}
		}
	}
	return nil
}

// narrowVersionSearch lets a model version search through only when
// MLflow can be asked for the caller's readable models alone: everything
// (nothing to narrow), or at most maxNarrow named models, whose names are
// added to the filter as the REST search does. Its answer is filtered too.
// Otherwise its pages could not be filled: refused, with where to go.
func (h handlers) narrowVersionSearch(c *gin.Context, f *mlflowgql.Field, rule access.GraphQLRule) error {
	set, err := h.Access.Readable(c.Request.Context(), credential(c), "registered_model")
	if err != nil {
		return err
	}
	if set.Everything() {
		return nil
	}
	names, listed := set.Listed()
	if listed && len(names) == 0 {
		return apierror.Forbidden("you do not have read access to any registered model")
	}
	clause := ""
	if listed && len(names) <= maxNarrow {
		clause = namedModels(names)
	}
	if clause == "" {
		return apierror.Forbidden("%s answers only callers who may read every registered model or at most %d named ones; GET /api/2.0/mlflow/model-versions/search serves the others", f.Name, maxNarrow)
	}
	filter, err := gqlString(f, rule.Arg)
	if err != nil {
		return err
	}
	if filter != "" {
		clause = filter + " AND " + clause
	}
	gqlSet(f, rule.Arg, mlflowgql.Str(clause))
	return nil
}

// askModelNames adds the model name, under a hidden alias, to every list
// of model versions the answer is filtered by; false when there is none.
func askModelNames(op *mlflowgql.Operation) bool {
	found := false
	op.Walk(func(f *mlflowgql.Field) {
		if access.GraphQLModelLists[f.Parent+"."+f.Name] {
			f.Fields = append(f.Fields, &mlflowgql.Field{Alias: hiddenModelName, Name: "name", Parent: f.Type, Type: "String"})
			found = true
		}
	})
	return found
}

// keepReadableVersions cuts every list of model versions in MLflow's
// answer to the versions of models the caller may read, and takes the
// hidden names out. A version without a name is dropped.
func (h handlers) keepReadableVersions(c *gin.Context, op *mlflowgql.Operation, body []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var answer map[string]any
	if err := dec.Decode(&answer); err != nil {
		return nil, apierror.BadGateway(err, "MLflow gave an unreadable answer")
	}
	held := op.Lists(answer["data"], func(f *mlflowgql.Field) bool { return access.GraphQLModelLists[f.Parent+"."+f.Name] })
	if len(held) > 0 {
		set, err := h.Access.Readable(c.Request.Context(), credential(c), "registered_model")
		if err != nil {
			return nil, err
		}
		for _, l := range held {
			items := l.Items()
			if items == nil {
				continue
			}
			kept := make([]any, 0, len(items))
			for _, item := range items {
				m, _ := item.(map[string]any)
				name, _ := m[hiddenModelName].(string)
				delete(m, hiddenModelName)
				if name != "" && set.Has(access.Model(name)) {
					kept = append(kept, item)
				}
			}
			l.Set(kept)
		}
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(answer); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// gqlOneID is the one id a field's rule names, which must be given; with
// an Alias (runUuid, which MLflow reads when runId is empty) the two are
// folded into Arg, and both naming different runs is refused.
func gqlOneID(f *mlflowgql.Field, rule access.GraphQLRule) (string, error) {
	id, err := gqlString(f, rule.Arg)
	if err != nil {
		return "", err
	}
	if rule.Alias != "" {
		other, err := gqlString(f, rule.Alias)
		if err != nil {
			return "", err
		}
		if id == "" {
			id = other
		} else if other != "" && other != id {
			return "", apierror.BadRequest("'%s' and '%s' name different things", rule.Arg, rule.Alias)
		}
		gqlDelete(f, rule.Alias)
	}
	if id == "" {
		return "", apierror.Required(rule.Arg)
	}
	gqlSet(f, rule.Arg, mlflowgql.Str(id))
	return id, nil
}

// gqlIDs is the list of ids at an argument path, which must name at least
// one and at most max, each a non-empty string.
func gqlIDs(f *mlflowgql.Field, path string, max int) ([]string, error) {
	v, ok := gqlValue(f, path)
	if !ok || len(v.List) == 0 {
		return nil, apierror.Required(path)
	}
	if v.Kind != mlflowgql.List || len(v.List) > max {
		return nil, badParam(path, "a list of at most "+strconv.Itoa(max)+" ids")
	}
	ids := make([]string, len(v.List))
	for i, item := range v.List {
		if item.Kind != mlflowgql.String || item.Text == "" {
			return nil, badParam(path, "ids, each a non-empty string")
		}
		ids[i] = item.Text
	}
	return ids, nil
}

// gqlString is the string at an argument path; "" when absent or null.
func gqlString(f *mlflowgql.Field, path string) (string, error) {
	v, ok := gqlValue(f, path)
	if !ok {
		return "", nil
	}
	if v.Kind != mlflowgql.String {
		return "", badParam(path, "a string")
	}
	return v.Text, nil
}

// gqlValue is the value at an argument path: "input" or "input.runId".
// MLflow reads a null as absent.
func gqlValue(f *mlflowgql.Field, path string) (mlflowgql.Value, bool) {
	arg, field, nested := strings.Cut(path, ".")
	v, ok := f.Arg(arg)
	if ok && nested {
		v, ok = v.Field(field)
	}
	if !ok || v.Kind == mlflowgql.Null {
		return mlflowgql.Value{}, false
	}
	return v, true
}

// gqlSet sets the value at an argument path, making its input object when
// the argument is absent or null.
func gqlSet(f *mlflowgql.Field, path string, v mlflowgql.Value) {
	arg, field, nested := strings.Cut(path, ".")
	if !nested {
		f.SetArg(arg, v)
		return
	}
	obj, ok := f.Arg(arg)
	if !ok || obj.Kind != mlflowgql.Object {
		obj = mlflowgql.Value{Kind: mlflowgql.Object}
	}
	f.SetArg(arg, obj.With(field, v))
}

// gqlDelete removes the input field at an argument path.
func gqlDelete(f *mlflowgql.Field, path string) {
	arg, field, nested := strings.Cut(path, ".")
	if obj, ok := f.Arg(arg); ok && nested && obj.Kind == mlflowgql.Object {
		f.SetArg(arg, obj.Without(field))
	}
}
