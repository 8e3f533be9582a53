// Package soak runs a stock-client-shaped load through ml_studio for a
// long while and reports what the clients saw and how the services' memory,
// goroutines and open files moved: many clients, each acting as one of a
// few users, log metrics, search, read runs and experiments, upload and
// download artifacts, and read their neighbour's experiment while an admin
// gives and takes their read grant on it, so those reads flip between
// allowed and refused. make soak (deploy/cmd/soak) starts the services and
// writes the report.
package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Config is one soak.
type Config struct {
	Duration time.Duration
	Clients  int
	// Think is the most a client waits between two requests (a random
	// time from 0), as a training loop computes between its calls.
	Think time.Duration
	// Flip is how often the admin gives or takes one user's read grant on
	// its neighbour's experiment (the users in turn).
	Flip time.Duration
	// Sample is how often the watched processes are measured.
	Sample time.Duration
	Watch  []Watched
	// Cerberus, when set, takes every other grant change straight (the
	// admin's token works there too); ml_studio honours it within
	// CerberusLag (its revision poll), so answers are judged from then on.
	Cerberus    *Client
	CerberusLag time.Duration
	// Settle is how long the services idle after the load, its
	// connections closed, before they are measured once more.
	Settle time.Duration
}

// Op names, as the report shows them.
const (
	opLogBatch      = "log-batch"
	opSearchOwn     = "search-runs"
	opGetRun        = "get-run"
	opGetExp        = "get-experiment"
	opUpload        = "artifact-upload"
	opDownload      = "artifact-download"
	opNewRun        = "new-run"
	opNbGetExp      = "neighbour get-experiment"
	opNbGetRun      = "neighbour get-run"
	opNbSearch      = "neighbour search-runs"
	opNbDownload    = "neighbour artifact-download"
	opGrant         = "grant/revoke via ml_studio (admin)"
	opGrantCerberus = "grant/revoke at cerberus (admin)"
	searchPageLimit = 50
)

// mix is the share of each client operation, in parts (of 100).
var mix = []struct {
	op     string
	weight int
}{
	{opLogBatch, 30}, {opSearchOwn, 8}, {opGetRun, 8}, {opGetExp, 6},
	{opUpload, 6}, {opDownload, 6}, {opNewRun, 1},
	{opNbGetExp, 9}, {opNbGetRun, 9}, {opNbSearch, 8}, {opNbDownload, 9},
}

// Run drives the load against the ml_studio c talks to until cfg.Duration
// has passed or ctx ends, and returns what was seen.
func Run(ctx context.Context, c *Client, w *World, cfg Config) (*Result, error) {
	if cfg.Clients < 1 || len(w.Users) < 2 {
		return nil, fmt.Errorf("need a client and two users (have %d, %d)", cfg.Clients, len(w.Users))
	}
	start := time.Now()
	rec := newRecorder(start)
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()

	// Each client starts its own run first, as a notebook does.
	clients := make([]*client, cfg.Clients)
	for i := range clients {
		ui := i % len(w.Users)
		cl := &client{c: c, rec: rec, user: &w.Users[ui], neighbour: w.Neighbour(ui), access: w.Users[ui].neighbourAccess,
			rng: rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano()))), think: cfg.Think, files: map[string]*file{}}
		if err := cl.newRun(ctx); err != nil {
			return nil, fmt.Errorf("client %d: %w", i, err)
		}
		clients[i] = cl
	}
	rec.reset(time.Now()) // the clock of the report starts with the load

	var wg sync.WaitGroup
	sampler := newSampler(cfg.Watch, rec.start)
	wg.Go(func() { sampler.run(ctx, cfg.Sample) })
	wg.Go(func() { flipper(ctx, c, w, rec, cfg) })
	for _, cl := range clients {
		wg.Go(func() { cl.loop(ctx) })
	}
	wg.Wait()
	end := time.Now()
	// Then idle, the clients' connections closed: a leak stays, what the
	// load holds goes.
	c.Close()
	time.Sleep(cfg.Settle)
	sampler.sampleAfter(context.Background())
	series, after, failures := sampler.snapshot()
	res := rec.result(end, series, failures)
	res.After = after
	return res, nil
}

