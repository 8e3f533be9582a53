// Package catalogue is the vocabulary of the access model, spelled in one
// place: the kinds of element and the operations with their order.
// cerberus validates names and seeds its operation table from it (a test
// compares the migrated table), ml_studio names elements by it, and the
// UI's copy (ui/src/api/catalogue.ts) is generated from it by make docs.
package catalogue

// Operation is a permission's operation.
type Operation struct {
	Name string
	// Ordinal orders the operations that include one another: a grant of
	// one allows every operation of a lower ordinal. 0 stands apart: it is
	// allowed only by a grant of itself.
	Ordinal int
	// Meaning is what a grant of it allows, for people.
	Meaning string
}

// Operations, ordered ones weakest first, then create.
var Operations = []Operation{
	{Name: "use", Ordinal: 1, Meaning: "invoke an AI gateway endpoint, or name a gateway secret or model definition in one's own gateway objects, without reading their configuration"},
	{Name: "read", Ordinal: 2, Meaning: "see it (and use it)"},
	{Name: "edit", Ordinal: 3, Meaning: "change it (and read it)"},
	{Name: "manage", Ordinal: 4, Meaning: "delete it and decide who has access (and edit it)"},
	{Name: "create", Ordinal: 0, Meaning: "create experiments, models and AI gateway objects in a project"},
}

// Kind is a kind of element, named <kind>:<key>.
type Kind struct {
	Name string
	// Word is what people call it.
	Word string
	// Key says what the key is.
	Key string
	// Registered kinds stand for MLflow objects: only ML Studio (the
	// registrar) registers, renames or removes their elements, when it
	// creates, renames or deletes the object, so nobody claims an object
	// they did not create.
	Registered bool
}

// Kinds of element besides the component root "*".
var Kinds = []Kind{
	{Name: "project", Word: "project", Key: "<key>"},
	{Name: "experiment", Word: "experiment", Key: "<id>", Registered: true},
	{Name: "registered_model", Word: "model", Key: "<name>", Registered: true},
	{Name: "gateway_endpoint", Word: "AI gateway endpoint", Key: "<endpoint id>", Registered: true},
	{Name: "gateway_secret", Word: "AI gateway secret", Key: "<secret id>", Registered: true},
	{Name: "gateway_model_definition", Word: "AI gateway model definition", Key: "<model definition id>", Registered: true},
}

// KindNamed is the kind of that name.
func KindNamed(name string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// OperationNamed is the operation of that name.
func OperationNamed(name string) (Operation, bool) {
	for _, o := range Operations {
		if o.Name == name {
			return o, true
		}
	}
	return Operation{}, false
}

// KindNames are the kinds' names, in order.
func KindNames() []string {
	out := make([]string, len(Kinds))
	for i, k := range Kinds {
		out[i] = k.Name
	}
	return out
}

// OperationNames are the operations' names, in order.
func OperationNames() []string {
	out := make([]string, len(Operations))
	for i, o := range Operations {
		out[i] = o.Name
	}
	return out
}

// Ordered are the names of the operations that include one another,
// weakest first.
func Ordered() []string {
	var out []string
	for _, o := range Operations {
		if o.Ordinal > 0 {
			out = append(out, o.Name)
		}
	}
	return out
}
