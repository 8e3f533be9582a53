package validate

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// ComposeOptions say how to load a compose file.
type ComposeOptions struct {
	// EnvFiles are read as compose reads .env (nothing else: neither the
	// process environment nor a .env beside the file).
	EnvFiles []string
	// Profiles to enable ("*" for all).
	Profiles []string
	// Raw skips interpolation: values stay as written (${VAR...}).
	Raw bool
}

// LoadCompose loads file with the Compose specification's own loader
// (schema validation, interpolation, normalization, consistency checks).
func LoadCompose(ctx context.Context, file string, o ComposeOptions) (*types.Project, error) {
	po, err := projectOptions(file, o)
	if err != nil {
		return nil, err
	}
	return po.LoadProject(ctx)
}

// LoadComposeModel is the loader's YAML tree of file (schema-validated,
// merged, in canonical form), before it becomes typed: with Raw, values
// stay exactly as written.
func LoadComposeModel(ctx context.Context, file string, o ComposeOptions) (map[string]any, error) {
	po, err := projectOptions(file, o)
	if err != nil {
		return nil, err
	}
	return po.LoadModel(ctx)
}

func projectOptions(file string, o ComposeOptions) (*cli.ProjectOptions, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	opts := []cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(filepath.Dir(abs)),
		cli.WithInterpolation(!o.Raw),
		cli.WithProfiles(o.Profiles),
	}
	if len(o.EnvFiles) > 0 {
		opts = append(opts, cli.WithEnvFiles(o.EnvFiles...), cli.WithDotEnv)
	}
	return cli.NewProjectOptions([]string{abs}, opts...)
}

// Placeholder is how .env.example marks a value to be replaced.
const Placeholder = "change-me"

// GenerateEnv writes dir/.env from .env.example, as a person following it
// would: every placeholder value (change-me...) becomes a distinct random
// string of letters and digits; other lines stay. It returns the file and
// the generated values by variable name.
func GenerateEnv(example, dir string) (string, map[string]string, error) {
	f, err := os.Open(example)
	if err != nil {
		return "", nil, err
	}
	defer func() { _ = f.Close() }()
	generated := map[string]string{}
	var out strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		key, value, ok := strings.Cut(line, "=")
		if ok && !strings.HasPrefix(strings.TrimSpace(line), "#") && strings.HasPrefix(value, Placeholder) {
			b := make([]byte, 12)
			if _, err := rand.Read(b); err != nil {
				return "", nil, err
			}
			v := "gen" + hex.EncodeToString(b)
			generated[key] = v
			line = key + "=" + v
		}
		out.WriteString(line + "\n")
	}
	if err := sc.Err(); err != nil {
		return "", nil, err
	}
	path := filepath.Join(dir, ".env")
	if err := os.WriteFile(path, []byte(out.String()), 0o600); err != nil {
		return "", nil, err
	}
	if len(generated) == 0 {
		return "", nil, fmt.Errorf("%s has no %s... placeholder", example, Placeholder)
	}
	return path, generated, nil
}
