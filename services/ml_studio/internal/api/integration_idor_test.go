package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
)

// member is bob as a real team member: create on project:default and an
// experiment, run and model of his own, but nothing of alice's.
type member struct {
	user                *apitest.User
	expID, runID, model string
}

func newMember(t *testing.T, c *cast) *member {
	t.Helper()
	bob := &member{user: c.st.NewUser(t, "bob")}
	c.st.Grant(t, "project:default", "create", bob.user)
	mine := newFixtureBy(t, c, bob.user)
	bob.expID, bob.runID, bob.model = mine.ExpID, mine.RunID, mine.Model
	return bob
}

// TestIDORMemberGuessingAlicesIDs: bob may create and owns objects of his
// own; with alice's experiment id, run id and model name every route
// refuses him (searches show him nothing of hers), and a refused write
// changes nothing.
func TestIDORMemberGuessingAlicesIDs(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	bob := newMember(t, c)
	fx := newFixture(t, c)
	for _, rc := range matrixRoutes() {
		if rc.class == createOp {
			continue // creating in the project is bob's right
		}
		t.Run(rc.String(), func(t *testing.T) {
			want := http.StatusForbidden
			if rc.class == listOp {
				want = http.StatusOK // filtered: checked to show nothing of alice's
			}
			target := fx
			if rc.fresh {
				target = newFixture(t, c) // its preparation may delete it
			}
			checkCall(t, c.studio, rc, &call{c: c, fx: target, who: bob.user, role: nobody, label: "bob"}, want)
		})
	}

	t.Run("his model, her run as the version's source", func(t *testing.T) {
		r := c.studio.Call(t, bob.user, post, "/models/versions/create", map[string]any{
			"name": bob.model, "source": fx.ArtifactURI + "/" + artifactDir, "run_id": fx.RunID,
		})
		if r.Status != http.StatusForbidden {
			t.Fatalf("%s, want 403", r)
		}
		requireErrorBody(t, r, fx.secrets)
	})
	t.Run("runs/search over his and her experiments", func(t *testing.T) {
		r := c.studio.MustCall(t, bob.user, post, "/runs/search", map[string]any{"experiment_ids": []string{fx.ExpID, bob.expID}})
		mustContain(t, r, bob.runID)
		for _, s := range append([]string{fx.RunID}, fx.secrets...) {
			if strings.Contains(string(r.Body), s) {
				t.Errorf("%s: shows %q of alice's", r, s)
			}
		}
	})
}

// TestIDORNonCanonicalExperimentID: MLflow reads experiment ids as Python's
// int() does, so "0<id>", " <id>", "+<id>", "1_5" and other digits name
// the same experiment. Bob, who may register elements in his project, has
// those spellings registered in cerberus as his own; through ml_studio
// they must still not reach alice's experiment.
func TestIDORNonCanonicalExperimentID(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	bob := newMember(t, c)
	fx := newFixture(t, c)
	id := fx.ExpID
	spellings := []string{"0" + id, "00" + id, "+" + id, " " + id, id + " ", "\t" + id, id + "\n", arabicDigits(id)}
	if len(id) > 1 {
		spellings = append(spellings, id[:1]+"_"+id[1:])
	}
	for _, s := range spellings {
		t.Run(strings.NewReplacer(" ", "_sp_", "\t", "_tab_", "\n", "_nl_").Replace(s), func(t *testing.T) {
			// Bob tries to claim the spelling in cerberus. Cerberus may let
			// him (a cerberus without a registrar secret lets anyone who may
			// create in a project register under it), or refuse: only
			// ml_studio registers (403), the id is not canonical (400), or
			// on MariaDB "experiment:<id> " is alice's name (PAD SPACE, 409).
			// Either way ml_studio must not take the spelling for the id.
			reg, err := c.st.Cerberus(bob.user, post, "/api/elements", map[string]string{"name": "experiment:" + s, "parent": "project:default"})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains([]int{http.StatusCreated, http.StatusBadRequest, http.StatusForbidden, http.StatusConflict}, reg.Status) {
				t.Fatalf("register experiment:%q: %s", s, reg)
			}
			before := snapshot(t, c.st, fx)
			for _, tc := range []struct {
				method, path string
				params       map[string]any
			}{
				{get, "/experiments/get", map[string]any{"experiment_id": s}},
				{post, "/experiments/set-tag", map[string]any{"experiment_id": s, "key": "bob", "value": "was here"}},
				{post, "/experiments/update", map[string]any{"experiment_id": s, "new_name": fx.ExpName + "-bob"}},
				{post, "/experiments/delete", map[string]any{"experiment_id": s}},
				{post, "/runs/create", map[string]any{"experiment_id": s, "run_name": "bob-run"}},
			} {
				r := c.studio.Call(t, bob.user, tc.method, tc.path, tc.params)
				if r.Status != http.StatusForbidden && r.Status != http.StatusBadRequest {
					t.Errorf("%s with experiment_id %q: %s, want 403 or 400", tc.path, s, r)
					continue
				}
				requireErrorBody(t, r, fx.secrets)
			}
			r := c.studio.MustCall(t, bob.user, post, "/runs/search", map[string]any{"experiment_ids": []string{s}})
			if strings.Contains(string(r.Body), fx.RunID) {
				t.Errorf("runs/search with experiment id %q shows alice's run: %s", s, r)
			}
			if after := snapshot(t, c.st, fx); after != before {
				t.Errorf("bob changed alice's experiment through %q:\nbefore:\n%s\nafter:\n%s", s, before, after)
			}
		})
	}
}

// arabicDigits spells a decimal id in Arabic-Indic digits, which Python's
// int() reads as the same number.
func arabicDigits(id string) string {
	var b strings.Builder
	for _, r := range id {
		b.WriteRune('٠' + (r - '0'))
	}
	return b.String()
}
