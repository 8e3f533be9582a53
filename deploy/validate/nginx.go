package validate

import (
	"regexp"
	"sort"
)

var (
	bracedVarRe = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
	plainVarRe  = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)
)

// TemplateVariables lists the ${NAME} references of an nginx template, which
// the nginx image's entrypoint fills in from the environment (envsubst).
func TemplateVariables(text string) []string {
	seen := map[string]bool{}
	for _, m := range bracedVarRe.FindAllStringSubmatch(text, -1) {
		seen[m[1]] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// RenderTemplate does what the nginx image's 20-envsubst-on-templates.sh does:
// envsubst limited to the given (defined) variables, in both the ${NAME} and
// $NAME forms; every other $ (nginx's own $host, $uri, $1...) stays.
func RenderTemplate(text string, vars map[string]string) string {
	text = bracedVarRe.ReplaceAllStringFunc(text, func(m string) string {
		if v, ok := vars[m[2:len(m)-1]]; ok {
			return v
		}
		return m
	})
	return plainVarRe.ReplaceAllStringFunc(text, func(m string) string {
		if v, ok := vars[m[1:]]; ok {
			return v
		}
		return m
	})
}
