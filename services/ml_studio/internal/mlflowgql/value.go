package mlflowgql

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// Kind is what a Value holds.
type Kind int

// The kinds of input values.
const (
	Null Kind = iota
	String
	Int // Int and MLflow's LongString
	Float
	Boolean
	Enum
	List
	Object
)

// Value is an argument's value with the variables' values put in, coerced
// to its type as graphene would: what MLflow will read.
type Value struct {
	Kind   Kind
	Text   string // String: its content; Int, Float: the number; Boolean: true or false; Enum: its name
	List   []Value
	Fields []ObjectField // in the order given
}

// ObjectField is one field of an input object.
type ObjectField struct {
	Name  string
	Value Value
}

// Str returns a String's content.
func Str(s string) Value { return Value{Kind: String, Text: s} }

// Field is the value of an input object's field, if given.
func (v Value) Field(name string) (Value, bool) {
	for _, f := range v.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return Value{}, false
}

// With is an input object with the field name set to val (added last when
// absent).
func (v Value) With(name string, val Value) Value {
	out := v
	out.Fields = make([]ObjectField, 0, len(v.Fields)+1)
	set := false
	for _, f := range v.Fields {
		if f.Name == name {
			f.Value, set = val, true
		}
		out.Fields = append(out.Fields, f)
	}
	if !set {
		out.Fields = append(out.Fields, ObjectField{Name: name, Value: val})
	}
	return out
}

// Without is an input object without the field name.
func (v Value) Without(name string) Value {
	out := v
	out.Fields = make([]ObjectField, 0, len(v.Fields))
	for _, f := range v.Fields {
		if f.Name != name {
			out.Fields = append(out.Fields, f)
		}
	}
	return out
}

// coercer puts values in place: literals of the document, and the JSON
// values of its variables.
type coercer struct {
	schema *ast.Schema
	vars   map[string]Value // the variables given (or defaulted); absent ones are not here
}

// literal coerces a value written in the document to t. present is false
// for a variable that was given no value (and has no default): graphene
// then leaves the argument or input field out, as Print does.
func (c *coercer) literal(v *ast.Value, t *ast.Type) (out Value, present bool, err error) {
	if v == nil || t == nil {
		return Value{}, false, invalid("a value of an unknown type")
	}
	if v.Kind == ast.Variable {
		val, ok := c.vars[v.Raw]
		if !ok {
			return Value{}, false, nil
		}
		if val.Kind == Null && t.NonNull {
			return Value{}, false, invalid("the variable '$%s' is null where a %s is required", v.Raw, t.String())
		}
		return val, true, nil
	}
	if v.Kind == ast.NullValue {
		if t.NonNull {
			return Value{}, false, invalid("null is given where a %s is required", t.String())
		}
		return Value{Kind: Null}, true, nil
	}
	if t.Elem != nil {
		if v.Kind != ast.ListValue { // a single item stands for a list of one
			item, present, err := c.literal(v, t.Elem)
			if err != nil || !present {
				return Value{}, present, err
			}
			return Value{Kind: List, List: []Value{item}}, true, nil
		}
		list := Value{Kind: List, List: make([]Value, 0, len(v.Children))}
		for _, child := range v.Children {
			item, present, err := c.literal(child.Value, t.Elem)
			if err != nil {
				return Value{}, false, err
			}
			if !present { // an absent variable in a list is null
				if t.Elem.NonNull {
					return Value{}, false, invalid("a list of %s holds a variable without a value", t.Elem.String())
				}
				item = Value{Kind: Null}
			}
			list.List = append(list.List, item)
		}
		return list, true, nil
	}
	def := c.schema.Types[t.Name()]
	if def == nil {
		return Value{}, false, invalid("unknown type %s", t.Name())
	}
	switch def.Kind {
	case ast.InputObject:
		if v.Kind != ast.ObjectValue {
			return Value{}, false, invalid("%s must be an input object", t.Name())
		}
		obj := Value{Kind: Object}
		for _, child := range v.Children {
			fd := def.Fields.ForName(child.Name)
			if fd == nil {
				return Value{}, false, invalid("%s has no field '%s'", t.Name(), child.Name)
			}
			if _, dup := obj.Field(child.Name); dup {
				return Value{}, false, invalid("the field '%s' of %s is given twice", child.Name, t.Name())
			}
			val, present, err := c.literal(child.Value, fd.Type)
			if err != nil {
				return Value{}, false, err
			}
			if present {
				obj.Fields = append(obj.Fields, ObjectField{Name: child.Name, Value: val})
			}
		}
		return obj, true, requiredFields(def, obj)
	case ast.Enum:
		if v.Kind != ast.EnumValue || def.EnumValues.ForName(v.Raw) == nil {
			return Value{}, false, invalid("%s has no value %s", t.Name(), v.String())
		}
		return Value{Kind: Enum, Text: v.Raw}, true, nil
	case ast.Scalar:
		return scalarLiteral(t.Name(), v)
	}
	return Value{}, false, invalid("%s is not an input type", t.Name())
}

func scalarLiteral(name string, v *ast.Value) (Value, bool, error) {
	switch name {
	case "String", "ID":
		if v.Kind == ast.StringValue || v.Kind == ast.BlockValue {
			return text(v.Raw)
		}
	case "Int":
		if v.Kind == ast.IntValue {
			if n, err := strconv.ParseInt(v.Raw, 10, 32); err == nil {
				return Value{Kind: Int, Text: strconv.FormatInt(n, 10)}, true, nil
			}
		}
	case "LongString": // graphene's LongString reads an integer literal only
		if v.Kind == ast.IntValue {
			if n, err := strconv.ParseInt(v.Raw, 10, 64); err == nil {
				return Value{Kind: Int, Text: strconv.FormatInt(n, 10)}, true, nil
			}
		}
	case "Float":
		if v.Kind == ast.IntValue || v.Kind == ast.FloatValue {
			if f, err := strconv.ParseFloat(v.Raw, 64); err == nil && !math.IsInf(f, 0) {
				return Value{Kind: Float, Text: v.Raw}, true, nil
			}
		}
	case "Boolean":
		if v.Kind == ast.BooleanValue {
			return Value{Kind: Boolean, Text: v.Raw}, true, nil
		}
	}
	return Value{}, false, invalid("%s is not a valid %s", v.String(), name)
}

