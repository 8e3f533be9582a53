package mlflowgql

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// Request is a GraphQL call's body: what MLflow's handler reads from it.
type Request struct {
	Query         string
	Variables     map[string]json.RawMessage // nil when none are given
	OperationName string                     // "" when none is named
}

var errNotObject = apierror.BadRequest("the body must be one JSON object: {\"query\": \"...\", \"variables\": {...}, \"operationName\": \"...\"}")

// Read takes a GraphQL request body apart. MLflow reads it with Python's
// json, where a key given twice means its last value, and fails with an
// unhandled error on anything but one object: a key given twice at any
// depth, a batch (a JSON array), a double-encoded string, a non-string
// query and a variables value that is not an object are refused. Other
// members (a client's "extensions") are not read and not forwarded.
func Read(body []byte) (*Request, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' || !json.Valid(body) {
		return nil, errNotObject
	}
	if err := noDuplicateKeys(body); err != nil {
		return nil, err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return nil, errNotObject
	}
	r := &Request{}
	raw, ok := members["query"]
	if !ok || json.Unmarshal(raw, &r.Query) != nil || raw[0] != '"' || r.Query == "" {
		return nil, apierror.BadRequest("'query' must be a GraphQL document in a JSON string")
	}
	if raw, ok := members["variables"]; ok && string(raw) != "null" {
		if raw[0] != '{' || json.Unmarshal(raw, &r.Variables) != nil {
			return nil, apierror.BadRequest("'variables' must be a JSON object")
		}
	}
	if raw, ok := members["operationName"]; ok && string(raw) != "null" {
		if raw[0] != '"' || json.Unmarshal(raw, &r.OperationName) != nil || r.OperationName == "" {
			return nil, apierror.BadRequest("'operationName' must name an operation of the document")
		}
	}
	return r, nil
}

// noDuplicateKeys refuses a JSON text (already valid) in which an object
// names a key twice, at any depth.
func noDuplicateKeys(data []byte) error {
	type frame struct {
		keys      map[string]bool // nil for an array
		expectKey bool
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*frame
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].keys != nil {
			stack[n-1].expectKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errNotObject
		}
		if n := len(stack); n > 0 && stack[n-1].expectKey {
			top := stack[n-1]
			if key, ok := tok.(string); ok {
				if top.keys[key] {
					return apierror.BadRequest("the key '%s' is given more than once in one JSON object", key)
				}
				top.keys[key] = true
				top.expectKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, expectKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}
