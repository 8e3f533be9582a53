// Package validate checks ML Studio's deployment files without a container
// engine or a cluster: Dockerfiles (BuildKit's parser), the compose file (the
// Compose specification's loader), the Helm chart's rendered manifests
// (Kubernetes' own types, strictly) and the nginx configurations. The tests
// of this package run those checks on the repository's files.
package validate

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Instruction is one Dockerfile instruction.
type Instruction struct {
	Cmd   string   // lower case: "from", "copy", "run", ...
	Args  []string // its arguments as the parser split them
	Flags []string // --from=..., --chown=..., --interval=...
	JSON  bool     // exec (JSON array) form
	Line  int
	Text  string // the original line(s)
}

// Flag is the value of --name=value, and whether it is there.
func (in Instruction) Flag(name string) (string, bool) {
	for _, f := range in.Flags {
		if v, ok := strings.CutPrefix(f, "--"+name+"="); ok {
			return v, true
		}
		if f == "--"+name {
			return "", true
		}
	}
	return "", false
}

// Stage is one FROM and what follows it.
type Stage struct {
	Index        int
	Name         string // the AS name, lower case; "" when unnamed
	Base         string // the FROM image or an earlier stage's name
	Instructions []Instruction
}

// Last returns the last instruction named cmd in the stage.
func (s Stage) Last(cmd string) (Instruction, bool) {
	for i := len(s.Instructions) - 1; i >= 0; i-- {
		if s.Instructions[i].Cmd == cmd {
			return s.Instructions[i], true
		}
	}
	return Instruction{}, false
}

// User is the stage's last USER ("" when none: root).
func (s Stage) User() string {
	in, ok := s.Last("user")
	if !ok || len(in.Args) == 0 {
		return ""
	}
	return in.Args[0]
}

// Env is what the stage's ENV instructions set, in order (later wins).
func (s Stage) Env() map[string]string {
	env := map[string]string{}
	for _, in := range s.Instructions {
		if in.Cmd != "env" {
			continue
		}
		// The parser gives key, value, separator triples.
		for i := 0; i+1 < len(in.Args); i += 3 {
			env[in.Args[i]] = unquote(in.Args[i+1])
		}
	}
	return env
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

// Dockerfile is a parsed Dockerfile.
type Dockerfile struct {
	Stages []Stage
	// Before holds ARG instructions before the first FROM.
	Before []Instruction
}

// Final is the stage the image is made of.
func (d Dockerfile) Final() Stage { return d.Stages[len(d.Stages)-1] }

// IsStage reports whether name is an earlier stage's name.
func (d Dockerfile) IsStage(name string, before int) bool {
	for _, s := range d.Stages[:before] {
		if s.Name != "" && strings.EqualFold(s.Name, name) {
			return true
		}
	}
	return false
}

// ArgDefaults are the defaults of the ARGs declared before the first FROM.
func (d Dockerfile) ArgDefaults() map[string]string {
	args := map[string]string{}
	for _, in := range d.Before {
		for _, a := range in.Args {
			if k, v, ok := strings.Cut(a, "="); ok {
				args[k] = unquote(v)
			} else {
				args[a] = ""
			}
		}
	}
	return args
}

// expandArgs replaces $NAME and ${NAME} with the ARG defaults.
func (d Dockerfile) expandArgs(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	args := d.ArgDefaults()
	return os.Expand(s, func(k string) string { return args[k] })
}

// ParseDockerfile reads a Dockerfile with BuildKit's parser.
func ParseDockerfile(r io.Reader) (Dockerfile, error) {
	res, err := parser.Parse(r)
	if err != nil {
		return Dockerfile{}, err
	}
	var d Dockerfile
	for _, n := range res.AST.Children {
		in := Instruction{
			Cmd:   strings.ToLower(n.Value),
			Flags: n.Flags,
			JSON:  n.Attributes["json"],
			Line:  n.StartLine,
			Text:  n.Original,
		}
		for next := n.Next; next != nil; next = next.Next {
			in.Args = append(in.Args, next.Value)
		}
		if in.Cmd == "from" {
			if len(in.Args) == 0 {
				return Dockerfile{}, fmt.Errorf("line %d: FROM without an image", in.Line)
			}
			// FROM ${ARG}: the ARG's default before the first FROM (what a
			// build without --build-arg uses), so the checks see the image.
			st := Stage{Index: len(d.Stages), Base: d.expandArgs(in.Args[0]), Instructions: []Instruction{in}}
			if len(in.Args) == 3 && strings.EqualFold(in.Args[1], "as") {
				st.Name = strings.ToLower(in.Args[2])
			} else if len(in.Args) != 1 {
				return Dockerfile{}, fmt.Errorf("line %d: FROM %s: expected IMAGE [AS NAME]", in.Line, strings.Join(in.Args, " "))
			}
			d.Stages = append(d.Stages, st)
			continue
		}
		if len(d.Stages) == 0 {
			if in.Cmd != "arg" {
				return Dockerfile{}, fmt.Errorf("line %d: %s before the first FROM", in.Line, strings.ToUpper(in.Cmd))
			}
			d.Before = append(d.Before, in)
			continue
		}
		last := &d.Stages[len(d.Stages)-1]
		last.Instructions = append(last.Instructions, in)
	}
	if len(d.Stages) == 0 {
		return Dockerfile{}, fmt.Errorf("no FROM")
	}
	return d, nil
}

// Check returns every rule of ML Studio's images the Dockerfile breaks:
//   - every FROM names an earlier stage, scratch, or a pinned image (CheckPinned);
//   - the final stage runs as a numeric, non-zero user (USER 65532:65532):
//     a name cannot be checked without the image's /etc/passwd, and
//     Kubernetes' runAsNonRoot accepts only numeric users;
//   - the final stage has a HEALTHCHECK CMD.
func (d Dockerfile) Check() []error {
	var errs []error
	for i, s := range d.Stages {
		switch {
		case d.IsStage(s.Base, i), s.Base == "scratch":
		default:
			if err := CheckPinned(s.Base); err != nil {
				errs = append(errs, fmt.Errorf("line %d: FROM %w", s.Instructions[0].Line, err))
			}
		}
	}
	final := d.Final()
	user := final.User()
	uid, _, _ := strings.Cut(user, ":")
	switch {
	case user == "":
		errs = append(errs, fmt.Errorf("final stage: no USER, so it runs as root"))
	case !isDigits(uid):
		errs = append(errs, fmt.Errorf("final stage: USER %s is not a numeric uid", user))
	case strings.TrimLeft(uid, "0") == "":
		errs = append(errs, fmt.Errorf("final stage: USER %s is root", user))
	}
	hc, ok := final.Last("healthcheck")
	switch {
	case !ok:
		errs = append(errs, fmt.Errorf("final stage: no HEALTHCHECK"))
	case len(hc.Args) < 2 || !strings.EqualFold(hc.Args[0], "CMD"):
		errs = append(errs, fmt.Errorf("line %d: HEALTHCHECK must be CMD ... (got %s)", hc.Line, hc.Text))
	}
	return errs
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ContextSources are the build-context paths that COPY and ADD read (not
// those of --from=stage), in order.
func (d Dockerfile) ContextSources() []Instruction {
	var out []Instruction
	for _, s := range d.Stages {
		for _, in := range s.Instructions {
			if in.Cmd != "copy" && in.Cmd != "add" {
				continue
			}
			if _, from := in.Flag("from"); from {
				continue
			}
			out = append(out, in)
		}
	}
	return out
}
