package validate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
)

// Manifest is one decoded Kubernetes object.
type Manifest struct {
	Source string // the template it came from (helm's "# Source:" line)
	GVK    schema.GroupVersionKind
	Name   string
	Object runtime.Object
}

// strict rejects unknown and duplicate fields, as `kubectl apply
// --validate=strict` does, using the API types compiled into client-go.
var strict = serializer.NewCodecFactory(scheme.Scheme, serializer.EnableStrict).UniversalDeserializer()

// DecodeManifests splits a multi-document YAML stream (helm template's output)
// and decodes every document strictly into its Kubernetes API type. An
// unknown kind or apiVersion, an unknown or duplicate field, or a value of the
// wrong type is an error.
func DecodeManifests(data []byte) ([]Manifest, error) {
	var out []Manifest
	var errs []error
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		source := sourceOf(doc)
		if isEmptyYAML(doc) {
			continue
		}
		obj, gvk, err := strict.Decode(doc, nil, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", source, err))
			continue
		}
		name := ""
		if m, ok := obj.(interface{ GetName() string }); ok {
			name = m.GetName()
		}
		out = append(out, Manifest{Source: source, GVK: *gvk, Name: name, Object: obj})
	}
	return out, errors.Join(errs...)
}

func sourceOf(doc []byte) string {
	for _, line := range strings.Split(string(doc), "\n") {
		if s, ok := strings.CutPrefix(line, "# Source: "); ok {
			return s
		}
	}
	return "(no source)"
}

func isEmptyYAML(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		t := strings.TrimSpace(line)
		if t != "" && !strings.HasPrefix(t, "#") && t != "---" {
			return false
		}
	}
	return true
}

// HelmTemplate runs `helm template` and returns its standard output.
func HelmTemplate(helm, chart, release, namespace string, args ...string) ([]byte, error) {
	full := append([]string{"template", release, chart, "--namespace", namespace}, args...)
	cmd := exec.Command(helm, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("helm %s: %w\n%s", strings.Join(full, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}
