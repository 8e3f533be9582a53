package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/httpclient"
	"github.com/ml-studio/ml-studio/pkg/server"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/api"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/cerberus"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
)

// fakeAuthority answers from a fixed readable set.
type fakeAuthority struct {
	readable cerberus.Readable
	calls    int
}

func (f *fakeAuthority) Authorize(context.Context, cerberus.Credential, string, string) (cerberus.Decision, error) {
	return cerberus.Decision{}, nil
}

func (f *fakeAuthority) AuthorizeBatch(context.Context, cerberus.Credential, []string, string) (map[string]cerberus.Decision, error) {
	return nil, nil
}

func (f *fakeAuthority) Readable(context.Context, cerberus.Credential, string, string) (cerberus.Readable, error) {
	f.calls++
	return f.readable, nil
}

// inClause is the experiment_id IN (...) clause of a search filter.
var inClause = regexp.MustCompile(`attribute\.experiment_id IN \(([^)]*)\)`)

// fakeMLflow pages through experiments 1..n by offset tokens, as MLflow
// does, keeping those an experiment_id IN (...) filter names; it counts the
// searches it answers.
func fakeMLflow(t *testing.T, n int) *httptest.Server {
	srv, _ := countingMLflow(t, n)
	return srv
}

func countingMLflow(t *testing.T, n int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/2.0/mlflow/experiments/search" {
			http.NotFound(w, r)
			return
		}
		calls.Add(1)
		var in struct {
			MaxResults int    `json:"max_results"`
			PageToken  string `json:"page_token"`
			Filter     string `json:"filter"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		var all []int
		if m := inClause.FindStringSubmatch(in.Filter); m != nil {
			for _, id := range strings.Split(m[1], ",") {
				if i, err := strconv.Atoi(strings.Trim(id, "'")); err == nil && i >= 1 && i <= n {
					all = append(all, i)
				}
			}
			slices.Sort(all)
		} else {
			for i := 1; i <= n; i++ {
				all = append(all, i)
			}
		}
		start, _ := strconv.Atoi(in.PageToken)
		end := min(start+in.MaxResults, len(all))
		items := []map[string]string{}
		for _, id := range all[min(start, end):end] {
			items = append(items, map[string]string{"experiment_id": strconv.Itoa(id), "name": fmt.Sprintf("e%d", id)})
		}
		out := map[string]any{"experiments": items}
		if end < len(all) {
			out["next_page_token"] = strconv.Itoa(end)
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestSearchPagesStayFull(t *testing.T) {
	const total = 250
	every := func(k int) []string { // experiments whose id is a multiple of k
		var names []string
		for i := k; i <= total; i += k {
			names = append(names, access.Experiment(strconv.Itoa(i)))
		}
		return names
	}
	tests := []struct {
		name     string
		readable cerberus.Readable
		want     int
	}{
		{"a third visible", cerberus.Readable{Names: every(3)}, total / 3},
		{"sparse", cerberus.Readable{Names: every(97)}, 2},
		{"nothing", cerberus.Readable{Names: []string{}}, 0},
		{"all", cerberus.Readable{All: true}, total},
		{"all but every 5th", cerberus.Readable{All: true, Except: every(5)}, total - total/5},
	}
	fake := fakeMLflow(t, total)
	hc := httpclient.New(httpclient.Defaults(), zap.NewNop())
	for _, tt := range tests {
		for _, pageSize := range []int{7, 100} {
			t.Run(fmt.Sprintf("%s/pages of %d", tt.name, pageSize), func(t *testing.T) {
				srv := server.New(server.Config{}, zap.NewNop(), "ml_studio")
				api.Register(srv.Engine(), &api.Deps{
					MLflow: mlflow.New(fake.URL, hc, hc),
					Access: access.NewAuthorizer(&fakeAuthority{readable: tt.readable}, 0),
				})
				visible := map[string]bool{}
				for _, n := range every(1) {
					if (tt.readable.All && !slices.Contains(tt.readable.Except, n)) || slices.Contains(tt.readable.Names, n) {
						visible[n] = true
					}
				}
				seen := map[string]bool{}
				token := ""
				for pages := 0; ; pages++ {
					if pages > total {
						t.Fatal("page tokens never end")
					}
					body := fmt.Sprintf(`{"max_results": %d, "page_token": %q}`, pageSize, token)
					req := httptest.NewRequest(http.MethodPost, "/api/experiments/search", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer x")
					rec := httptest.NewRecorder()
					srv.Engine().ServeHTTP(rec, req)
					if rec.Code != 200 {
						t.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
					var out struct {
						Experiments []struct {
							ID string `json:"experiment_id"`
						} `json:"experiments"`
						Next string `json:"next_page_token"`
					}
					if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
						t.Fatal(err)
					}
					for _, e := range out.Experiments {
						name := access.Experiment(e.ID)
						if !visible[name] {
							t.Fatalf("page holds %s, which is not readable", name)
						}
						if seen[name] {
							t.Fatalf("%s returned twice", name)
						}
						seen[name] = true
					}
					if out.Next == "" {
						break
					}
					if len(out.Experiments) != pageSize {
						t.Fatalf("a page with a next token holds %d items, want %d", len(out.Experiments), pageSize)
					}
					token = out.Next
				}
				if len(seen) != tt.want || len(seen) != len(visible) {
					t.Fatalf("pages returned %d experiments, want %d", len(seen), tt.want)
				}
			})
		}
	}
}

// TestSearchNamesFewReadableToMLflow: a caller who may read a few of
// many experiments gets each page from one MLflow search that names them
// (beside the caller's own filter), not from a scan of the whole list;
// one who may read more than maxNarrow, or everything, is filtered as
// before.
func TestSearchNamesFewReadableToMLflow(t *testing.T) {
	const total = 5000
	fake, calls := countingMLflow(t, total)
	hc := httpclient.New(httpclient.Defaults(), zap.NewNop())
	var few []string
	for i := 50; i <= total; i += 50 { // 100 of 5,000
		few = append(few, access.Experiment(strconv.Itoa(i)))
	}
	srv := server.New(server.Config{}, zap.NewNop(), "ml_studio")
	api.Register(srv.Engine(), &api.Deps{MLflow: mlflow.New(fake.URL, hc, hc),
		Access: access.NewAuthorizer(&fakeAuthority{readable: cerberus.Readable{Names: few}}, 0)})
	req := httptest.NewRequest(http.MethodPost, "/api/2.0/mlflow/experiments/search", strings.NewReader(`{"max_results": 100, "filter": "name LIKE 'e%'"}`))
	req.Header.Set("Authorization", "Bearer x")
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.Engine().ServeHTTP(rec, req)
	var out struct {
		Experiments []json.RawMessage `json:"experiments"`
		Next        string            `json:"next_page_token"`
	}
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &out) != nil || len(out.Experiments) != 100 || out.Next != "" {
		t.Fatalf("%d %.300s: want the 100 readable experiments on one page", rec.Code, rec.Body)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d MLflow searches for one page, want 1", n)
	}
}

func TestSearchRejectsABadPageToken(t *testing.T) {
	fake := fakeMLflow(t, 10)
	hc := httpclient.New(httpclient.Defaults(), zap.NewNop())
	srv := server.New(server.Config{}, zap.NewNop(), "ml_studio")
	api.Register(srv.Engine(), &api.Deps{MLflow: mlflow.New(fake.URL, hc, hc), Access: access.NewAuthorizer(&fakeAuthority{readable: cerberus.Readable{All: true}}, 0)})
	for _, body := range []string{`{"page_token": "%%%"}`, `{"page_token": "eyJzIjotMX0"}`, `{"max_results": 0}`, `{"max_results": "many"}`} {
		req := httptest.NewRequest(http.MethodPost, "/api/experiments/search", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer x")
		rec := httptest.NewRecorder()
		srv.Engine().ServeHTTP(rec, req)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"error"`) {
			t.Errorf("%s: %d %s, want a 400 JSON error", body, rec.Code, rec.Body)
		}
	}
}
