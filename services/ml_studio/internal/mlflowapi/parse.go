package mlflowapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// Request is a call as MLflow will read it.
type Request struct {
	Endpoint *Endpoint
	// PathParams are the values of the path's <name> segments.
	PathParams map[string]string
	// Params are the parameters MLflow reads, by proto name: from a query
	// string a string, or a []string for a repeated field; from a JSON body
	// the field's JSON text (json.RawMessage). Nothing else is forwarded.
	Params map[string]any
}

// rawArgs are query parameters a handler reads from request.args itself,
// beside (or instead of) its request message, by handler name.
var rawArgs = map[string][]string{
	"_get_logged_model":         {"allow_deleted"},
	"_delete_workspace_handler": {"mode"},
	"_list_supported_models":    {"provider"},
	"_get_provider_config":      {"provider"},
}

// handlerFields are the parameters of handlers that read no request message
// (MLflow's _get_validated_flask_request_json), by handler name.
var handlerFields = map[string][]Field{
	"_get_online_scoring_configs": {
		{Name: "scorer_ids", JSON: "scorer_ids", Kind: "string", Repeated: true},
	},
	"_upsert_online_scoring_config": {
		{Name: "experiment_id", JSON: "experiment_id", Kind: "string"},
		{Name: "name", JSON: "name", Kind: "string"},
		{Name: "sample_rate", JSON: "sample_rate", Kind: "number"},
		{Name: "filter_string", JSON: "filter_string", Kind: "string"},
	},
}

// ErrNoEndpoint is a (method, path) the pinned server does not serve.
var ErrNoEndpoint = errors.New("MLflow serves no such endpoint")

// Parse reads a call to path (as MLflow routes it, e.g.
// /api/2.0/mlflow/runs/get) the way the pinned MLflow does: a GET's
// parameters from its query string only, any other method's from its JSON
// body only, by proto name or camelCase alias. Whatever MLflow could read
// differently from this is refused with a 400: a GET with a body, a POST
// with a query string, a parameter given twice (twice in a query, twice in
// a body, under both its names, or in the body against the path), a string
// field that is not a JSON string, a body that is not one JSON object.
// Parameters MLflow ignores are dropped.
func (s *Spec) Parse(method, path, rawQuery string, body []byte) (*Request, error) {
	e, vars, ok := s.Lookup(method, path)
	if !ok {
		return nil, ErrNoEndpoint
	}
	fields := s.Fields(e.Message)
	if e.Message == "" {
		fields = handlerFields[e.Handler]
	}
	r := &Request{Endpoint: e, PathParams: vars, Params: map[string]any{}}
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, apierror.BadRequest("the query string is malformed: %v", err)
	}
	extras := rawArgs[e.Handler]
	if method == http.MethodGet {
		if len(bytes.TrimSpace(body)) > 0 {
			return nil, apierror.BadRequest("a GET request takes its parameters in the query string, not in a body")
		}
	} else {
		for k := range query {
			if !slices.Contains(extras, k) {
				return nil, apierror.BadRequest("a %s request takes its parameters in a JSON body, not in the query string ('%s')", method, k)
			}
		}
	}
	for k, vs := range query {
		f, isField := fieldByName(fields, k)
		if method != http.MethodGet {
			isField = false // a body's field: only the handler's own arguments come from the query
		}
		if !isField && !slices.Contains(extras, k) {
			continue // MLflow does not read it
		}
		if isField && f.Repeated {
			r.Params[k] = vs
			continue
		}
		if len(vs) > 1 {
			return nil, apierror.BadRequest("'%s' is given more than once", k)
		}
		if isField && f.Kind == "integer" && !wholeNumber(vs[0]) {
			return nil, apierror.BadRequest("'%s' must be a whole number", k)
		}
		r.Params[k] = vs[0]
	}
	if method != http.MethodGet {
		members, err := object(body)
		if err != nil {
			return nil, err
		}
		if err := readMembers(fields, members, r.Params); err != nil {
			return nil, err
		}
	}
	// MLflow's handlers act on the path's value; a body naming another is refused.
	for name, v := range vars {
		if given, ok := r.Params[name]; ok {
			if s, isText := Text(given); !isText || s != v {
				return nil, apierror.BadRequest("'%s' in the body differs from the one in the path", name)
			}
		}
	}
	if err := r.oneRunID(fields); err != nil {
		return nil, err
	}
	var withNUL []string
	for name, v := range r.Params {
		if HasNUL(v) {
			withNUL = append(withNUL, name)
		}
	}
	if len(withNUL) > 0 {
		return nil, apierror.BadRequest("'%s' must not contain NUL characters", slices.Min(withNUL))
	}
	if err := CheckPageToken(r.Params["page_token"]); err != nil {
		return nil, err
	}
	return r, nil
}

