package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/bind"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflowapi"
)

// params are a call's parameters. On the MLflow surface they are what
// mlflowapi.Parse read, as MLflow reads them. On the seed's routes they come
// from the query string or a JSON body (the seed's clients send either);
// a parameter in both is refused, so no two readers can differ on it.
// Either way, what reaches MLflow is rebuilt from them.
type params map[string]any

func readParams(c *gin.Context) (params, error) {
	if v, ok := c.Get(parsedParams); ok {
		return maps.Clone(v.(params)), nil // handlers may add to their copy
	}
	p, err := readSeedParams(c)
	if err != nil {
		return nil, err
	}
	c.Set(parsedParams, p) // the body is read once
	return maps.Clone(p), nil
}

func readSeedParams(c *gin.Context) (params, error) {
	p := params{}
	for k, v := range c.Request.URL.Query() {
		if len(v) == 1 {
			p[k] = v[0]
		} else {
			p[k] = v
		}
	}
	if c.Request.ContentLength == 0 || c.Request.Body == nil {
		return p, refuseNUL(p)
	}
	// The body is read as JSON whatever its Content-Type claims: scripts
	// (curl -d) often send JSON labelled as a form.
	var body map[string]any
	if err := bind.JSONLoose(c, &body); err != nil {
		return nil, err
	}
	for k, v := range body {
		if _, twice := p[k]; twice {
			return nil, apierror.BadRequest("'%s' is given both in the query string and in the body", k)
		}
		p[k] = v
	}
	return p, refuseNUL(p)
}

// refuseNUL is a 400 naming the first parameter holding a NUL character
// anywhere, or a page token MLflow could not have written: MLflow answers
// 500 for either (found by schemathesis).
func refuseNUL(p params) error {
	for _, k := range slices.Sorted(maps.Keys(p)) {
		if mlflowapi.HasNUL(p[k]) {
			return apierror.BadRequest("'%s' must not contain NUL characters", k)
		}
	}
	return mlflowapi.CheckPageToken(p["page_token"])
}

// str returns a parameter as a string: numbers are formatted, absent or
// null is "".
// first is the first value of a required parameter.
func (p params) first(name string) (string, error) {
	v, err := p.required(name)
	if err != nil {
		return "", err
	}
	return v[0], nil
}

func (p params) str(name string) (string, error) {
	switch v := p[name].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case int: // set by ml_studio itself, e.g. a search's page size
		return strconv.Itoa(v), nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	case json.RawMessage: // a body field of the MLflow surface
		var decoded any
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(&decoded); err != nil {
			return "", apierror.BadRequest("'%s' is not valid JSON", name)
		}
		return params{name: decoded}.str(name)
	default:
		return "", apierror.BadRequest("'%s' must be a string", name)
	}
}

// required returns the named parameters, all present and non-empty, or the
// seed's 400 for the first one missing.
func (p params) required(names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		v, err := p.str(n)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(v) == "" {
			return nil, apierror.Required(n)
		}
		out[i] = v
	}
	return out, nil
}

// only keeps the named parameters: what is forwarded to MLflow is exactly
// what the endpoint takes.
func (p params) only(names ...string) params {
	out := params{}
	for _, n := range names {
		if v, ok := p[n]; ok && v != nil {
			out[n] = v
		}
	}
	return out
}

// query turns parameters into a query string for MLflow's GET endpoints.
func (p params) query() (map[string][]string, error) {
	q := map[string][]string{}
	for k, v := range p {
		switch v := v.(type) {
		case []string:
			q[k] = v
		case []any:
			for _, item := range v {
				s, err := params{k: item}.str(k)
				if err != nil {
					return nil, err
				}
				q[k] = append(q[k], s)
			}
		default:
			s, err := p.str(k)
			if err != nil {
				return nil, err
			}
			q[k] = []string{s}
		}
	}
	return q, nil
}

// jsonBody encodes p as a JSON object. Values read from a JSON body
// (json.RawMessage) are copied as they are: they were validated when read,
// and re-encoding a 1,000-metric log-batch would cost a second pass.
func (p params) jsonBody() ([]byte, error) {
	keys := slices.Sorted(maps.Keys(p))
	size := 2
	for _, k := range keys {
		if raw, ok := p[k].(json.RawMessage); ok {
			size += len(k) + len(raw) + 4
		}
	}
	buf := make([]byte, 0, size+64)
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		name, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		buf = append(append(buf, name...), ':')
		raw, ok := p[k].(json.RawMessage)
		if !ok {
			if raw, err = json.Marshal(p[k]); err != nil {
				return nil, fmt.Errorf("encode '%s': %w", k, err)
			}
		}
		buf = append(buf, raw...)
	}
	return append(buf, '}'), nil
}

// intParam reads an optional positive integer.
func (p params) intParam(name string, def, max int) (int, error) {
	s, err := p.str(name)
	if err != nil || s == "" {
		return def, err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, apierror.BadRequest("'%s' must be a whole number from 1 to %d", name, max)
	}
	return n, nil
}

func badParam(name, want string) error {
	return apierror.BadRequest("%s", fmt.Sprintf("'%s' must be %s", name, want))
}
