package soak

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// fakeStudio is an in-memory stand-in for ml_studio's surface the soak
// uses (accounts, grants, experiments, runs, artifacts, /metrics), for
// the runner's smoke test. fault makes it misbehave in one way the soak
// must catch.
type fakeStudio struct {
	fault string

	mu        sync.Mutex
	n         int
	tokens    map[string]string          // token -> user
	grants    map[string]map[string]bool // user -> experiment ids it may read
	exps      map[string][2]string       // id -> name, owner
	runs      map[string]string          // run id -> experiment id
	artifacts map[string][]byte
	logs      int
	uploads   int
}

// Faults of the fake.
const (
	faultNone       = ""
	faultLeak       = "answers get-experiment without a grant"
	faultShape      = "refuses in the seed's shape, not MLflow's"
	faultServer     = "fails every 10th log-batch with 500"
	faultStale      = "ignores grants"
	faultWrongRun   = "answers get-run with another run"
	faultLateUpload = "stores every other metrics upload but answers 504 (as after ml_studio gave up on MLflow)"
	fakeAdminToken  = "admin-token"
	fakeAdminPasswd = "admin-pw"
)

func newFakeStudio(t *testing.T, fault string) *httptest.Server {
	f := &fakeStudio{fault: fault, tokens: map[string]string{fakeAdminToken: "admin"}, grants: map[string]map[string]bool{},
		exps: map[string][2]string{}, runs: map[string]string{}, artifacts: map[string][]byte{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/auth/login", f.login)
	mux.HandleFunc("POST /api/users", f.admin(func(w http.ResponseWriter, body map[string]any) { w.WriteHeader(http.StatusCreated) }))
	mux.HandleFunc("POST /api/tokens", f.user(func(w http.ResponseWriter, r *http.Request, user string, _ map[string]any) {
		f.tokens["tok-"+user] = user
		reply(w, http.StatusCreated, map[string]string{"token": "tok-" + user})
	}))
	mux.HandleFunc("POST /api/grants", f.admin(func(w http.ResponseWriter, body map[string]any) { f.grant(w, body, true) }))
	mux.HandleFunc("POST /api/grants/revoke", f.admin(func(w http.ResponseWriter, body map[string]any) { f.grant(w, body, false) }))
	mux.HandleFunc("POST "+mlflowAPI+"/experiments/create", f.user(func(w http.ResponseWriter, _ *http.Request, user string, body map[string]any) {
		id := f.next()
		f.exps[id] = [2]string{body["name"].(string), user}
		reply(w, http.StatusOK, map[string]string{"experiment_id": id})
	}))
	mux.HandleFunc("GET "+mlflowAPI+"/experiments/get", f.user(func(w http.ResponseWriter, r *http.Request, user string, _ map[string]any) {
		id := r.URL.Query().Get("experiment_id")
		if !f.canRead(user, id) && f.fault != faultLeak {
			f.refuse(w)
			return
		}
		reply(w, http.StatusOK, map[string]any{"experiment": map[string]string{"experiment_id": id, "name": f.exps[id][0]}})
	}))
	mux.HandleFunc("POST "+mlflowAPI+"/runs/create", f.user(func(w http.ResponseWriter, _ *http.Request, user string, body map[string]any) {
		exp := body["experiment_id"].(string)
		if f.exps[exp][1] != user {
			f.refuse(w)
			return
		}
		id := "run" + f.next()
		f.runs[id] = exp
		reply(w, http.StatusOK, map[string]any{"run": map[string]any{"info": map[string]string{
			"run_id": id, "experiment_id": exp, "artifact_uri": "mlflow-artifacts:/" + exp + "/" + id + "/artifacts"}}})
	}))
	for _, op := range []string{"update", "log-batch"} {
		mux.HandleFunc("POST "+mlflowAPI+"/runs/"+op, f.user(func(w http.ResponseWriter, _ *http.Request, user string, body map[string]any) {
			if f.exps[f.runs[body["run_id"].(string)]][1] != user {
				f.refuse(w)
				return
			}
			if op == "log-batch" && f.fault == faultServer {
				if f.logs++; f.logs%10 == 0 {
					reply(w, http.StatusInternalServerError, map[string]string{"error_code": "INTERNAL_ERROR", "message": "boom"})
					return
				}
			}
			reply(w, http.StatusOK, map[string]any{})
		}))
	}
	mux.HandleFunc("GET "+mlflowAPI+"/runs/get", f.user(func(w http.ResponseWriter, r *http.Request, user string, _ map[string]any) {
		id := r.URL.Query().Get("run_id")
		exp := f.runs[id]
		if !f.canRead(user, exp) {
			f.refuse(w)
			return
		}
		if f.fault == faultWrongRun {
			id += "x"
		}
		reply(w, http.StatusOK, map[string]any{"run": map[string]any{"info": map[string]string{"run_id": id, "experiment_id": exp}}})
	}))
	mux.HandleFunc("POST "+mlflowAPI+"/runs/search", f.user(func(w http.ResponseWriter, _ *http.Request, user string, body map[string]any) {
		var runs []any
		for _, e := range body["experiment_ids"].([]any) {
			if !f.canRead(user, e.(string)) {
				continue
			}
			for id, exp := range f.runs {
				if exp == e {
					runs = append(runs, map[string]any{"info": map[string]string{"run_id": id, "experiment_id": exp}})
				}
			}
		}
		reply(w, http.StatusOK, map[string]any{"runs": runs})
	}))
	mux.HandleFunc("/api/2.0/mlflow-artifacts/artifacts/{path...}", f.user(func(w http.ResponseWriter, r *http.Request, user string, body map[string]any) {
		path := r.PathValue("path")
		exp, _, _ := strings.Cut(path, "/")
		switch {
		case r.Method == http.MethodPut && f.exps[exp][1] == user:
			f.artifacts[path] = body["raw"].([]byte)
			if f.fault == faultLateUpload && strings.Contains(path, "/metrics-") {
				f.uploads++
			}
			if f.fault == faultLateUpload && f.uploads%2 == 1 {
				reply(w, http.StatusGatewayTimeout, map[string]string{"error_code": "DEADLINE_EXCEEDED", "message": "late"})
				return
			}
			reply(w, http.StatusOK, map[string]any{})
		case r.Method == http.MethodGet && f.canRead(user, exp):
			_, _ = w.Write(f.artifacts[path])
		default:
			f.refuse(w)
		}
	}))
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Fprintf(w, "# TYPE go_goroutines gauge\ngo_goroutines %d\ngo_memstats_heap_inuse_bytes %d\n", runtime.NumGoroutine(), m.HeapInuse)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeStudio) next() string { f.n++; return fmt.Sprint(f.n) }

func (f *fakeStudio) canRead(user, exp string) bool {
	if f.exps[exp][1] == user {
		return true
	}
	return f.fault != faultStale && f.grants[user][exp]
}

func (f *fakeStudio) refuse(w http.ResponseWriter) {
	if f.fault == faultShape {
		reply(w, http.StatusForbidden, map[string]string{"error": "forbidden"})
		return
	}
	reply(w, http.StatusForbidden, map[string]string{"error_code": "PERMISSION_DENIED", "message": "you may not read this experiment"})
}

func (f *fakeStudio) login(w http.ResponseWriter, r *http.Request) {
	var body map[string]string
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if body["username"] == "admin" {
		reply(w, http.StatusOK, map[string]string{"token": fakeAdminToken})
		return
	}
	f.tokens["session-"+body["username"]] = body["username"]
	reply(w, http.StatusOK, map[string]string{"token": "session-" + body["username"]})
}

// user serves a request of a signed-in user, with its JSON body (or, for
// an artifact upload, its bytes as "raw").
func (f *fakeStudio) user(h func(http.ResponseWriter, *http.Request, string, map[string]any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if r.Header.Get("Content-Type") == "application/json" {
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				reply(w, http.StatusBadRequest, map[string]string{"error_code": "INVALID_PARAMETER_VALUE", "message": err.Error()})
				return
			}
		} else if r.Method == http.MethodPut {
			raw, err := io.ReadAll(r.Body)
			if err != nil {
				return
			}
			body = map[string]any{"raw": raw}
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		user, ok := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		if !ok {
			reply(w, http.StatusUnauthorized, map[string]string{"error_code": "UNAUTHENTICATED", "message": "who are you"})
			return
		}
		h(w, r, user, body)
	}
}

func (f *fakeStudio) admin(h func(http.ResponseWriter, map[string]any)) http.HandlerFunc {
	return f.user(func(w http.ResponseWriter, _ *http.Request, user string, body map[string]any) {
		if user != "admin" {
			reply(w, http.StatusForbidden, map[string]string{"error": "admins only"})
			return
		}
		h(w, body)
	})
}

func (f *fakeStudio) grant(w http.ResponseWriter, body map[string]any, give bool) {
	element, user := body["element"].(string), body["user"].(string)
	if exp, ok := strings.CutPrefix(element, "experiment:"); ok {
		if f.grants[user] == nil {
			f.grants[user] = map[string]bool{}
		}
		f.grants[user][exp] = give
	}
	if give {
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
}