// CheckPageToken refuses a page token MLflow could not have written: its
// tokens are base64, and one with other characters made it answer 500
// ("string argument should contain only ASCII characters", found by
// schemathesis).
func CheckPageToken(v any) error {
	var tokens []string
	switch v := v.(type) {
	case nil:
	case []string:
		tokens = v
	default:
		if s, ok := Text(v); ok {
			tokens = []string{s}
		}
	}
	for _, t := range tokens {
		if strings.ContainsFunc(t, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
			return apierror.BadRequest("'page_token' must be a page token from a previous answer")
		}
	}
	return nil
}

// HasNUL reports whether a parameter's value holds a NUL character
// anywhere (a JSON value's strings and keys included): MLflow on
// PostgreSQL cannot store one and answers 500 (found by schemathesis).
func HasNUL(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.ContainsRune(v, 0)
	case []string:
		return slices.ContainsFunc(v, func(s string) bool { return strings.ContainsRune(s, 0) })
	case json.RawMessage:
		if !bytes.Contains(v, []byte(`\u0000`)) {
			return false // JSON writes a NUL only so (or escaped further)
		}
		var decoded any
		return json.Unmarshal(v, &decoded) == nil && HasNUL(decoded)
	case []any:
		return slices.ContainsFunc(v, HasNUL)
	case map[string]any:
		for k, item := range v {
			if strings.ContainsRune(k, 0) || HasNUL(item) {
				return true
			}
		}
	}
	return false
}

// oneRunID folds run_uuid, run_id's older name, into run_id: MLflow's
// handlers read "run_id or run_uuid", so both given and different is
// refused, and only run_id travels on.
func (r *Request) oneRunID(fields []Field) error {
	if _, ok := fieldByName(fields, "run_uuid"); !ok {
		return nil
	}
	uuid, hasUUID := r.Params["run_uuid"]
	if !hasUUID {
		return nil
	}
	delete(r.Params, "run_uuid")
	u, _ := Text(uuid)
	id, _ := Text(r.Params["run_id"])
	switch {
	case u == "":
	case id == "":
		r.Params["run_id"] = uuid
	case id != u:
		return apierror.BadRequest("'run_id' and 'run_uuid' name different runs")
	}
	return nil
}

// Text is a parameter's value as text: a query value, or a JSON string.
// Anything else (a number, a list, null) is not text.
func Text(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.RawMessage:
		var s string
		if len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) == nil {
			return s, true
		}
	}
	return "", false
}

// readMembers puts a JSON object's members into params by proto name.
func readMembers(fields []Field, members []member, params map[string]any) error {
	for _, m := range members {
		f, ok := fieldByKey(fields, m.key)
		if !ok {
			continue // MLflow ignores unknown fields
		}
		if _, dup := params[f.Name]; dup {
			return apierror.BadRequest("'%s' is given twice (as '%s' and '%s')", f.Name, f.Name, f.JSON)
		}
		if err := checkKind(f, m.raw); err != nil {
			return err
		}
		params[f.Name] = m.raw
	}
	return nil
}

