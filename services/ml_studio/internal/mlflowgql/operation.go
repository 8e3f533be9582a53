package mlflowgql

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// Limits of one document. MLflow's own are 10 root fields, 10 aliases in
// a selection, a depth of 10 and 1,000 selections with fragments expanded
// (mlflow/server/graphql/graphql_no_batching.py); ml_studio holds to the
// same, counted on the operation MLflow will run.
const (
	MaxQueryBytes = 64 << 10
	maxTokens     = 10_000
	MaxDepth      = 10
	MaxFields     = 1000
	MaxRootFields = 10
	MaxAliases    = 10
	// maxVisits bounds the selections walked, @skip'ped ones and fragment
	// spreads included, so that fragments spread within fragments cannot
	// make the walk itself long.
	maxVisits = 4 * MaxFields
)

// Hidden starts the aliases ml_studio adds to a forwarded document for
// itself (and takes out of MLflow's answer); a client may not use it.
const Hidden = "_mlStudio"

// Operation is the one operation of a document graphene would run, with
// everything it reads in place: fields merged by response key as graphene
// collects them, arguments coerced, no fragments, variables or directives.
type Operation struct {
	Type   string // query or mutation
	Name   string // "" for an anonymous operation
	Root   string // the root type: Query or Mutation
	Fields []*Field
}

// Field is one field of the operation.
type Field struct {
	Alias  string // the response key: the alias, or the name
	Name   string
	Parent string // the type the field is selected on
	Type   string // the named type of its value
	Args   []Arg
	Fields []*Field // its selection, when its type has fields
}

// Arg is one argument given to a field.
type Arg struct {
	Name  string
	Value Value
}

// Arg is the value of the argument name, if given.
func (f *Field) Arg(name string) (Value, bool) {
	for _, a := range f.Args {
		if a.Name == name {
			return a.Value, true
		}
	}
	return Value{}, false
}

// SetArg gives the argument name the value v.
func (f *Field) SetArg(name string, v Value) {
	for i, a := range f.Args {
		if a.Name == name {
			f.Args[i].Value = v
			return
		}
	}
	f.Args = append(f.Args, Arg{Name: name, Value: v})
}

// Prepare reads a request's document as graphene will run it against
// schema: the whole document must parse and validate (graphql-core
// validates every operation before running one), the operation is the one
// operationName names or the only one, and the variables are those of that
// operation, coerced to their declared types.
func Prepare(schema *ast.Schema, r *Request) (*Operation, error) {
	if len(r.Query) > MaxQueryBytes {
		return nil, invalid("the document is larger than %d bytes", MaxQueryBytes)
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Name: "query", Input: r.Query}, maxTokens)
	if err != nil {
		return nil, invalid("%s", message(err))
	}
	if errs := validator.ValidateWithRules(schema, doc, nil); len(errs) > 0 {
		return nil, invalid("%s", message(errs[0]))
	}
	op, err := pick(doc, r.OperationName)
	if err != nil {
		return nil, err
	}
	for _, d := range op.Directives {
		if d.Name != "component" { // MLflow's UI labels its operations; it changes nothing
			return nil, invalid("the directive @%s is not supported on an operation", d.Name)
		}
	}
	c := &coercer{schema: schema, vars: map[string]Value{}}
	for _, vd := range op.VariableDefinitions {
		if len(vd.Directives) > 0 {
			return nil, invalid("directives on variables are not supported")
		}
		raw, given := r.Variables[vd.Variable]
		switch {
		case given:
			v, err := c.variable(raw, vd.Type)
			if err != nil {
				return nil, err
			}
			c.vars[vd.Variable] = v
		case vd.DefaultValue != nil:
			v, _, err := (&coercer{schema: schema}).literal(vd.DefaultValue, vd.Type)
			if err != nil {
				return nil, err
			}
			c.vars[vd.Variable] = v
		case vd.Type.NonNull:
			return nil, invalid("the variable '$%s' of type %s is required", vd.Variable, vd.Type.String())
		}
	}
	root := schema.Query
	if op.Operation == ast.Mutation {
		root = schema.Mutation
	}
	if root == nil || (op.Operation != ast.Query && op.Operation != ast.Mutation) {
		return nil, invalid("MLflow serves no %s operations", op.Operation)
	}
	e := &expander{coercer: c, fragments: doc.Fragments}
	fields, roots, err := e.selection(root, op.SelectionSet, 1)
	if err != nil {
		return nil, err
	}
	if roots > MaxRootFields {
		return nil, invalid("the operation selects %d root fields; at most %d", roots, MaxRootFields)
	}
	return &Operation{Type: string(op.Operation), Name: op.Name, Root: root.Name, Fields: fields}, nil
}

