package testenv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/config"
)

// CheckDocSection fails when the generated section name of the repository
// file rel differs from want; with update it rewrites the file instead.
func CheckDocSection(t *testing.T, rel, name, want string, update bool) {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, rel)
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, replace, err := config.SplitDoc(string(doc), name)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	if got == want {
		return
	}
	if update {
		if err := os.WriteFile(path, []byte(replace(want)), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s section %q is out of date; run `make docs`.\n--- have\n%s\n--- want\n%s", rel, name, got, want)
}
