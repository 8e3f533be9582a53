package bind_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/bind"
)

type input struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
	On    bool   `json:"on"`
}

func ctxWith(body, query string) *gin.Context {
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodPost, "/?"+query, strings.NewReader(body))
	return c
}

func TestJSON(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		strict     bool
		wantStatus int    // 0: no error
		wantMsg    string // substring of the message; for a valid body, the name decoded
	}{
		{"valid", `{"name":"a","count":2,"on":true}`, true, 0, "a"},
		{"white space first", " \r\n\t{\"name\":\"b\"}\n", true, 0, "b"},
		{"white space only", " \n\t", true, 400, "empty"},
		{"white space past the limit", strings.Repeat(" ", bind.MaxBody+1) + `{}`, true, 413, "larger than"},
		{"syntax after white space", `  {"name":"a",}`, true, 400, "not valid JSON (at byte 13)"}, // counted from the object, as before
		{"empty", ``, true, 400, "empty"},
		{"malformed", `{"name":`, true, 400, "ends too early"},
		{"syntax", `{"name" "a"}`, true, 400, "not valid JSON"},
		{"trailing data", `{"name":"a"} {}`, true, 400, "single JSON object"},
		{"null body", ` null`, true, 400, "must be a JSON object"}, // found by schemathesis: it bound as an empty body
		{"null body loose", `null`, false, 400, "must be a JSON object"},
		{"list body", "\n[]", true, 400, "must be a JSON object"},
		{"unknown field strict", `{"nme":"a"}`, true, 400, `unknown field "nme"`},
		{"unknown field loose", `{"nme":"a"}`, false, 0, ""},
		{"a body larger than a read", `{"name":"` + strings.Repeat("y", 9000) + `"}`, true, 0, strings.Repeat("y", 9000)},
		{"wrong type string", `{"name":5}`, true, 400, "'name' must be a string"},
		{"wrong type number", `{"count":"5"}`, true, 400, "'count' must be a number"},
		{"wrong type bool", `{"on":"yes"}`, true, 400, "'on' must be true or false"},
		{"not an object", `[1,2]`, true, 400, "must be a JSON object"},
		{"too large", `{"name":"` + strings.Repeat("x", bind.MaxBody) + `"}`, true, 413, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v input
			decode := bind.JSON
			if !tt.strict {
				decode = bind.JSONLoose
			}
			err := decode(ctxWith(tt.body, ""), &v)
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if v.Name != tt.wantMsg {
					t.Fatalf("name %q, want %q", v.Name, tt.wantMsg)
				}
				return
			}
			e := apierror.Resolve(err)
			if e.Status != tt.wantStatus || !strings.Contains(e.Message, tt.wantMsg) {
				t.Fatalf("got %d %q, want %d containing %q", e.Status, e.Message, tt.wantStatus, tt.wantMsg)
			}
		})
	}
}

func TestPaging(t *testing.T) {
	tests := []struct {
		query      string
		wantLimit  int
		wantOffset int
		wantErr    bool
	}{
		{"", 50, 0, false},
		{"limit=10&offset=20", 10, 20, false},
		{"limit=500", 500, 0, false},
		{"limit=0", 0, 0, true},
		{"limit=501", 0, 0, true},
		{"limit=abc", 0, 0, true},
		{"offset=-1", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			p, err := bind.Paging(ctxWith("", tt.query))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if apierror.Resolve(err).Status != 400 {
					t.Fatalf("status %d, want 400", apierror.Resolve(err).Status)
				}
				return
			}
			if p.Limit != tt.wantLimit || p.Offset != tt.wantOffset {
				t.Fatalf("got %+v", p)
			}
		})
	}
}
