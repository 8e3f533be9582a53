package soak

import (
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"
)

// maxExamples is how many requests of each kind of error the report shows.
const maxExamples = 5

// recorder collects every request's latency and error by minute and by
// operation.
type recorder struct {
	mu        sync.Mutex
	start     time.Time
	minutes   []*tally
	ops       map[string]*tally
	errors    map[string]*ErrorKind
	decisions Decisions
}

type tally struct {
	lat    []time.Duration
	errors int
}

func newRecorder(start time.Time) *recorder {
	return &recorder{start: start, ops: map[string]*tally{}, errors: map[string]*ErrorKind{}}
}

func (r *recorder) reset(start time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.start = start
}

// add records a request sent at sent that took took, with its kind of
// error ("" for none) and a line about it.
func (r *recorder) add(op string, sent time.Time, took time.Duration, kind, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := max(0, int(sent.Sub(r.start)/time.Minute))
	for len(r.minutes) <= m {
		r.minutes = append(r.minutes, &tally{})
	}
	o := r.ops[op]
	if o == nil {
		o = &tally{}
		r.ops[op] = o
	}
	for _, t := range []*tally{r.minutes[m], o} {
		t.lat = append(t.lat, took)
		if kind != "" {
			t.errors++
		}
	}
	if kind == "" {
		return
	}
	e := r.errors[kind]
	if e == nil {
		e = &ErrorKind{Kind: kind, ByOp: map[string]int{}}
		r.errors[kind] = e
	}
	e.Count++
	e.ByOp[op]++
	if len(e.Examples) < maxExamples {
		e.Examples = append(e.Examples, op+": "+detail)
	}
}

// decision counts a read of a neighbour's experiment: answered or refused,
// and whether what it had to be was known (no change under way).
func (r *recorder) decision(allowed, known bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case allowed:
		r.decisions.Allowed++
	default:
		r.decisions.Refused++
	}
	if known {
		r.decisions.Checked++
	}
}

// Result is what a soak saw.
type Result struct {
	Took            time.Duration
	Requests        int
	Errors          int
	Minutes         []Figures // one per minute from the start of the load
	Ops             []Figures // one per operation, by name
	ErrorKinds      []ErrorKind
	Decisions       Decisions
	Series          []Series // during the load
	After           []Series // one point each: idle after the load
	SamplingFailure []string
}

// Figures are the requests of a minute or of an operation.
type Figures struct {
	Name             string
	Requests, Errors int
	P50, P99         time.Duration
}

// ErrorKind is one kind of error: how many, by operation, and examples.
type ErrorKind struct {
	Kind     string
	Count    int
	ByOp     map[string]int
	Examples []string
}

// Decisions counts the reads of neighbours' experiments.
type Decisions struct {
	Allowed, Refused int
	Checked          int // those whose answer was known (no change under way)
}

func figures(name string, t *tally) Figures {
	return Figures{Name: name, Requests: len(t.lat), Errors: t.errors, P50: Quantile(t.lat, 0.5), P99: Quantile(t.lat, 0.99)}
}

func (r *recorder) result(end time.Time, series []Series, failures []string) *Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := &Result{Took: end.Sub(r.start), Decisions: r.decisions, Series: series, SamplingFailure: failures}
	for i, t := range r.minutes {
		f := figures(minuteName(i), t)
		res.Minutes = append(res.Minutes, f)
		res.Requests += f.Requests
		res.Errors += f.Errors
	}
	for _, op := range slices.Sorted(maps.Keys(r.ops)) {
		res.Ops = append(res.Ops, figures(op, r.ops[op]))
	}
	for _, k := range slices.Sorted(maps.Keys(r.errors)) {
		res.ErrorKinds = append(res.ErrorKinds, *r.errors[k])
	}
	return res
}

func minuteName(i int) string { return strconv.Itoa(i + 1) }
