package api_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
)

// gqlSelections are what each root field asks for: enough to show any
// secret of alice's fixture an answer could carry.
var gqlSelections = map[string]string{
	"run": `{ run { info { runId runName experimentId } data { params { key value } metrics { key value } tags { key value } }
		experiment { name tags { key value } } modelVersions { name version description tags { key value } } } }`,
	"files":   `{ rootUri files { path } }`,
	"exp":     `{ experiment { experimentId name tags { key value } } }`,
	"metrics": `{ metrics { runId key value } }`,
	"runs":    `{ runs { info { runId runName } data { params { value } metrics { value } tags { value } } experiment { name } modelVersions { name description } } }`,
	"sets":    `{ datasetSummaries { experimentId name digest } }`,
	"mvs":     `{ modelVersions { name version runId description tags { key value } } }`,
}

// gqlField is one root field naming someone's objects.
type gqlField struct {
	name, input, selection string
	mutation               bool // a field of the Mutation type (searches are on both)
}

// graphQLField draws a root field whose input names bob's or alice's
// objects, in one of the spellings MLflow reads.
func (g fuzzer) graphQLField(rng *rand.Rand) gqlField {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	run, other := g.pick(rng, "run"), g.pick(rng, "run")
	exp, otherExp := g.pick(rng, "experiment"), g.pick(rng, "experiment")
	runInput := []string{
		`{runId: ` + q(run) + `}`,
		`{runUuid: ` + q(run) + `}`,
		`{runId: ` + q(run) + `, runUuid: ` + q(other) + `}`,
		`{runId: "", runUuid: ` + q(run) + `}`,
		`{runId: null, runUuid: ` + q(run) + `}`,
	}[rng.IntN(5)]
	switch rng.IntN(8) {
	case 0:
		return gqlField{"mlflowGetRun", runInput, gqlSelections["run"], false}
	case 1:
		return gqlField{"mlflowListArtifacts", strings.TrimSuffix(runInput, "}") + `, path: "` + artifactDir + `"}`, gqlSelections["files"], false}
	case 2:
		return gqlField{"mlflowGetExperiment", `{experimentId: ` + q(exp) + `}`, gqlSelections["exp"], false}
	case 3:
		return gqlField{"mlflowGetMetricHistoryBulkInterval", `{runIds: [` + q(run) + `, ` + q(other) + `], metricKey: "` + metricKey + `"}`, gqlSelections["metrics"], false}
	case 4:
		return gqlField{"mlflowSearchRuns", `{experimentIds: [` + q(exp) + `, ` + q(otherExp) + `], runViewType: ALL}`, gqlSelections["runs"], rng.IntN(2) == 0}
	case 5:
		return gqlField{"mlflowSearchDatasets", `{experimentIds: [` + q(exp) + `]}`, gqlSelections["sets"], true}
	case 6:
		return gqlField{"mlflowSearchModelVersions", `{filter: ` + q("name = '"+g.pick(rng, "name")+"'") + `}`, gqlSelections["mvs"], false}
	default:
		return gqlField{"mlflowSearchModelVersions", `{filter: ` + q("run_id = '"+run+"'") + `}`, gqlSelections["mvs"], false}
	}
}

