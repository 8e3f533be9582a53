package config

import (
	"fmt"
	"strings"
)

// markers delimit a generated configuration table inside a document.
func markers(name string) (start, end string) {
	return "<!-- config:" + name + ":start -->", "<!-- config:" + name + ":end -->"
}

// SplitDoc returns the generated section called name inside doc, and a
// function that returns doc with that section replaced.
func SplitDoc(doc, name string) (section string, replace func(string) string, err error) {
	start, end := markers(name)
	i := strings.Index(doc, start)
	j := strings.Index(doc, end)
	if i < 0 || j < i {
		return "", nil, fmt.Errorf("markers %s … %s not found", start, end)
	}
	body := doc[i+len(start) : j]
	replace = func(s string) string {
		return doc[:i+len(start)] + "\n" + s + doc[j:]
	}
	return strings.TrimPrefix(body, "\n"), replace, nil
}
