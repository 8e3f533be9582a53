//go:build faults && linux

package faulttest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/deploy/apicall"
)

// write is one write of the load: a user created, a grant given or an API
// token made, and whether the API acknowledged it.
type write struct {
	kind     string // user, grant, token
	user     string
	password string
	token    string // an acknowledged token's secret
	sent     time.Time
	status   int
	err      error
}

// grantView is what cerberus lists of a grant, as far as the test compares.
type grantView struct {
	Subject   string `json:"subject"`
	Element   string `json:"element"`
	Operation string `json:"operation"`
	Effect    string `json:"effect"`
}

func (w write) acked() bool { return w.err == nil && w.status == http.StatusCreated }

// TestMariaDBKilledUnderWrites: the database is killed (SIGKILL, as a
// crash would) and started again while users, grants and API tokens are
// being created through ml_studio. Meanwhile writes answer 503, never 500;
// once it is back cerberus serves again without a restart; afterwards every
// write the API acknowledged is there and works (the user signs in, the
// grant decides, the token authenticates) and no write is half done (a user
// that exists has their password).
func TestMariaDBKilledUnderWrites(t *testing.T) {
	w := newWorld(t)
	element := "experiment:" + w.alice.expID
	var (
		mu     sync.Mutex
		writes []write
	)
	record := func(x write) {
		mu.Lock()
		writes = append(writes, x)
		mu.Unlock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	hc := &http.Client{Timeout: 30 * time.Second}
	for writer := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				name, password := fmt.Sprintf("w%d-%d-%s", writer, i, apicall.Random()[:6]), "pw-"+apicall.Random()
				u := write{kind: "user", user: name, password: password, sent: time.Now()}
				r, err := apicall.Send(ctx, hc, w.studio.URL, http.MethodPost, "/api/users", w.admin, map[string]string{"username": name, "password": password})
				u.status, u.err = r.Status, err
				record(u)
				if u.acked() {
					g := write{kind: "grant", user: name, sent: time.Now()}
					r, err = apicall.Send(ctx, hc, w.studio.URL, http.MethodPost, "/api/grants", w.admin, map[string]string{"element": element, "operation": "read", "user": name})
					g.status, g.err = r.Status, err
					record(g)
					tk := write{kind: "token", user: name, sent: time.Now()}
					r, err = apicall.Send(ctx, hc, w.studio.URL, http.MethodPost, "/api/auth/login", "", map[string]string{"username": name, "password": password})
					if err == nil && r.Status == http.StatusOK {
						var s struct {
							Token string `json:"token"`
						}
						_ = json.Unmarshal(r.Body, &s)
						r, err = apicall.Send(ctx, hc, w.studio.URL, http.MethodPost, "/api/tokens", s.Token, map[string]string{"name": "faults"})
						if err == nil && r.Status == http.StatusCreated {
							var tok struct {
								Token string `json:"token"`
							}
							_ = json.Unmarshal(r.Body, &tok)
							tk.token = tok.Token
						}
					}
					tk.status, tk.err = r.Status, err
					record(tk)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	killed := time.Now()
	if err := shared.db.Kill(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	restarted := time.Now()
	if err := shared.db.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	ready := time.Now()
	var back time.Time
	for deadline := time.Now().Add(30 * time.Second); back.IsZero() && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		for _, x := range writes {
			if x.kind == "user" && x.sent.After(ready) && x.acked() {
				back = x.sent
			}
		}
		mu.Unlock()
	}
	time.Sleep(1500 * time.Millisecond)
	cancel()
	wg.Wait()
	if back.IsZero() {
		t.Fatal("no user was created within 30 s of the database being back")
	}

	statuses := map[string]map[string]int{}
	phase := func(x write) string {
		switch {
		case x.sent.Before(killed):
			return "before"
		case x.sent.Before(ready):
			return "down"
		}
		return "after"
	}
	for _, x := range writes {
		k := fmt.Sprint(x.status)
		if x.err != nil {
			k = "error"
			if ctxErr := ctx.Err(); ctxErr != nil && strings.Contains(x.err.Error(), "context canceled") {
				continue // cut short by the end of the load
			}
		}
		if statuses[phase(x)] == nil {
			statuses[phase(x)] = map[string]int{}
		}
		statuses[phase(x)][x.kind+" "+k]++
		if !x.acked() && !slices.Contains([]int{http.StatusServiceUnavailable}, x.status) {
			t.Errorf("%s %s: status %d, error %v, want 201 or 503", x.kind, x.user, x.status, x.err)
		}
	}
	t.Logf("MariaDB killed at +0, restarted +%s, ready +%s, writes acknowledged again +%s; writes %v",
		restarted.Sub(killed).Round(time.Millisecond), ready.Sub(killed).Round(time.Millisecond), back.Sub(killed).Round(time.Millisecond), statuses)
	if statuses["down"]["user 503"] == 0 {
		t.Error("no write was refused while the database was down: the test proves nothing")
	}

	// Every acknowledged write is there, and none is half done.
	checking := time.Now()
	defer func() { t.Logf("%d writes checked in %s", len(writes), time.Since(checking).Round(time.Millisecond)) }()
	for _, x := range writes {
		switch x.kind {
		case "user":
			r := apicall.Do(t, setupClient, w.cerberus.URL, http.MethodGet, "/api/users/"+x.user, w.admin, nil)
			exists := r.Status == http.StatusOK
			if x.acked() && !exists {
				t.Errorf("user %s was acknowledged and is gone: %s", x.user, r)
			}
			if exists {
				if l := apicall.Do(t, setupClient, w.cerberus.URL, http.MethodPost, "/api/auth/login", "", map[string]string{"username": x.user, "password": x.password}); l.Status != http.StatusOK {
					t.Errorf("user %s exists but cannot sign in (half done?): %s", x.user, l)
				}
			} else if r.Status != http.StatusNotFound {
				t.Errorf("user %s: %s, want 200 or 404", x.user, r)
			}
		case "grant":
			var grants struct {
				Grants []grantView `json:"grants"`
			}
			apicall.Decode(t, apicall.Must(t, http.StatusOK, apicall.Do(t, setupClient, w.cerberus.URL, http.MethodGet, "/api/users/"+x.user+"/grants", w.admin, nil)), &grants)
			listed := slices.Contains(grants.Grants, grantView{Subject: "user:" + x.user, Element: element, Operation: "read", Effect: "allow"})
			var d struct {
				Allowed bool `json:"allowed"`
			}
			apicall.Decode(t, apicall.Must(t, http.StatusOK, apicall.Do(t, setupClient, w.cerberus.URL, http.MethodPost, "/api/authorize", w.admin,
				map[string]string{"user": x.user, "component": "ml_studio", "element": element, "operation": "read"})), &d)
			if x.acked() && (!listed || !d.Allowed) {
				t.Errorf("the grant to %s was acknowledged: listed %v, allows %v", x.user, listed, d.Allowed)
			}
			if listed != d.Allowed {
				t.Errorf("the grant to %s is half done: listed %v, allows %v", x.user, listed, d.Allowed)
			}
		case "token":
			if x.acked() {
				var me struct {
					Username string `json:"username"`
				}
				r := apicall.Do(t, setupClient, w.cerberus.URL, http.MethodGet, "/api/auth/me", x.token, nil)
				if r.Status != http.StatusOK {
					t.Errorf("the token of %s was acknowledged and does not authenticate: %s", x.user, r)
					continue
				}
				apicall.Decode(t, r, &me)
				if me.Username != x.user {
					t.Errorf("the token of %s authenticates %q", x.user, me.Username)
				}
			}
		}
	}
}
