package validate

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The images and what each must expose and contain.
var images = map[string]struct {
	port      string
	finalUser string
}{
	"cerberus.Dockerfile":  {"5000", "65532:65532"},
	"ml_studio.Dockerfile": {"5001", "65532:65532"},
	"mlflow.Dockerfile":    {"5050", "10001:10001"},
	"ui.Dockerfile":        {"3000", "65532:65532"},
}

func parseFile(t *testing.T, name string) Dockerfile {
	t.Helper()
	f, err := os.Open(repoPath("deploy", "docker", name))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	d, err := ParseDockerfile(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return d
}

func TestDockerfilesAreTheFourImages(t *testing.T) {
	found, err := filepath.Glob(repoPath("deploy", "docker", "*.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range found {
		names = append(names, filepath.Base(f))
	}
	for want := range images {
		if !slices.Contains(names, want) {
			t.Errorf("deploy/docker/%s is missing", want)
		}
	}
	for _, n := range names {
		if _, ok := images[n]; !ok {
			t.Errorf("deploy/docker/%s is not checked by this test: add it to images", n)
		}
	}
}

// Every FROM pinned, a numeric non-root USER and a HEALTHCHECK in the final
// stage, the service's port exposed.
func TestDockerfilesFollowTheRules(t *testing.T) {
	for name, want := range images {
		t.Run(name, func(t *testing.T) {
			d := parseFile(t, name)
			for _, err := range d.Check() {
				t.Error(err)
			}
			final := d.Final()
			if got := final.User(); got != want.finalUser {
				t.Errorf("final USER %q, want %q", got, want.finalUser)
			}
			expose, ok := final.Last("expose")
			if !ok || !slices.Contains(expose.Args, want.port) {
				t.Errorf("final stage does not EXPOSE %s", want.port)
			}
			if hc, _ := final.Last("healthcheck"); !strings.Contains(hc.Text, "--timeout=") || !strings.Contains(hc.Text, "--start-period=") {
				t.Errorf("HEALTHCHECK without --timeout and --start-period: %s", hc.Text)
			}
			if len(d.Stages) > 1 && final.Name != "" {
				t.Errorf("final stage is named %q; only build stages are", final.Name)
			}
		})
	}
}

// What the builds copy from the context exists, and .dockerignore keeps it.
func TestDockerfilesCopyWhatTheContextHas(t *testing.T) {
	ignore, err := LoadDockerignore(repoRoot())
	if err != nil {
		t.Fatal(err)
	}
	_, uiErr := os.Stat(repoPath("ui", "package.json"))
	for name := range images {
		d := parseFile(t, name)
		for _, in := range d.ContextSources() {
			for _, src := range in.Args[:len(in.Args)-1] {
				rel := path.Clean(strings.TrimSuffix(src, "/"))
				if strings.ContainsAny(rel, "*?[") || strings.HasPrefix(rel, "..") || path.IsAbs(rel) {
					t.Errorf("%s line %d: %s: only plain paths inside the context", name, in.Line, src)
					continue
				}
				if ignore.Ignored(rel) {
					t.Errorf("%s line %d: %s is excluded by .dockerignore", name, in.Line, src)
				}
				if _, err := os.Stat(repoPath(filepath.FromSlash(rel))); err != nil {
					if strings.HasPrefix(rel, "ui/") && uiErr != nil {
						t.Logf("%s line %d: %s does not exist yet (the ui/ app is not written)", name, in.Line, src)
						continue
					}
					t.Errorf("%s line %d: %s: %v", name, in.Line, src, err)
				}
			}
		}
	}
	// Nothing private or bulky reaches a build.
	for _, p := range []string{".git/HEAD", ".env", ".data/x", ".venv/mlflow/bin/python", "bin/cerberus", "ui/node_modules/x/index.js", "ui/dist/index.html", "services/cerberus/node_modules/x"} {
		if !ignore.Ignored(p) {
			t.Errorf(".dockerignore lets %s into the build context", p)
		}
	}
}

// The Go images build from exactly the modules they copy (pkg and the
// service); a new module in go.work changes nothing for them.
func TestGoImagesUseTheirOwnWorkspace(t *testing.T) {
	for _, name := range []string{"cerberus.Dockerfile", "ml_studio.Dockerfile"} {
		d := parseFile(t, name)
		var runs []string
		for _, in := range d.Stages[0].Instructions {
			if in.Cmd == "run" {
				runs = append(runs, strings.Join(in.Args, " "))
			}
		}
		service := strings.TrimSuffix(name, ".Dockerfile")
		if !slices.ContainsFunc(runs, func(r string) bool {
			return strings.Contains(r, "go work init ./pkg ./services/"+service)
		}) {
			t.Errorf("%s: no `go work init ./pkg ./services/%s` step: %q", name, service, runs)
		}
	}
}

func TestCheckPinned(t *testing.T) {
	good := []string{
		"golang:1.26.8-bookworm",
		"python:3.11.17-slim-bookworm",
		"node:20.19.5-alpine",
		"nginxinc/nginx-unprivileged:1.27.5-alpine",
		"mysql:8.0.40",
		"postgres:15.10",
		"registry.example.com:5000/team/app:1.2.3",
		"gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639",
		"alpine@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639",
	}
	bad := []string{
		"golang", "golang:latest", "golang:1.26", "golang:1", "golang:bookworm", "mysql:8.0", "postgres:15",
		"gcr.io/distroless/static-debian12:nonroot", "registry.example.com:5000/app",
		"alpine@sha256:abc", "python:${PY}", "",
	}
	for _, ref := range good {
		if err := CheckPinned(ref); err != nil {
			t.Errorf("CheckPinned(%q) = %v, want nil", ref, err)
		}
	}
	for _, ref := range bad {
		if err := CheckPinned(ref); err == nil {
			t.Errorf("CheckPinned(%q) = nil, want an error", ref)
		}
	}
}

// The rules catch what they are for.
func TestDockerfileCheckFindsBreaches(t *testing.T) {
	cases := map[string]struct {
		text string
		want []string
	}{
		"good": {`FROM golang:1.26.8-bookworm AS build
RUN go version
FROM scratch
COPY --from=build /x /x
USER 65532
HEALTHCHECK --interval=5s CMD ["/x", "check"]
`, nil},
		"unpinned, root, no healthcheck": {`FROM golang AS build
FROM debian:bookworm
COPY --from=build /x /x
`, []string{"FROM golang: no tag", "FROM debian:bookworm", "no USER", "no HEALTHCHECK"}},
		"named user, healthcheck none": {`FROM alpine:3.21.3
USER nobody
HEALTHCHECK NONE
`, []string{"not a numeric uid", "HEALTHCHECK must be CMD"}},
		"root by number":     {"FROM alpine:3.21.3\nUSER 0:0\nHEALTHCHECK CMD true\n", []string{"is root"}},
		"user reset to root": {"FROM alpine:3.21.3\nUSER 1000\nUSER root\nHEALTHCHECK CMD true\n", []string{"not a numeric uid"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			d, err := ParseDockerfile(strings.NewReader(c.text))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range d.Check() {
				got = append(got, e.Error())
			}
			if len(got) != len(c.want) {
				t.Fatalf("errors %q, want %d matching %q", got, len(c.want), c.want)
			}
			for i, w := range c.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("error %d = %q, want it to mention %q", i, got[i], w)
				}
			}
		})
	}
}

func TestParseDockerfileEnvAndFlags(t *testing.T) {
	d, err := ParseDockerfile(strings.NewReader(`FROM alpine:3.21.3 AS a
ENV A=1 B="two words"
ENV C=3
COPY --from=a --chown=1:1 /x /y
`))
	if err != nil {
		t.Fatal(err)
	}
	env := d.Final().Env()
	if env["A"] != "1" || env["B"] != "two words" || env["C"] != "3" || len(env) != 3 {
		t.Errorf("Env() = %v", env)
	}
	cp, _ := d.Final().Last("copy")
	if v, ok := cp.Flag("from"); !ok || v != "a" {
		t.Errorf("--from = %q, %v", v, ok)
	}
	if len(d.ContextSources()) != 0 {
		t.Errorf("COPY --from counted as a context source")
	}
}
