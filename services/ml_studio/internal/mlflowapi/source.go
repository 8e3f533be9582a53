package mlflowapi

import (
	"net/url"
	"strings"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// SourceKind is what a model version's source names.
type SourceKind int

const (
	// SourceLocation is an artifact location (mlflow-artifacts:/…, s3://…,
	// a path): it must lie inside the version's run or logged model.
	SourceLocation SourceKind = iota
	// SourcePlaceholder is a prompt version's placeholder: it names nothing.
	SourcePlaceholder
	// SourceRegisteredModel is models:/<name>/<version|stage|latest> or
	// models:/<name>@<alias>: MLflow copies that version's run, logged
	// model and artifacts.
	SourceRegisteredModel
	// SourceLoggedModel is models:/<logged model id>.
	SourceLoggedModel
	// SourceRun is runs:/<run id>/<path>.
	SourceRun
)

// Source is a parsed model version source: its kind and the name (model
// name, logged model id or run id) it refers to.
type Source struct {
	Kind SourceKind
	Name string
}

// promptPlaceholders are the sources MLflow gives prompt versions.
var promptPlaceholders = map[string]bool{"dummy-source": true, "prompt-template": true}

// ParseSource reads a model version's source as MLflow 3 does
// (urllib.parse.urlsplit, then mlflow's _parse_model_uri and
// parse_runs_uri). Spellings on which Python's parsers disagree with each
// other or with this one — '?', '#', a network location, tabs or line
// breaks, backslashes — are refused rather than guessed at.
func ParseSource(source string) (Source, error) {
	if promptPlaceholders[source] {
		return Source{Kind: SourcePlaceholder}, nil
	}
	bad := func(why string) (Source, error) {
		return Source{}, apierror.BadRequest("'source' %s", why)
	}
	if strings.ContainsAny(source, "\t\r\n\\") {
		return bad("must not hold tabs, line breaks or backslashes")
	}
	scheme, authority, path := splitURI(source)
	switch scheme {
	case "models", "runs":
	default:
		return Source{Kind: SourceLocation}, nil
	}
	if strings.ContainsAny(path, "?#") {
		return bad("must not hold '?' or '#'")
	}
	if authority != "" || !strings.HasPrefix(path, "/") || len(path) < 2 {
		return bad("must be " + scheme + ":/<…> without a network location")
	}
	parts := strings.Split(strings.TrimLeft(path, "/"), "/")
	if scheme == "runs" {
		if parts[0] == "" {
			return bad("must name a run: runs:/<run id>/<path>")
		}
		return Source{Kind: SourceRun, Name: parts[0]}, nil
	}
	if len(parts) > 2 || strings.TrimSpace(parts[0]) == "" {
		return bad("must be models:/<name>/<version>, models:/<name>@<alias> or models:/<model id>")
	}
	if len(parts) == 2 {
		if strings.TrimSpace(parts[1]) == "" {
			return bad("must be models:/<name>/<version, stage or latest>")
		}
		return Source{Kind: SourceRegisteredModel, Name: parts[0]}, nil
	}
	if strings.Contains(path, "@") {
		i := strings.LastIndex(parts[0], "@")
		if strings.TrimSpace(parts[0][i+1:]) == "" {
			return bad("must be models:/<name>@<alias>")
		}
		return Source{Kind: SourceRegisteredModel, Name: parts[0][:i]}, nil
	}
	return Source{Kind: SourceLoggedModel, Name: parts[0]}, nil
}

// splitURI splits a URI as Python's urlsplit does: leading spaces and
// control characters dropped, a scheme (lower-cased) when the text before
// the first ':' is one, an authority after '//'.
func splitURI(s string) (scheme, authority, rest string) {
	s = strings.TrimLeft(s, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	if i := strings.IndexByte(s, ':'); i > 0 && isScheme(s[:i]) {
		scheme, s = strings.ToLower(s[:i]), s[i+1:]
	}
	if strings.HasPrefix(s, "//") {
		s = s[2:]
		end := strings.IndexAny(s, "/?#")
		if end < 0 {
			end = len(s)
		}
		authority, s = s[:end], s[end:]
	}
	return scheme, authority, s
}

func isScheme(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// WithinRoot reports whether location lies inside root, compared as
// MLflow's _is_uri_within_root does (scheme and authority without case,
// path segments percent-decoded until stable), and refusing what it could
// resolve elsewhere: '.', '..', '?', '#' or a backslash anywhere.
func WithinRoot(location, root string) bool {
	ls, la, lp, ok := normalizedURI(location)
	rs, ra, rp, rok := normalizedURI(root)
	if !ok || !rok || ls != rs || la != ra || len(rp) == 0 || len(lp) < len(rp) {
		return false
	}
	for i := range rp {
		if lp[i] != rp[i] {
			return false
		}
	}
	return true
}

func normalizedURI(uri string) (scheme, authority string, parts []string, ok bool) {
	if strings.ContainsAny(uri, "?#\\\t\r\n") {
		return "", "", nil, false
	}
	scheme, authority, path := splitURI(uri)
	for _, p := range strings.Split(path, "/") {
		for {
			u, err := url.PathUnescape(p)
			if err != nil {
				return "", "", nil, false
			}
			if u == p {
				break
			}
			p = u
		}
		switch {
		case p == "":
			continue
		case p == "." || p == ".." || strings.ContainsAny(p, "/\\"):
			return "", "", nil, false
		}
		parts = append(parts, p)
	}
	return scheme, strings.ToLower(authority), parts, true
}