func text(s string) (Value, bool, error) {
	if !utf8.ValidString(s) {
		return Value{}, false, invalid("a string is not valid UTF-8")
	}
	return Str(s), true, nil
}

// requiredFields refuses an input object lacking a non-null field that has
// no default.
func requiredFields(def *ast.Definition, obj Value) error {
	for _, fd := range def.Fields {
		if _, ok := obj.Field(fd.Name); !ok && fd.Type.NonNull && fd.DefaultValue == nil {
			return invalid("the field '%s' of %s is required", fd.Name, def.Name)
		}
	}
	return nil
}

// variable coerces a variable's JSON value to its declared type as
// graphql-core's input coercion does, refusing rather than guessing
// wherever graphene would read the value some other way.
func (c *coercer) variable(raw json.RawMessage, t *ast.Type) (Value, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return Value{}, invalid("a variable is not valid JSON")
	}
	return c.jsonValue(v, t)
}

func (c *coercer) jsonValue(v any, t *ast.Type) (Value, error) {
	if v == nil {
		if t.NonNull {
			return Value{}, invalid("null is given where a %s is required", t.String())
		}
		return Value{Kind: Null}, nil
	}
	if t.Elem != nil {
		items, isList := v.([]any)
		if !isList {
			items = []any{v} // a single item stands for a list of one
		}
		list := Value{Kind: List, List: make([]Value, 0, len(items))}
		for _, item := range items {
			val, err := c.jsonValue(item, t.Elem)
			if err != nil {
				return Value{}, err
			}
			list.List = append(list.List, val)
		}
		return list, nil
	}
	def := c.schema.Types[t.Name()]
	if def == nil {
		return Value{}, invalid("unknown type %s", t.Name())
	}
	switch def.Kind {
	case ast.InputObject:
		m, ok := v.(map[string]any)
		if !ok {
			return Value{}, invalid("%s must be a JSON object", t.Name())
		}
		for k := range m {
			if def.Fields.ForName(k) == nil {
				return Value{}, invalid("%s has no field '%s'", t.Name(), k)
			}
		}
		obj := Value{Kind: Object}
		for _, fd := range def.Fields { // the schema's order: a JSON object has none
			item, ok := m[fd.Name]
			if !ok {
				continue
			}
			val, err := c.jsonValue(item, fd.Type)
			if err != nil {
				return Value{}, err
			}
			obj.Fields = append(obj.Fields, ObjectField{Name: fd.Name, Value: val})
		}
		return obj, requiredFields(def, obj)
	case ast.Enum:
		if s, ok := v.(string); ok && def.EnumValues.ForName(s) != nil {
			return Value{Kind: Enum, Text: s}, nil
		}
		return Value{}, invalid("%s has no value %v", t.Name(), v)
	case ast.Scalar:
		return jsonScalar(t.Name(), v)
	}
	return Value{}, invalid("%s is not an input type", t.Name())
}

func jsonScalar(name string, v any) (Value, error) {
	bad := invalid("the value %v is not a valid %s", v, name)
	switch name {
	case "String", "ID":
		if s, ok := v.(string); ok {
			val, _, err := text(s)
			return val, err
		}
	case "Int":
		if n, ok := v.(json.Number); ok {
			if i, err := strconv.ParseInt(n.String(), 10, 32); err == nil {
				return Value{Kind: Int, Text: strconv.FormatInt(i, 10)}, nil
			}
		}
	case "LongString": // a whole number, or a string of its decimal digits
		s := ""
		switch n := v.(type) {
		case json.Number:
			s = n.String()
		case string:
			s = n
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(i, 10) == s {
			return Value{Kind: Int, Text: s}, nil
		}
	case "Float":
		if n, ok := v.(json.Number); ok {
			if f, err := strconv.ParseFloat(n.String(), 64); err == nil && !math.IsInf(f, 0) {
				return Value{Kind: Float, Text: n.String()}, nil
			}
		}
	case "Boolean":
		if b, ok := v.(bool); ok {
			return Value{Kind: Boolean, Text: strconv.FormatBool(b)}, nil
		}
	}
	return Value{}, bad
}

// write prints v as a GraphQL literal.
func (v Value) write(b *strings.Builder) {
	switch v.Kind {
	case Null:
		b.WriteString("null")
	case String:
		writeString(b, v.Text)
	case List:
		b.WriteByte('[')
		for i, item := range v.List {
			if i > 0 {
				b.WriteString(", ")
			}
			item.write(b)
		}
		b.WriteByte(']')
	case Object:
		b.WriteByte('{')
		for i, f := range v.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.Name)
			b.WriteString(": ")
			f.Value.write(b)
		}
		b.WriteByte('}')
	default: // numbers, booleans and enum names stand as they are
		b.WriteString(v.Text)
	}
}

// writeString quotes s: quotes, backslashes and control characters escaped,
// everything else as UTF-8.
func writeString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\u00`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// invalid is a document or variable MLflow's GraphQL would refuse or read
// otherwise.
func invalid(format string, args ...any) error {
	return apierror.BadRequest("GraphQL: "+format, args...)
}
