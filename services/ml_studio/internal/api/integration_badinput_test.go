package api_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
)

// specialRequired are the required parameters, in the order they are
// checked, of the routes with a handler of their own; the simple routes'
// come from routes.go itself.
var specialRequired = map[string][]string{
	"POST /api/experiments/create":         {"name"},
	"POST /api/experiments/search":         {},
	"GET /api/experiments/get-by-name":     {"experiment_name"},
	"POST /api/runs/search":                {"experiment_ids"},
	"POST /api/models/create":              {"name"},
	"GET /api/models/search":               {},
	"POST /api/models/rename":              {"name", "new_name"},
	"DELETE /api/models/delete":            {"name"},
	"POST /api/models/versions/create":     {"name", "source"},
	"GET /api/models/versions/search":      {},
	"POST /api/models/versions/transition": {"name", "version", "stage"},
	"GET /api/artifacts/list":              {"run_id"},
	"GET /api/artifacts/download":          {"run_id", "path"},
	"PUT /api/artifacts/upload":            {"run_id", "path"},
}

// simpleRequired reads the req(...) lists of the h.simple(...) routes out
// of routes.go, keyed "METHOD /api/path".
func simpleRequired(t *testing.T) map[string][]string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "routes.go", nil, 0)
	if err != nil {
		t.Fatalf("parse routes.go: %v", err)
	}
	methods := map[string]string{"get": get, "post": post, "patch": patch, "del": del, "put": put}
	out := map[string][]string{}
	ast.Inspect(file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "simple" || len(call.Args) < 2 {
			return true
		}
		var method string
		switch m := call.Args[0].(type) {
		case *ast.Ident:
			method = methods[m.Name]
		case *ast.SelectorExpr: // http.MethodPut
			method = strings.ToUpper(strings.TrimPrefix(m.Sel.Name, "Method"))
		}
		lit, ok := call.Args[1].(*ast.BasicLit)
		if method == "" || !ok {
			t.Errorf("routes.go: cannot read the route of %v", call.Args[:2])
			return true
		}
		path, _ := strconv.Unquote(lit.Value)
		var required []string
		for _, arg := range call.Args[2:] {
			if rc, ok := arg.(*ast.CallExpr); ok {
				if id, ok := rc.Fun.(*ast.Ident); ok && id.Name == "req" {
					for _, a := range rc.Args {
						if l, ok := a.(*ast.BasicLit); ok {
							s, _ := strconv.Unquote(l.Value)
							required = append(required, s)
						}
					}
				}
			}
		}
		out[method+" /api"+path] = required
		return true
	})
	if len(out) < 20 {
		t.Fatalf("read only %d simple routes from routes.go", len(out))
	}
	return out
}

// sample is a valid value of each parameter on fx.
func sample(fx *fixture, name string) any {
	switch name {
	case "experiment_id":
		return fx.ExpID
	case "experiment_ids":
		return []string{fx.ExpID}
	case "experiment_name":
		return fx.ExpName
	case "run_id":
		return fx.RunID
	case "name":
		return fx.Model
	case "new_name":
		return fx.Model + "-new"
	case "version":
		return "1"
	case "alias":
		return aliasName
	case "source":
		return fx.ArtifactURI + "/" + artifactDir
	case "stage":
		return "Staging"
	case "metric_key":
		return metricKey
	case "timestamp":
		return nowMillis()
	case "path":
		return fx.ArtifactPath
	case "value":
		return "1"
	}
	return "k"
}

// requireExactError checks a body is exactly {"error": want}.
func requireExactError(t *testing.T, r *apitest.Response, status int, want string) {
	t.Helper()
	var body map[string]any
	if r.Status != status || json.Unmarshal(r.Body, &body) != nil || len(body) != 1 || body["error"] != want {
		t.Errorf("%s, want %d {\"error\": %q}", r, status, want)
	}
}

