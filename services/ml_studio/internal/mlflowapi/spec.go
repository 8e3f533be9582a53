// Package mlflowapi knows how the pinned MLflow server reads a request: its
// endpoints, and for each the parameters it takes (proto names, their JSON
// aliases, repeated or not). endpoints.json is dumped from the pinned
// server itself (dump_endpoints.py) and checked against it by a test, so an
// MLflow upgrade shows every changed route.
//
// Parse reads a call once the way MLflow will and refuses what MLflow could
// read differently from us; the gateway authorizes the parsed parameters
// and forwards a request rebuilt from exactly them.
package mlflowapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

//go:embed endpoints.json
var endpointsJSON []byte

// Field is one field of a request message.
type Field struct {
	Name     string `json:"name"` // the proto name: what a query string and MLflow's checks use
	JSON     string `json:"json"` // the camelCase alias a JSON body may use instead
	Kind     string `json:"kind"` // string, integer, number, bool, enum, bytes, message, map
	Repeated bool   `json:"repeated,omitempty"`
	Message  string `json:"message,omitempty"` // the nested message of a message field
}

// Endpoint is one (method, path) of the server. Path parameters are
// written <name>, as Flask routes them.
type Endpoint struct {
	Method  string `json:"method"`
	Path    string `json:"path"`
	Handler string `json:"handler"`
	Message string `json:"message,omitempty"` // the request message; empty when the handler reads no proto
}

// Spec is the pinned server's surface. It is never written after Load.
type Spec struct {
	Version   string             `json:"mlflow"`
	Endpoints []Endpoint         `json:"endpoints"`
	Messages  map[string][]Field `json:"messages"`

	exact    map[string]*Endpoint // "METHOD /path" without path parameters
	patterns []*Endpoint          // with path parameters
}

// Load parses a dump of dump_endpoints.py.
func Load(data []byte) (*Spec, error) {
	s := &Spec{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("read the MLflow endpoint list: %w", err)
	}
	s.exact = make(map[string]*Endpoint, len(s.Endpoints))
	for i := range s.Endpoints {
		e := &s.Endpoints[i]
		if e.Message != "" && s.Messages[e.Message] == nil {
			return nil, fmt.Errorf("endpoint %s %s: message %s is not described", e.Method, e.Path, e.Message)
		}
		if strings.Contains(e.Path, "<") {
			s.patterns = append(s.patterns, e)
			continue
		}
		s.exact[e.Method+" "+e.Path] = e
	}
	return s, nil
}

// Pinned is the surface of the MLflow version ml_studio is built against.
var Pinned = sync.OnceValue(func() *Spec {
	s, err := Load(endpointsJSON)
	if err != nil {
		panic(err) // the embedded file is checked by the package's tests
	}
	return s
})

// Lookup finds the endpoint serving method and path (as MLflow routes it:
// /api/2.0/mlflow/runs/get) and the values of its path parameters.
func (s *Spec) Lookup(method, path string) (*Endpoint, map[string]string, bool) {
	if e, ok := s.exact[method+" "+path]; ok {
		return e, nil, true
	}
	segs := strings.Split(path, "/")
	for _, e := range s.patterns {
		if e.Method != method {
			continue
		}
		if vars, ok := matchPath(strings.Split(e.Path, "/"), segs); ok {
			return e, vars, true
		}
	}
	return nil, nil, false
}

// matchPath matches as Flask's converters do: <name> is one non-empty
// segment, <path:name> (last) the rest of the path; <name>suffix (FastAPI's
// gateway routes) a segment ending with suffix.
func matchPath(pattern, segs []string) (map[string]string, bool) {
	var vars map[string]string
	for i, p := range pattern {
		if i >= len(segs) {
			return nil, false
		}
		if name, ok := pathParam(p); ok {
			value := segs[i]
			if rest, isPath := strings.CutPrefix(name, "path:"); isPath && i == len(pattern)-1 {
				name, value = rest, strings.Join(segs[i:], "/")
				segs = segs[:i+1]
			}
			if value == "" {
				return nil, false
			}
			if vars == nil {
				vars = map[string]string{}
			}
			vars[name] = value
			continue
		}
		if name, suffix, ok := paramBefore(p); ok { // FastAPI's {name}:suffix
			value, found := strings.CutSuffix(segs[i], suffix)
			if !found || value == "" {
				return nil, false
			}
			if vars == nil {
				vars = map[string]string{}
			}
			vars[name] = value
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	if len(pattern) != len(segs) {
		return nil, false
	}
	return vars, true
}

// paramBefore reads a segment that is a parameter then fixed text,
// <name>:generateContent.
func paramBefore(seg string) (name, suffix string, ok bool) {
	if len(seg) < 3 || seg[0] != '<' {
		return "", "", false
	}
	name, suffix, ok = strings.Cut(seg[1:], ">")
	return name, suffix, ok && name != "" && suffix != ""
}

func pathParam(seg string) (string, bool) {
	if len(seg) > 2 && seg[0] == '<' && seg[len(seg)-1] == '>' {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

// Fields are the fields of a message (nil for an unknown one).
func (s *Spec) Fields(message string) []Field { return s.Messages[message] }
