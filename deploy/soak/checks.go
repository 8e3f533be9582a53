package soak

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Kinds of error the report counts.
const (
	kindTransport  = "transport (no answer)"
	kind5xx        = "5xx"
	kindStatus     = "unexpected status"
	kindBadBody    = "unreadable body"
	kindWrongData  = "wrong data"
	kindBadRefusal = "refusal not in MLflow's shape"
	kindLeak       = "another user's data"
	kindStale      = "refused despite a grant"
)

// checker judges an answer to a request sent at sent: the kind of error it
// shows and why, or "" for none.
type checker func(a Answer, sent time.Time) (kind, why string)

// kindOf is the kind of error of a request made with Client.Expect.
func kindOf(err error) string {
	var se *StatusError
	switch {
	case !errors.As(err, &se):
		return kindTransport
	case se.Status >= 500:
		return kind5xx
	}
	return kindStatus
}

func wantOK(a Answer, _ time.Time) (string, string) {
	if a.Status != http.StatusOK {
		return kindStatus, ""
	}
	return "", ""
}

func searchBody(exp string) map[string]any {
	return map[string]any{"experiment_ids": []string{exp}, "max_results": searchPageLimit, "order_by": []string{"attributes.start_time DESC"}}
}

type runInfo struct {
	RunID        string `json:"run_id"`
	ExperimentID string `json:"experiment_id"`
}

type searchAnswer struct {
	Runs []struct {
		Info runInfo `json:"info"`
	} `json:"runs"`
}

// checkSearch: every run listed is in exp; when mine is set, the
// client's current run is among them (the newest, as ordered).
func checkSearch(a Answer, exp string, own bool, mine string) (string, string) {
	if a.Status != http.StatusOK {
		return kindStatus, ""
	}
	var s searchAnswer
	if err := json.Unmarshal(a.Body, &s); err != nil {
		return kindBadBody, err.Error()
	}
	found := false
	for _, r := range s.Runs {
		if r.Info.ExperimentID != exp {
			return kindLeak, fmt.Sprintf("run %s of experiment %s listed in a search of %s", r.Info.RunID, r.Info.ExperimentID, exp)
		}
		found = found || r.Info.RunID == mine
	}
	if own && !found && len(s.Runs) < searchPageLimit {
		return kindWrongData, "the client's own run is not listed"
	}
	return "", ""
}

func checkRun(a Answer, run, exp string) (string, string) {
	if a.Status != http.StatusOK {
		return kindStatus, ""
	}
	var r struct {
		Run struct {
			Info runInfo `json:"info"`
		} `json:"run"`
	}
	if err := json.Unmarshal(a.Body, &r); err != nil {
		return kindBadBody, err.Error()
	}
	if r.Run.Info.RunID != run || r.Run.Info.ExperimentID != exp {
		return kindWrongData, fmt.Sprintf("run %s of %s, want %s of %s", r.Run.Info.RunID, r.Run.Info.ExperimentID, run, exp)
	}
	return "", ""
}

func checkExperiment(a Answer, u *User) (string, string) {
	if a.Status != http.StatusOK {
		return kindStatus, ""
	}
	var e struct {
		Experiment struct {
			ID   string `json:"experiment_id"`
			Name string `json:"name"`
		} `json:"experiment"`
	}
	if err := json.Unmarshal(a.Body, &e); err != nil {
		return kindBadBody, err.Error()
	}
	if e.Experiment.ID != u.ExpID || e.Experiment.Name != u.ExpName {
		return kindWrongData, fmt.Sprintf("experiment %s %q, want %s %q", e.Experiment.ID, e.Experiment.Name, u.ExpID, u.ExpName)
	}
	return "", ""
}

func containsAny(body []byte, secrets ...string) bool {
	for _, s := range secrets {
		if s != "" && bytes.Contains(body, []byte(s)) {
			return true
		}
	}
	return false
}

// describe is a request and its answer in a line, for the report's
// examples (no token: only the path and the answer).
func describe(method, path string, a Answer, err error) string {
	if err != nil {
		return fmt.Sprintf("%s %s: %v", method, path, err)
	}
	return fmt.Sprintf("%s %s = %d %s", method, path, a.Status, snippet(a.Body))
}

func nowMillis() int64 { return time.Now().UnixMilli() }