// Values reads the values at a dotted proto path of a parsed request
// ("models.model_id", "trace.trace_info.trace_location.mlflow_experiment.experiment_id",
// "trace_ids"), every step read as Parse reads the body: fields by proto
// name or alias, each given once. Lists fan out: a path through a list of
// messages, or ending on a list, yields one value per element. Values are
// JSON text (a query value is quoted); absent fields yield none.
func (s *Spec) Values(r *Request, path string) ([]json.RawMessage, error) {
	name, rest, _ := strings.Cut(path, ".")
	f, ok := fieldByName(s.Fields(r.Endpoint.Message), name)
	if !ok {
		return nil, fmt.Errorf("%s has no field %q", r.Endpoint.Message, name)
	}
	var raw json.RawMessage
	switch v := r.Params[name].(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		raw = v
	case string:
		raw, _ = json.Marshal(v)
	case []string:
		raw, _ = json.Marshal(v)
	}
	return s.follow(f, raw, rest)
}

// ValuesIn is Values inside one value of message.
func (s *Spec) ValuesIn(message string, raw json.RawMessage, path string) ([]json.RawMessage, error) {
	return s.follow(Field{Name: message, Kind: "message", Message: message}, raw, path)
}

func (s *Spec) follow(f Field, raw json.RawMessage, path string) ([]json.RawMessage, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	items := []json.RawMessage{raw}
	if f.Repeated {
		items = nil
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, apierror.BadRequest("'%s' must be a list", f.Name)
		}
	}
	if path == "" {
		return items, nil
	}
	name, rest, _ := strings.Cut(path, ".")
	fields := s.Fields(f.Message)
	next, ok := fieldByName(fields, name)
	if f.Kind != "message" || !ok {
		return nil, fmt.Errorf("%s has no field %q", f.Message, name)
	}
	var out []json.RawMessage
	for _, item := range items {
		members, err := objectMembers(item)
		if err == errNotObject {
			return nil, apierror.BadRequest("each '%s' must be a JSON object", f.Name)
		} else if err != nil {
			return nil, err
		}
		p := map[string]any{}
		if err := readMembers(fields, members, p); err != nil {
			return nil, err
		}
		if v, ok := p[name].(json.RawMessage); ok {
			vals, err := s.follow(next, v, rest)
			if err != nil {
				return nil, err
			}
			out = append(out, vals...)
		}
	}
	return out, nil
}

func fieldByName(fields []Field, name string) (Field, bool) {
	for _, f := range fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// fieldByKey finds a body key as protobuf's JSON parser does: the proto
// name or the JSON name.
func fieldByKey(fields []Field, key string) (Field, bool) {
	for _, f := range fields {
		if f.Name == key || f.JSON == key {
			return f, true
		}
	}
	return Field{}, false
}

// checkKind refuses a string field that is not a JSON string (or a list of
// them): protobuf would fail to parse it and MLflow go on with what it had
// read so far.
func checkKind(f Field, raw json.RawMessage) error {
	if string(raw) == "null" {
		return nil
	}
	if f.Kind == "integer" && !f.Repeated {
		// protobuf's JSON takes a number or a string of one; some handlers
		// read the field themselves and fail on anything else.
		var n json.Number
		if s, ok := Text(raw); ok {
			n = json.Number(s)
		} else if json.Unmarshal(raw, &n) != nil {
			return apierror.BadRequest("'%s' must be a whole number", f.Name)
		}
		if !wholeNumber(n.String()) {
			return apierror.BadRequest("'%s' must be a whole number", f.Name)
		}
		return nil
	}
	if f.Kind == "enum" {
		// An enum is a value's name or number; anything else (an object, a
		// list) made the pinned MLflow's experiments/search answer a bare
		// 500 (found by schemathesis through the seed's /api).
		values := []json.RawMessage{raw}
		if f.Repeated && json.Unmarshal(raw, &values) != nil {
			return apierror.BadRequest("'%s' must be a list of names or numbers", f.Name)
		}
		for _, v := range values {
			var n json.Number
			if _, isText := Text(v); !isText && (json.Unmarshal(v, &n) != nil || !wholeNumber(n.String())) {
				return apierror.BadRequest("'%s' must be a name or a whole number", f.Name)
			}
		}
		return nil
	}
	if f.Kind != "string" {
		return nil
	}
	if f.Repeated {
		var list []string
		if json.Unmarshal(raw, &list) != nil {
			return apierror.BadRequest("'%s' must be a list of strings", f.Name)
		}
		return nil
	}
	if raw[0] != '"' {
		return apierror.BadRequest("'%s' must be a string", f.Name)
	}
	return nil
}

// wholeNumber reports whether s is an integer as protobuf reads one: digits
// with an optional sign, or a number with no fraction (1e3, 2.0).
func wholeNumber(s string) bool {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return true
	}
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f == math.Trunc(f) && !math.IsInf(f, 0)
}