// TestMissingRequiredParameter: leaving out any required parameter of any
// route (or sending it empty) answers exactly the seed's 400.
func TestMissingRequiredParameter(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	fx := newFixture(t, c)
	required := simpleRequired(t)
	for key, names := range specialRequired {
		if _, dup := required[key]; dup {
			t.Errorf("%s is a simple route now: drop it from specialRequired", key)
		}
		required[key] = names
	}
	for _, rc := range matrixRoutes() {
		names, ok := required[rc.String()]
		if !ok {
			t.Errorf("%s: no required parameters known; add it to specialRequired", rc)
			continue
		}
		for i, missing := range names {
			for _, variant := range []string{"absent", "empty", "blank"} {
				t.Run(rc.String()+"/"+missing+"/"+variant, func(t *testing.T) {
					params := map[string]any{}
					for _, n := range names[:i] {
						params[n] = sample(fx, n)
					}
					switch variant {
					case "empty":
						params[missing] = ""
					case "blank":
						params[missing] = "  "
					}
					for _, n := range names[i+1:] {
						params[n] = sample(fx, n)
					}
					var r *apitest.Response
					if rc.body != nil {
						r = c.studio.Do(t, c.user(creator), rc.method, "/api"+rc.path+"?"+apitest.Query(params).Encode(), []byte("x"), nil)
					} else {
						r = c.studio.Call(t, c.user(creator), rc.method, rc.path, params)
					}
					requireExactError(t, r, http.StatusBadRequest, "'"+missing+"' is required")
				})
			}
		}
	}
}

// jsonRoutes are the routes that read a JSON body.
func jsonRoutes() []routeCase {
	var out []routeCase
	for _, rc := range matrixRoutes() {
		if rc.body == nil {
			out = append(out, rc)
		}
	}
	return out
}

// TestMalformedBodies: a body that is not one JSON object, or is over
// 1 MiB, is a 4xx naming the problem on every route, and nothing changes.
func TestMalformedBodies(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	fx := newFixture(t, c)
	huge := []byte(`{"name": "` + strings.Repeat("a", 1<<20+1) + `"}`)
	bodies := []struct {
		name   string
		body   []byte
		status int
		says   string
	}{
		{"truncated", []byte(`{"experiment_id": "1"`), http.StatusBadRequest, "not valid JSON"},
		{"syntax", []byte(`{experiment_id: 1}`), http.StatusBadRequest, "not valid JSON"},
		{"array", []byte(`[1, 2]`), http.StatusBadRequest, "JSON object"},
		{"string", []byte(`"experiment_id"`), http.StatusBadRequest, "JSON object"},
		{"two objects", []byte(`{} {}`), http.StatusBadRequest, "single JSON object"},
		{"over 1 MiB", huge, http.StatusRequestEntityTooLarge, "larger than"},
	}
	header := http.Header{"Content-Type": {"application/json"}}
	before := snapshot(t, c.st, fx)
	for _, rc := range jsonRoutes() {
		for _, b := range bodies {
			t.Run(rc.String()+"/"+b.name, func(t *testing.T) {
				r := c.studio.Do(t, c.user(creator), rc.method, "/api"+rc.path, b.body, header)
				if r.Status != b.status {
					t.Fatalf("%s, want %d", r, b.status)
				}
				if msg := requireErrorBody(t, r, fx.secrets); !strings.Contains(msg, b.says) {
					t.Errorf("%s: message does not say %q", r, b.says)
				}
			})
		}
	}
	if after := snapshot(t, c.st, fx); after != before {
		t.Errorf("refused bodies changed MLflow:\n%s\n%s", before, after)
	}
}