// flipper gives and takes the users' read grants on their neighbours'
// experiments in turn, as an admin: through ml_studio (as in the UI), and,
// when cfg.Cerberus is set, every other change straight at cerberus, which
// ml_studio hears of within cfg.CerberusLag.
func flipper(ctx context.Context, c *Client, w *World, rec *recorder, cfg Config) {
	if cfg.Flip <= 0 {
		return
	}
	allowed := make([]bool, len(w.Users))
	t := time.NewTicker(cfg.Flip)
	defer t.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		i := n % len(w.Users)
		u, nb := &w.Users[i], w.Neighbour(i)
		give := !allowed[i]
		path, want := "/api/grants", http.StatusCreated
		if !give {
			path, want = "/api/grants/revoke", http.StatusNoContent
		}
		via, op, lag := c, opGrant, time.Duration(0)
		if cfg.Cerberus != nil && n%2 == 1 {
			via, op, lag = cfg.Cerberus, opGrantCerberus, cfg.CerberusLag
		}
		sent := time.Now()
		done := u.neighbourAccess.begin(sent, give)
		a, err := via.Send(ctx, http.MethodPost, path, w.Admin, map[string]string{"element": "experiment:" + nb.ExpID, "operation": "read", "user": u.Name})
		acked := time.Now()
		if ctx.Err() != nil {
			// Cut short by the end: whether it took effect is not known.
			u.neighbourAccess.lose()
			return
		}
		kind := ""
		switch {
		case err != nil:
			kind = kindTransport
		case a.Status >= 500:
			kind = kind5xx
		case a.Status != want:
			kind = kindStatus
		}
		rec.add(op, sent, acked.Sub(sent), kind, describe(http.MethodPost, path, a, err))
		if kind != "" {
			u.neighbourAccess.lose()
			continue
		}
		allowed[i] = give
		done(acked.Add(lag))
	}
}

// client is one simulated stock client acting as user.
type client struct {
	c               *Client
	rec             *recorder
	user, neighbour *User
	access          *history
	rng             *rand.Rand
	think           time.Duration

	run, root string           // its current run and that run's artifacts path
	step      int              // the run's metric step
	files     map[string]*file // its run's files
}

// file is what one of a client's artifacts may hold: the content of its
// last successful upload and of any upload after it that failed.
type file struct {
	maybe  [][]byte
	exists bool // an upload succeeded
}

func (cl *client) loop(ctx context.Context) {
	total := 0
	for _, m := range mix {
		total += m.weight
	}
	for ctx.Err() == nil {
		n := cl.rng.IntN(total)
		op := mix[0].op
		for _, m := range mix {
			if n < m.weight {
				op = m.op
				break
			}
			n -= m.weight
		}
		cl.do(ctx, op)
		if cl.think > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(cl.rng.Int64N(int64(cl.think)))):
			}
		}
	}
}

// call makes one request and records it with the kind of error its check
// finds ("" for none). A request the end of the run cut short is not
// recorded.
func (cl *client) call(ctx context.Context, op, method, path string, body any, check checker) {
	sent := time.Now()
	a, err := cl.c.Send(ctx, method, path, cl.user.Token, body)
	took := time.Since(sent)
	if ctx.Err() != nil {
		return
	}
	kind, why := "", ""
	switch {
	case err != nil:
		kind, why = kindTransport, err.Error()
	case a.Status >= 500:
		kind = kind5xx
	default:
		kind, why = check(a, sent)
	}
	detail := ""
	if kind != "" {
		detail = describe(method, path, a, err)
		if why != "" {
			detail = why + ": " + detail
		}
	}
	cl.rec.add(op, sent, took, kind, detail)
}