// pick is the operation graphene runs: the one named, or the only one.
func pick(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, error) {
	if name == "" {
		if len(doc.Operations) != 1 {
			return nil, invalid("the document holds %d operations: name the one to run in 'operationName'", len(doc.Operations))
		}
		return doc.Operations[0], nil
	}
	for _, op := range doc.Operations {
		if op.Name == name {
			return op, nil
		}
	}
	return nil, invalid("the document holds no operation named '%s'", name)
}

func message(err error) string {
	if e, ok := err.(*gqlerror.Error); ok {
		return e.Message
	}
	return err.Error()
}

// expander collects an operation's fields as graphene's executor does,
// fragments expanded and @skip/@include applied.
type expander struct {
	*coercer
	fragments ast.FragmentDefinitionList
	fields    int // fields kept
	visits    int // selections walked
}

// selection collects the fields of a selection set on parent at depth (1
// for the root), merged by response key; n is how many field selections it
// held, before merging.
func (e *expander) selection(parent *ast.Definition, set ast.SelectionSet, depth int) (out []*Field, n int, err error) {
	if depth > MaxDepth {
		return nil, 0, invalid("the operation is nested deeper than %d fields", MaxDepth)
	}
	aliases := 0
	var collect func(set ast.SelectionSet) error
	collect = func(set ast.SelectionSet) error {
		for _, sel := range set {
			if e.visits++; e.visits > maxVisits {
				return invalid("the operation expands to more than %d selections", maxVisits)
			}
			var dirs ast.DirectiveList
			switch s := sel.(type) {
			case *ast.Field:
				dirs = s.Directives
			case *ast.InlineFragment:
				dirs = s.Directives
			case *ast.FragmentSpread:
				dirs = s.Directives
			}
			skip, err := e.skipped(dirs)
			if err != nil {
				return err
			}
			if skip {
				continue
			}
			switch s := sel.(type) {
			case *ast.Field:
				if s.Alias != s.Name {
					if aliases++; aliases > MaxAliases {
						return invalid("a selection holds more than %d aliases", MaxAliases)
					}
				}
				f, err := e.field(parent, s, depth)
				if err != nil {
					return err
				}
				n++
				out = merge(out, f)
			case *ast.InlineFragment:
				if err := sameType(parent, s.TypeCondition); err != nil {
					return err
				}
				if err := collect(s.SelectionSet); err != nil {
					return err
				}
			case *ast.FragmentSpread:
				def := e.fragments.ForName(s.Name)
				if def == nil {
					return invalid("unknown fragment %s", s.Name)
				}
				if err := sameType(parent, def.TypeCondition); err != nil {
					return err
				}
				if len(def.Directives) > 0 {
					return invalid("directives on fragment definitions are not supported")
				}
				if err := collect(def.SelectionSet); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := collect(set); err != nil {
		return nil, 0, err
	}
	if len(out) == 0 {
		// graphene would answer {}, which no document can ask for: refused
		// rather than forwarding a selection of our own.
		return nil, 0, invalid("a selection keeps no field once @skip and @include are applied")
	}
	return out, n, nil
}

func (e *expander) field(parent *ast.Definition, s *ast.Field, depth int) (*Field, error) {
	if strings.HasPrefix(s.Alias, Hidden) {
		return nil, invalid("aliases starting with %s are reserved", Hidden)
	}
	if e.fields++; e.fields > MaxFields {
		return nil, invalid("the operation selects more than %d fields", MaxFields)
	}
	def := s.Definition
	if def == nil {
		return nil, invalid("unknown field %s", s.Name)
	}
	f := &Field{Alias: s.Alias, Name: s.Name, Parent: parent.Name, Type: def.Type.Name()}
	for _, a := range s.Arguments {
		ad := def.Arguments.ForName(a.Name)
		if ad == nil {
			return nil, invalid("%s.%s takes no argument '%s'", parent.Name, s.Name, a.Name)
		}
		v, present, err := e.literal(a.Value, ad.Type)
		if err != nil {
			return nil, err
		}
		if present {
			f.Args = append(f.Args, Arg{Name: a.Name, Value: v})
		}
	}
	for _, ad := range def.Arguments {
		if _, ok := f.Arg(ad.Name); !ok && ad.Type.NonNull && ad.DefaultValue == nil {
			return nil, invalid("%s.%s needs the argument '%s'", parent.Name, s.Name, ad.Name)
		}
	}
	if len(s.SelectionSet) > 0 {
		child := e.schema.Types[f.Type]
		if child == nil {
			return nil, invalid("unknown type %s", f.Type)
		}
		sub, _, err := e.selection(child, s.SelectionSet, depth+1)
		if err != nil {
			return nil, err
		}
		f.Fields = sub
	}
	return f, nil
}

// sameType refuses a fragment on another type than the one it is spread
// in: every type of MLflow's schema is an object type, where validation
// allows no other, so this never holds for a valid document.
func sameType(parent *ast.Definition, cond string) error {
	if cond != "" && cond != parent.Name {
		return invalid("a fragment on %s is spread in %s", cond, parent.Name)
	}
	return nil
}

// skipped evaluates @skip and @include; other directives are refused.
func (e *expander) skipped(dirs ast.DirectiveList) (bool, error) {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			return false, invalid("the directive @%s is not supported", d.Name)
		}
		arg := d.Arguments.ForName("if")
		if arg == nil || len(d.Arguments) != 1 {
			return false, invalid("@%s takes one argument, if", d.Name)
		}
		v, present, err := e.literal(arg.Value, ast.NonNullNamedType("Boolean", nil))
		if err != nil {
			return false, err
		}
		if !present || v.Kind != Boolean {
			return false, invalid("@%s needs a value for if", d.Name)
		}
		if (d.Name == "skip") == (v.Text == "true") {
			return true, nil
		}
	}
	return false, nil
}

// merge adds f to fields as graphene merges fields of one response key:
// validation has made sure they are the same field with the same
// arguments, so their selections are merged.
func merge(fields []*Field, f *Field) []*Field {
	for _, g := range fields {
		if g.Alias == f.Alias {
			for _, sub := range f.Fields {
				g.Fields = merge(g.Fields, sub)
			}
			return fields
		}
	}
	return append(fields, f)
}

// Print writes the operation as the document MLflow is sent.
func (o *Operation) Print() string {
	var b strings.Builder
	b.WriteString(o.Type)
	if o.Name != "" {
		b.WriteByte(' ')
		b.WriteString(o.Name)
	}
	b.WriteByte(' ')
	writeSelection(&b, o.Fields)
	return b.String()
}

func writeSelection(b *strings.Builder, fields []*Field) {
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(' ')
		}
		if f.Alias != f.Name {
			b.WriteString(f.Alias)
			b.WriteString(": ")
		}
		b.WriteString(f.Name)
		if len(f.Args) > 0 {
			b.WriteByte('(')
			for j, a := range f.Args {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(a.Name)
				b.WriteString(": ")
				a.Value.write(b)
			}
			b.WriteByte(')')
		}
		if len(f.Fields) > 0 {
			b.WriteByte(' ')
			writeSelection(b, f.Fields)
		}
	}
	b.WriteByte('}')
}

// Walk calls visit for every field of the operation, depth first.
func (o *Operation) Walk(visit func(f *Field)) {
	var walk func(fields []*Field)
	walk = func(fields []*Field) {
		for _, f := range fields {
			visit(f)
			walk(f.Fields)
		}
	}
	walk(o.Fields)
}