// member is one key of a JSON object, in the order given.
type member struct {
	key string
	raw json.RawMessage
}

var errNotObject = apierror.BadRequest("the body must be one JSON object")

// object reads a body as one JSON object, refusing a key given twice. An
// empty body is an empty object; a JSON string holding an object is read
// as MLflow reads older clients' double-encoded bodies.
func object(body []byte) ([]member, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, nil
	}
	if body[0] == '"' {
		var inner string
		if err := json.Unmarshal(body, &inner); err != nil {
			return nil, errNotObject
		}
		body = bytes.TrimSpace([]byte(inner))
		if len(body) == 0 || body[0] != '{' {
			return nil, errNotObject
		}
	}
	return objectMembers(body)
}

// objectMembers reads one JSON object's members, refusing a key given
// twice and anything after the object. Values are slices of data: after
// json.Valid, a scan of the top level finds them without decoding (a
// 1,000-metric log-batch costs a validation pass, not a decode).
func objectMembers(data []byte) ([]member, error) {
	if !json.Valid(data) {
		return nil, errNotObject
	}
	i := skipSpace(data, 0)
	if data[i] != '{' {
		return nil, errNotObject
	}
	var out []member
	for i = skipSpace(data, i+1); data[i] != '}'; {
		end := skipString(data, i)
		key := string(data[i+1 : end-1])
		if bytes.IndexByte(data[i:end], '\\') >= 0 {
			_ = json.Unmarshal(data[i:end], &key) // valid JSON: an escaped key decodes
		}
		i = skipSpace(data, skipSpace(data, end)+1) // past the ':'
		valueEnd := skipValue(data, i)
		for _, m := range out {
			if m.key == key {
				return nil, apierror.BadRequest("'%s' is given more than once", key)
			}
		}
		out = append(out, member{key: key, raw: json.RawMessage(data[i:valueEnd])})
		if i = skipSpace(data, valueEnd); data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
	return out, nil
}

// The skips walk JSON already checked by json.Valid.

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at data[i].
func skipString(data []byte, i int) int {
	for i++; data[i] != '"'; i++ {
		if data[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// skipValue returns the index just past the value starting at data[i].
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch data[i] {
			case '"':
				i = skipString(data, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(data) && !strings.ContainsRune(",}] \t\n\r", rune(data[i])) {
		i++
	}
	return i
}

// Path is the request's path with its parameters filled in, each segment
// escaped: the path forwarded is the one parsed.
func (r *Request) Path() string {
	segs := strings.Split(r.Endpoint.Path, "/")
	for i, seg := range segs {
		name, ok := pathParam(seg)
		if !ok {
			continue
		}
		name = strings.TrimPrefix(name, "path:")
		parts := strings.Split(r.PathParams[name], "/")
		for j, p := range parts {
			parts[j] = url.PathEscape(p)
		}
		segs[i] = strings.Join(parts, "/")
	}
	return strings.Join(segs, "/")
}