func (cl *client) do(ctx context.Context, op string) {
	switch op {
	case opLogBatch:
		cl.step++
		now := nowMillis()
		body := map[string]any{"run_id": cl.run, "metrics": []map[string]any{
			{"key": "loss", "value": 1 / float64(cl.step), "timestamp": now, "step": cl.step},
			{"key": "accuracy", "value": 1 - 1/float64(cl.step+1), "timestamp": now, "step": cl.step},
			{"key": "lr", "value": 0.001, "timestamp": now, "step": cl.step},
		}}
		if cl.step%10 == 0 {
			body["tags"] = []map[string]string{{"key": "epoch", "value": strconv.Itoa(cl.step / 10)}}
		}
		cl.call(ctx, op, http.MethodPost, mlflowAPI+"/runs/log-batch", body, wantOK)
	case opSearchOwn:
		cl.call(ctx, op, http.MethodPost, mlflowAPI+"/runs/search", searchBody(cl.user.ExpID), func(a Answer, _ time.Time) (string, string) {
			return checkSearch(a, cl.user.ExpID, true, cl.run)
		})
	case opGetRun:
		cl.call(ctx, op, http.MethodGet, mlflowAPI+"/runs/get?run_id="+cl.run, nil, func(a Answer, _ time.Time) (string, string) {
			return checkRun(a, cl.run, cl.user.ExpID)
		})
	case opGetExp:
		cl.call(ctx, op, http.MethodGet, mlflowAPI+"/experiments/get?experiment_id="+cl.user.ExpID, nil, func(a Answer, _ time.Time) (string, string) {
			return checkExperiment(a, cl.user)
		})
	case opUpload:
		name := "metrics-" + strconv.Itoa(cl.rng.IntN(3)) + ".txt"
		content := fmt.Appendf(nil, "%s step %d %s\n", cl.run, cl.step, Random(64))
		// Whatever the answer, the file may hold this now: an upload
		// ml_studio gave up on (504) may still land at MLflow.
		f := cl.files[name]
		if f == nil {
			f = &file{}
			cl.files[name] = f
		}
		f.maybe = append(f.maybe, content)
		cl.call(ctx, op, http.MethodPut, artifactsAPI+cl.root+"/"+name, content, func(a Answer, _ time.Time) (string, string) {
			if kind, why := wantOK(a, time.Time{}); kind != "" {
				return kind, why
			}
			f.maybe, f.exists = [][]byte{content}, true
			return "", ""
		})
	case opDownload:
		names := make([]string, 0, len(cl.files))
		for n := range cl.files {
			names = append(names, n)
		}
		slices.Sort(names)
		name := names[cl.rng.IntN(len(names))]
		f := cl.files[name]
		cl.call(ctx, op, http.MethodGet, artifactsAPI+cl.root+"/"+name, nil, func(a Answer, _ time.Time) (string, string) {
			switch {
			case a.Status == http.StatusNotFound && !f.exists:
				return "", "" // only failed uploads to it so far
			case a.Status != http.StatusOK:
				return kindStatus, ""
			case !slices.ContainsFunc(f.maybe, func(c []byte) bool { return string(c) == string(a.Body) }):
				return kindWrongData, "not the artifact's content"
			}
			return "", ""
		})
	case opNewRun:
		sent := time.Now()
		err := cl.c.Expect(ctx, http.StatusOK, http.MethodPost, mlflowAPI+"/runs/update", cl.user.Token,
			map[string]any{"run_id": cl.run, "status": "FINISHED", "end_time": nowMillis()}, nil)
		if err == nil {
			err = cl.newRun(ctx)
		}
		if ctx.Err() != nil {
			return
		}
		kind, detail := "", ""
		if err != nil {
			kind, detail = kindOf(err), err.Error()
		}
		cl.rec.add(op, sent, time.Since(sent), kind, detail)
	case opNbGetExp:
		cl.neighbourCall(ctx, op, mlflowAPI+"/experiments/get?experiment_id="+cl.neighbour.ExpID, nil, func(a Answer) (string, string) {
			return checkExperiment(a, cl.neighbour)
		})
	case opNbGetRun:
		cl.neighbourCall(ctx, op, mlflowAPI+"/runs/get?run_id="+cl.neighbour.ProbeRun, nil, func(a Answer) (string, string) {
			return checkRun(a, cl.neighbour.ProbeRun, cl.neighbour.ExpID)
		})
	case opNbDownload:
		cl.neighbourCall(ctx, op, artifactsAPI+cl.neighbour.ProbeArtifact, nil, func(a Answer) (string, string) {
			if string(a.Body) != string(cl.neighbour.ProbeContent) {
				return kindWrongData, "not the probe artifact's content"
			}
			return "", ""
		})
	case opNbSearch:
		cl.neighbourSearch(ctx)
	}
}