// graphQLCall draws a GraphQL call: one to three root fields of one
// operation type, each as a literal, through a variable, behind an alias,
// in a named or inline fragment or under @include; sometimes beside a
// decoy operation picked out by operationName, sometimes with a key of the
// body twice, a query string, or as a GET.
func (g fuzzer) graphQLCall(rng *rand.Rand) fuzzCall {
	mutation := rng.IntN(3) == 0
	var fields, defs, fragments []string
	vars := map[string]json.RawMessage{}
	for i := range 1 + rng.IntN(3) {
		f := g.graphQLField(rng)
		for f.mutation != mutation && f.name != "mlflowSearchRuns" {
			f = g.graphQLField(rng)
		}
		input := f.input
		if rng.IntN(2) == 0 { // the whole input as a variable
			name := fmt.Sprintf("v%d", i)
			defs = append(defs, "$"+name+": "+gqlInputType(f.name))
			vars[name] = gqlLiteralToJSON(input)
			input = "$" + name
		}
		field := f.name + "(input: " + input + ") " + f.selection
		switch rng.IntN(5) {
		case 0:
			field = fmt.Sprintf("a%d: %s", i, field)
		case 1:
			root := "Query"
			if mutation {
				root = "Mutation"
			}
			fragments = append(fragments, fmt.Sprintf("fragment F%d on %s { %s }", i, root, field))
			field = fmt.Sprintf("...F%d", i)
		case 2:
			field = "... { " + field + " }"
		case 3:
			name := fmt.Sprintf("b%d", i)
			defs = append(defs, "$"+name+": Boolean!")
			vars[name] = json.RawMessage(fmt.Sprint(rng.IntN(2) == 0))
			field = strings.Replace(field, ") {", ") @include(if: $"+name+") {", 1)
		}
		fields = append(fields, field)
	}
	kind := "query"
	if mutation {
		kind = "mutation"
	}
	varDefs := ""
	if len(defs) > 0 {
		varDefs = "(" + strings.Join(defs, ", ") + ")"
	}
	doc := kind + " Fuzz" + varDefs + " { " + strings.Join(fields, " ") + " } " + strings.Join(fragments, " ")
	opName := ""
	if rng.IntN(3) == 0 { // a decoy beside it, the one run named
		doc += ` query Decoy { test(inputString: "x") { output } }`
		opName = []string{"Fuzz", "Decoy"}[rng.IntN(2)]
	}
	members := []string{`"query":` + jsonString(doc)}
	if len(vars) > 0 {
		data, _ := json.Marshal(vars)
		members = append(members, `"variables":`+string(data))
	}
	if opName != "" {
		members = append(members, `"operationName":`+jsonString(opName))
	}
	fc := fuzzCall{method: http.MethodPost, path: "/graphql"}
	switch rng.IntN(10) {
	case 0: // the query twice: a careless reader checks one, MLflow runs the other
		other := g.graphQLField(rng)
		members = append(members, `"query":`+jsonString(kind+" { "+other.name+"(input: "+other.input+") "+other.selection+" }"))
	case 1:
		fc.query = []string{"start_step=0", "end_step=" + url.QueryEscape("1")}
	case 2:
		fc.method = http.MethodGet
	}
	rng.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	fc.body = "{" + strings.Join(members, ",") + "}"
	return fc
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// gqlInputType is the input type of a root field's input argument.
func gqlInputType(field string) string {
	return "Mlflow" + strings.TrimPrefix(field, "mlflow") + "Input"
}

// gqlLiteralToJSON turns the fuzzer's input literals ({name: "v", list:
// ["a"], enum: ALL, x: null}) into JSON for a variable.
func gqlLiteralToJSON(lit string) json.RawMessage {
	var b strings.Builder
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		switch {
		case c == '"': // a JSON string already: copy it whole
			j := i + 1
			for ; lit[j] != '"'; j++ {
				if lit[j] == '\\' {
					j++
				}
			}
			b.WriteString(lit[i : j+1])
			i = j
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_':
			j := i
			for j < len(lit) && (lit[j] >= 'a' && lit[j] <= 'z' || lit[j] >= 'A' && lit[j] <= 'Z' || lit[j] == '_' || lit[j] >= '0' && lit[j] <= '9') {
				j++
			}
			word := lit[i:j]
			k := j
			for k < len(lit) && lit[k] == ' ' {
				k++
			}
			if k < len(lit) && lit[k] == ':' || word != "null" {
				b.WriteString(jsonString(word)) // a field name, or an enum value
			} else {
				b.WriteString(word)
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return json.RawMessage(b.String())
}
