package validate

import (
	"os"
	"path/filepath"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// Dockerignore is a build context's .dockerignore, matched as the Docker CLI
// and BuildKit match it.
type Dockerignore struct {
	pm *patternmatcher.PatternMatcher
}

// LoadDockerignore reads contextDir/.dockerignore (none: nothing is ignored).
func LoadDockerignore(contextDir string) (*Dockerignore, error) {
	f, err := os.Open(filepath.Join(contextDir, ".dockerignore"))
	if os.IsNotExist(err) {
		pm, err := patternmatcher.New(nil)
		return &Dockerignore{pm}, err
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, err
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, err
	}
	return &Dockerignore{pm}, nil
}

// Ignored reports whether rel (slash-separated, relative to the context) is
// left out of the build context.
func (d *Dockerignore) Ignored(rel string) bool {
	ignored, err := d.pm.MatchesOrParentMatches(filepath.FromSlash(rel))
	return err == nil && ignored
}
