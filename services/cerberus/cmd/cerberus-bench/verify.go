package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/authz"
)

// verification says how much of the seed was checked against the reference.
type verification struct {
	decisions, batchDecisions, readableSets int
	allowed                                 int // of the single decisions
}

func (v verification) String() string {
	return fmt.Sprintf("%d single decisions (%d allowed), %d batch decisions, %d readable sets match the reference model",
		v.decisions, v.allowed, v.batchDecisions, v.readableSets)
}

// verify asks cerberus over HTTP and compares every answer with the access
// model computed from the generated grants: if the seed were not what it
// claims, the figures would measure something else.
func verify(ctx context.Context, t *target, a *asker, rng *rand.Rand, decisions int) (verification, error) {
	var v verification
	var (
		buf      bytes.Buffer
		body     []byte
		mismatch []string
		complain = func(format string, args ...any) { mismatch = append(mismatch, fmt.Sprintf(format, args...)) }
		tooMany  = func() bool { return len(mismatch) >= 5 }
		w        = a.w
	)
	for range decisions {
		q := a.draw(rng)
		body = authorizeBody(body, q.s.token, w.names[q.elem], opNames[q.ord])
		if err := t.do(ctx, http.MethodPost, "/api/authorize", body, &buf); err != nil {
			return v, err
		}
		var d authz.Decision
		if err := json.Unmarshal(buf.Bytes(), &d); err != nil {
			return v, fmt.Errorf("authorize answer %q: %w", buf.String(), err)
		}
		if want := w.decide(q.s.user, q.elem, q.ord); d.Allowed != want {
			complain("%s %s %s: cerberus says %v (%s), the model %v", username(q.s.user), opNames[q.ord], w.names[q.elem], d.Allowed, d.Reason, want)
		}
		v.decisions++
		if d.Allowed {
			v.allowed++
		}
		if tooMany() {
			break
		}
	}

	// One batch of 1,000, for each operation.
	for ord := opRead; ord <= opManage && !tooMany(); ord++ {
		s := a.sessions[rng.IntN(len(a.sessions))]
		elems := a.distinctElements(rng, s.user, 1000)
		if err := t.do(ctx, http.MethodPost, "/api/authorize/batch", batchBody(w, s.token, elems, opNames[ord]), &buf); err != nil {
			return v, err
		}
		var ans struct {
			Decisions map[string]authz.Decision `json:"decisions"`
		}
		if err := json.Unmarshal(buf.Bytes(), &ans); err != nil {
			return v, fmt.Errorf("batch answer: %w", err)
		}
		if len(ans.Decisions) != len(elems) {
			complain("batch of %d elements: %d decisions", len(elems), len(ans.Decisions))
		}
		for _, e := range elems {
			if got, want := ans.Decisions[w.names[e]].Allowed, w.decide(s.user, e, ord); got != want {
				complain("batch: %s %s %s: cerberus says %v, the model %v", username(s.user), opNames[ord], w.names[e], got, want)
			}
			v.batchDecisions++
		}
	}

	// Readable experiments: the first session is user 0, in the group that
	// reads the whole component (the "all but" answer); then others.
	for i := 0; i < min(8, len(a.sessions)) && !tooMany(); i++ {
		s := a.sessions[i*len(a.sessions)/min(8, len(a.sessions))]
		for _, ord := range []int8{opRead, opEdit} {
			if err := t.do(ctx, http.MethodPost, "/api/authorize/readable", readableBody(s.token, "experiment", opNames[ord]), &buf); err != nil {
				return v, err
			}
			var got authz.Readable
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				return v, fmt.Errorf("readable answer: %w", err)
			}
			all, names, except := w.readable(s.user, ord)
			if got.All != all || !sameSet(got.Names, names) || !sameSet(got.Except, except) {
				complain("readable experiments (%s) of %s: cerberus says all=%v, %d names, %d except; the model all=%v, %d names, %d except",
					opNames[ord], username(s.user), got.All, len(got.Names), len(got.Except), all, len(names), len(except))
			}
			v.readableSets++
		}
	}
	if len(mismatch) > 0 {
		return v, fmt.Errorf("the seeded database does not answer as the generated grants say:\n  %s", strings.Join(mismatch, "\n  "))
	}
	return v, nil
}

func sameSet(got []string, want map[string]bool) bool {
	if len(got) != len(want) {
		return false
	}
	return !slices.ContainsFunc(got, func(n string) bool { return !want[n] })
}