// TestWrongTypes: each required parameter sent as a JSON object (or a
// list where one value is wanted) is a 400 naming it, never a 500.
func TestWrongTypes(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	fx := newFixture(t, c)
	required := simpleRequired(t)
	for k, v := range specialRequired {
		required[k] = v
	}
	before := snapshot(t, c.st, fx)
	for _, rc := range jsonRoutes() {
		for _, name := range required[rc.String()] {
			for _, bad := range []any{map[string]any{"id": fx.ExpID}, []any{map[string]any{"id": fx.ExpID}}} {
				t.Run(rc.String()+"/"+name+"/"+jsonType(bad), func(t *testing.T) {
					params := map[string]any{}
					for _, n := range required[rc.String()] {
						params[n] = sample(fx, n)
					}
					params[name] = bad
					// In a JSON body whatever the method: readParams reads it for GET too.
					r := c.studio.Do(t, c.user(creator), rc.method, "/api"+rc.path, params, nil)
					if r.Status != http.StatusBadRequest {
						t.Fatalf("%s with %q = %v: want 400", r, name, bad)
					}
					if msg := requireErrorBody(t, r, fx.secrets); !strings.Contains(msg, "'"+name+"'") {
						t.Errorf("%s: message does not name %q", r, name)
					}
				})
			}
		}
	}
	if after := snapshot(t, c.st, fx); after != before {
		t.Errorf("refused calls changed MLflow:\n%s\n%s", before, after)
	}
	t.Run("max_results not a number", func(t *testing.T) {
		for _, rc := range []struct{ method, path string }{{post, "/experiments/search"}, {get, "/models/search"}, {get, "/models/versions/search"}} {
			r := c.studio.Call(t, c.user(creator), rc.method, rc.path, map[string]any{"max_results": "many"})
			if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "'max_results'") {
				t.Errorf("%s, want 400 naming max_results", r)
			}
			requireErrorBody(t, r, nil)
		}
	})
	t.Run("page_token not ours", func(t *testing.T) {
		r := c.studio.Call(t, c.user(creator), post, "/experiments/search", map[string]any{"page_token": "!!not-a-token!!"})
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "page_token") {
			t.Errorf("%s, want 400 naming page_token", r)
		}
	})
	// Found by schemathesis: MLflow answered an object or a list for an
	// enum with a bare 500, which ml_studio passed on as a 502.
	t.Run("enum not a name or number", func(t *testing.T) {
		for _, bad := range []any{map[string]any{}, []any{1}} {
			r := c.studio.Call(t, c.user(creator), post, "/experiments/search", map[string]any{"view_type": bad})
			if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "'view_type'") {
				t.Errorf("%s, want 400 naming view_type", r)
			}
			requireErrorBody(t, r, nil)
		}
	})
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "list"
	}
	return "other"
}

// TestArtifactPathsStayInTheRun: paths reaching outside the run's
// artifacts are refused on list, download and upload, and an upload
// writes nothing.
func TestArtifactPathsStayInTheRun(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	fx := newFixture(t, c)
	paths := []string{"..", "../x", "a/../../x", "secret/../../x", "./../x", "/etc/passwd", "/" + fx.ArtifactPath, `secret\weights.txt`, `..\x`, "a/\x00b", "a/.."}
	before := snapshot(t, c.st, fx)
	for _, p := range paths {
		for _, rc := range []struct{ method, path string }{{get, "/artifacts/list"}, {get, "/artifacts/download"}, {put, "/artifacts/upload"}} {
			t.Run(rc.path+"/"+strconv.Quote(p), func(t *testing.T) {
				q := apitest.Query(map[string]any{"run_id": fx.RunID, "path": p}).Encode()
				var body any
				if rc.method == put {
					body = []byte("must not be written")
				}
				r := c.studio.Do(t, c.user(creator), rc.method, "/api"+rc.path+"?"+q, body, nil)
				if r.Status != http.StatusBadRequest {
					t.Fatalf("%s, want 400", r)
				}
				if msg := requireErrorBody(t, r, fx.secrets); !strings.Contains(msg, "'path'") {
					t.Errorf("%s: message does not name the path", r)
				}
			})
		}
	}
	if after := snapshot(t, c.st, fx); after != before {
		t.Errorf("refused paths changed the run's artifacts:\n%s\n%s", before, after)
	}
}

