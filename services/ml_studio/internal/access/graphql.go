package access

// GraphQLRule is the check one root field of MLflow's GraphQL schema needs
// (the route "POST /graphql" of Rules is checked field by field). Every
// root field of MLflow's schema reads only; all need read.
type GraphQLRule struct {
	// Target is ByExperiment or ByRun (Arg names one element),
	// ByRunList (every element Arg lists must pass), ByExperimentList
	// (only the elements of Arg the caller may read are kept: a search),
	// Special (a handler of its own) or SignedIn.
	Target Target
	Op     string
	// Arg is the argument path naming the element(s), e.g. "input.runId".
	Arg string
	// Alias is an argument path MLflow reads in Arg's stead when Arg is
	// empty ("input.runUuid"): the two are folded into Arg.
	Alias string
}

// GraphQLFields are the root fields of MLflow's GraphQL schema, by
// "<root type>.<field>", and their checks; a field not here is refused.
// TestGraphQLFieldsMatchSchema compares them with the pinned schema.
var GraphQLFields = map[string]GraphQLRule{
	"Query.mlflowGetExperiment":                {ByExperiment, Read, "input.experimentId", ""},
	"Query.mlflowGetRun":                       {ByRun, Read, "input.runId", "input.runUuid"},
	"Query.mlflowListArtifacts":                {ByRun, Read, "input.runId", "input.runUuid"},
	"Query.mlflowGetMetricHistoryBulkInterval": {ByRunList, Read, "input.runIds", ""},
	"Query.mlflowSearchRuns":                   {ByExperimentList, Read, "input.experimentIds", ""},
	"Mutation.mlflowSearchRuns":                {ByExperimentList, Read, "input.experimentIds", ""},
	"Mutation.mlflowSearchDatasets":            {ByExperimentList, Read, "input.experimentIds", ""},
	// narrowed to the registered models the caller may read
	"Query.mlflowSearchModelVersions": {Special, Read, "input.filter", ""},
	// echoes, and the schema itself, which is MLflow's public one
	"Query.test":            {SignedIn, Read, "", ""},
	"Mutation.testMutation": {SignedIn, Read, "", ""},
	"Query.__schema":        {SignedIn, Read, "", ""},
	"Query.__type":          {SignedIn, Read, "", ""},
	"Query.__typename":      {SignedIn, Read, "", ""},
	"Mutation.__typename":   {SignedIn, Read, "", ""},
}

// GraphQLModelLists are fields, by "<type>.<field>", whose lists of model
// versions MLflow fills from every registered model (a run's versions are
// searched by its run id): only the versions of models the caller may
// read are kept in the answer.
var GraphQLModelLists = map[string]bool{
	"MlflowRunExtension.modelVersions":                true,
	"MlflowSearchModelVersionsResponse.modelVersions": true,
}
