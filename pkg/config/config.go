// Package config loads a service's settings from environment variables,
// validates them at start and documents them from the same struct tags, so the
// documentation cannot drift from the code.
//
// Settings are plain structs. A field's variable is <PREFIX>_<FIELD_NAME>
// (split_words:"true" turns ReadTimeout into READ_TIMEOUT); `default` and
// `desc` tags give the default and the documentation line. Embedded structs
// are flattened, which is how services share pkg-level settings.
package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kelseyhightower/envconfig"
)

// Validator is implemented by settings that check relations between fields
// after every field parsed.
type Validator interface {
	Validate() error
}

// Error names the variable that stopped the service and what it accepts.
type Error struct {
	Key    string
	Value  string
	Reason string
}

func (e *Error) Error() string {
	if e.Value == "" || secret(e.Key) {
		return fmt.Sprintf("invalid %s: %s", e.Key, e.Reason)
	}
	return fmt.Sprintf("invalid %s=%q: %s", e.Key, e.Value, e.Reason)
}

// secret reports whether a variable may hold a credential, whose value must
// never be echoed into a log or terminal.
func secret(key string) bool {
	for _, word := range []string{"DSN", "PASSWORD", "SECRET", "TOKEN", "KEY"} {
		if strings.Contains(key, word) {
			return true
		}
	}
	return false
}

// Load fills spec (a pointer to a struct) from the environment.
func Load(prefix string, spec any) error {
	if err := envconfig.Process(prefix, spec); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return &Error{Key: pe.KeyName, Value: pe.Value, Reason: reason(pe)}
		}
		return fmt.Errorf("configuration: %w", err)
	}
	if v, ok := spec.(Validator); ok {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// reason turns the parser's error into what the variable accepts.
func reason(pe *envconfig.ParseError) string {
	var numErr *strconv.NumError
	// TypeName is the full type name, as reflect.Type.String gives it.
	switch {
	case pe.TypeName == "time.Duration":
		return "must be a duration such as 500ms, 5s or 1m"
	case pe.TypeName == "bool":
		return "must be true or false"
	case pe.TypeName == "float32" || pe.TypeName == "float64":
		return "must be a number"
	case errors.As(pe.Err, &numErr):
		return "must be a whole number"
	default:
		// A decoder's own message may quote the value: keep it out when
		// the variable may hold a credential.
		msg := pe.Err.Error()
		if secret(pe.KeyName) && pe.Value != "" {
			quoted := strconv.Quote(pe.Value)
			if strings.Contains(msg, pe.Value) || strings.Contains(msg, quoted[1:len(quoted)-1]) {
				return "has an invalid value (not shown: it may be a credential)"
			}
		}
		return msg
	}
}

// tableFormat renders one markdown row per variable, from the struct tags.
const tableFormat = "| Variable | Default | Description |\n|---|---|---|\n" +
	"{{range .}}| `{{usage_key .}}` | {{with usage_default .}}`{{.}}`{{else}}—{{end}} | " +
	"{{usage_description .}}{{if usage_required .}} (required){{end}} |\n{{end}}"

// Table documents every variable of spec as a markdown table.
func Table(prefix string, spec any) (string, error) {
	var b strings.Builder
	if err := envconfig.Usagef(prefix, spec, &b, tableFormat); err != nil {
		return "", fmt.Errorf("config table: %w", err)
	}
	return b.String(), nil
}