// newRun starts the client's next run and uploads its first artifact.
func (cl *client) newRun(ctx context.Context) error {
	run, root, err := createRun(ctx, cl.c, cl.user.Token, cl.user.ExpID, "soak")
	if err != nil {
		return err
	}
	content := []byte("config of " + run + "\n")
	if err := cl.c.Expect(ctx, http.StatusOK, http.MethodPut, artifactsAPI+root+"/config.txt", cl.user.Token, content, nil); err != nil {
		return err
	}
	cl.run, cl.root, cl.step = run, root, 0
	clear(cl.files)
	cl.files["config.txt"] = &file{maybe: [][]byte{content}, exists: true}
	return nil
}

// neighbourCall is a GET of the neighbour's: answered with the right data
// (checked by ok) when the grant is there, refused in MLflow's shape when
// it is not, and either only while a change is under way.
func (cl *client) neighbourCall(ctx context.Context, op, path string, body any, ok func(Answer) (string, string)) {
	cl.call(ctx, op, http.MethodGet, path, body, func(a Answer, sent time.Time) (string, string) {
		allowed, known := cl.access.expect(sent, time.Now())
		cl.rec.decision(a.Status == http.StatusOK, known)
		switch {
		case a.Status == http.StatusOK:
			if known && !allowed {
				return kindLeak, "answered while the grant was taken"
			}
			return ok(a)
		case a.Status == http.StatusForbidden || a.Status == http.StatusNotFound:
			if kind, why := cl.checkRefusal(a); kind != "" {
				return kind, why
			}
			if known && allowed {
				return kindStale, "refused while the grant was given"
			}
			return "", ""
		}
		return kindStatus, ""
	})
}

// neighbourSearch searches the neighbour's experiment: its runs when the
// grant is there, none (searches leave out what may not be read) or a
// refusal when it is not.
func (cl *client) neighbourSearch(ctx context.Context) {
	cl.call(ctx, opNbSearch, http.MethodPost, mlflowAPI+"/runs/search", searchBody(cl.neighbour.ExpID), func(a Answer, sent time.Time) (string, string) {
		allowed, known := cl.access.expect(sent, time.Now())
		switch {
		case a.Status == http.StatusOK:
			var s searchAnswer
			if err := json.Unmarshal(a.Body, &s); err != nil {
				return kindBadBody, err.Error()
			}
			cl.rec.decision(len(s.Runs) > 0, known)
			if len(s.Runs) > 0 && known && !allowed {
				return kindLeak, "runs listed while the grant was taken"
			}
			if len(s.Runs) == 0 && known && allowed {
				return kindStale, "no runs listed while the grant was given"
			}
			return checkSearch(a, cl.neighbour.ExpID, false, "")
		case a.Status == http.StatusForbidden || a.Status == http.StatusNotFound:
			cl.rec.decision(false, known)
			if kind, why := cl.checkRefusal(a); kind != "" {
				return kind, why
			}
			if known && allowed {
				return kindStale, "refused while the grant was given"
			}
			return "", ""
		}
		return kindStatus, ""
	})
}

// checkRefusal: a refusal is MLflow's error body, and says nothing of the
// neighbour's experiment it was not allowed to see.
func (cl *client) checkRefusal(a Answer) (string, string) {
	var e struct {
		Code    string `json:"error_code"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(a.Body, &e); err != nil || e.Message == "" ||
		(e.Code != "PERMISSION_DENIED" && e.Code != "RESOURCE_DOES_NOT_EXIST") {
		return kindBadRefusal, "not MLflow's PERMISSION_DENIED/RESOURCE_DOES_NOT_EXIST body"
	}
	if containsAny(a.Body, cl.neighbour.ExpName, string(cl.neighbour.ProbeContent)) {
		return kindLeak, "a refusal shows the neighbour's data"
	}
	return "", ""
}