// TestUnknownIDs: MLflow's own 404 reaches an admin; a user who is not
// one cannot tell an unknown experiment or model from one they may not
// read (403 for both).
func TestUnknownIDs(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	unknownModel := "it-no-such-model-" + testenv.RandomSuffix()
	unknownExp := "987654321012"
	for _, tc := range []struct {
		method, path string
		params       map[string]any
		mlflowPath   string
	}{
		{get, "/experiments/get", map[string]any{"experiment_id": unknownExp}, "/experiments/get"},
		{get, "/experiments/get-by-name", map[string]any{"experiment_name": unknownModel}, "/experiments/get-by-name"},
		{get, "/models/get", map[string]any{"name": unknownModel}, "/registered-models/get"},
		{get, "/models/versions/get", map[string]any{"name": unknownModel, "version": "1"}, "/model-versions/get"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			direct := c.st.MLflow(t, tc.method, tc.mlflowPath, tc.params)
			r := c.studio.Call(t, c.user(admin), tc.method, tc.path, tc.params)
			if r.Status != http.StatusNotFound || !bytes.Equal(r.Body, direct.Body) || !strings.Contains(string(r.Body), "RESOURCE_DOES_NOT_EXIST") {
				t.Errorf("as admin: %s\nwant MLflow's own 404: %s", r, direct)
			}
			if tc.path == "/experiments/get-by-name" {
				return // looked up before the check: MLflow's 404 for everyone
			}
			r = c.studio.Call(t, c.user(creator), tc.method, tc.path, tc.params)
			if r.Status != http.StatusForbidden {
				t.Errorf("as alice: %s, want 403 (no existence oracle)", r)
			}
			requireErrorBody(t, r, nil)
		})
	}
}

// TestCreateLeavesNothingHalfMade: a create refused by cerberus makes
// nothing in MLflow, and one whose registration fails after MLflow made
// the object undoes it, leaving the name free.
func TestCreateLeavesNothingHalfMade(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	for _, tc := range []struct {
		path, mlflowGet, key string
	}{
		{"/experiments/create", "/experiments/get-by-name", "experiment_name"},
		{"/models/create", "/registered-models/get", "name"},
	} {
		t.Run(tc.path+"/refused", func(t *testing.T) {
			name := "it-halfmade-" + testenv.RandomSuffix()
			r := c.studio.Call(t, c.user(creator), post, tc.path, map[string]any{"name": name, "project": "no-such-project-" + testenv.RandomSuffix()})
			if r.Status != http.StatusForbidden {
				t.Fatalf("%s, want 403", r)
			}
			requireErrorBody(t, r, nil)
			if got := c.st.MLflow(t, get, tc.mlflowGet, map[string]any{tc.key: name}); got.Status != http.StatusNotFound {
				t.Errorf("a refused create made %q: %s", name, got)
			}
		})
		t.Run(tc.path+"/registration fails", func(t *testing.T) {
			// Admins may create anywhere, so MLflow makes the object before
			// cerberus refuses to register it under a project it lacks.
			name := "it-halfmade-" + testenv.RandomSuffix()
			r := c.studio.Call(t, c.user(admin), post, tc.path, map[string]any{"name": name, "project": "no-such-project-" + testenv.RandomSuffix()})
			if r.Status < 400 || r.Status >= 500 {
				t.Fatalf("%s, want a 4xx", r)
			}
			requireErrorBody(t, r, nil)
			if got := c.st.MLflow(t, get, tc.mlflowGet, map[string]any{tc.key: name}); got.Status != http.StatusNotFound {
				t.Errorf("a failed create left %q behind: %s", name, got)
			}
			// The name is free again: the same create in the default project works.
			c.studio.MustCall(t, c.user(creator), post, tc.path, map[string]any{"name": name})
		})
	}
	t.Run("bad tags", func(t *testing.T) {
		for _, tc := range []struct{ path, mlflowGet, key string }{
			{"/experiments/create", "/experiments/get-by-name", "experiment_name"},
			{"/models/create", "/registered-models/get", "name"},
		} {
			name := "it-badtags-" + testenv.RandomSuffix()
			r := c.studio.Call(t, c.user(creator), post, tc.path, map[string]any{"name": name, "tags": "not a list"})
			if r.Status < 400 || r.Status >= 500 {
				t.Errorf("%s, want a 4xx", r)
			}
			if got := c.st.MLflow(t, get, tc.mlflowGet, map[string]any{tc.key: name}); got.Status != http.StatusNotFound {
				t.Errorf("a refused create made %q: %s", name, got)
			}
		}
	})
}
