package mlflowgql

// Held is a list in MLflow's answer held by one field of the operation:
// the object holding it and the field.
type Held struct {
	Field  *Field
	object map[string]any
}

// Items are the list's items (nil when the field is null or missing).
func (h Held) Items() []any {
	items, _ := h.object[h.Field.Alias].([]any)
	return items
}

// Set replaces the list.
func (h Held) Set(items []any) { h.object[h.Field.Alias] = items }

// Lists finds the lists that fields chosen by want hold in data, the
// "data" member of MLflow's answer decoded with encoding/json: it follows
// the operation's fields by response key, through objects and lists.
func (o *Operation) Lists(data any, want func(*Field) bool) []Held {
	var out []Held
	var walk func(v any, fields []*Field)
	walk = func(v any, fields []*Field) {
		switch v := v.(type) {
		case []any:
			for _, item := range v {
				walk(item, fields)
			}
		case map[string]any:
			for _, f := range fields {
				if want(f) {
					out = append(out, Held{Field: f, object: v})
				}
				if len(f.Fields) > 0 {
					walk(v[f.Alias], f.Fields)
				}
			}
		}
	}
	walk(data, o.Fields)
	return out
}
