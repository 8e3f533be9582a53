package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/testenv"
)

// User is a cerberus account and the Bearer token it calls with. A nil
// *User is the anonymous caller: no Authorization header.
type User struct {
	Name  string
	Token string
	// Renew, when set, gives the token to send instead of Token: an
	// identity provider's access token, renewed before it expires.
	Renew func() string
}

// Authorization is the header value the user sends.
func (u *User) Authorization() string {
	switch {
	case u == nil:
		return ""
	case u.Renew != nil:
		return "Bearer " + u.Renew()
	}
	return "Bearer " + u.Token
}

func (u *User) String() string {
	if u == nil {
		return "anonymous"
	}
	return u.Name
}

// Response is an answer read whole.
type Response struct {
	Method, URL string
	Status      int
	Header      http.Header
	Body        []byte
}

func (r *Response) String() string {
	body := string(r.Body)
	if len(body) > 600 {
		body = body[:600] + fmt.Sprintf("… (%d bytes)", len(r.Body))
	}
	return fmt.Sprintf("%s %s = %d %s", r.Method, r.URL, r.Status, body)
}

// Decode unmarshals the body into v, failing the test when it is not JSON.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%s: body is not the JSON expected: %v", r, err)
	}
}

// Object is the body as a JSON object.
func (r *Response) Object(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.Decode(t, &m)
	return m
}

// Send sends one request. body may be nil, []byte, an io.Reader, or
// anything else, which is sent as JSON. It never fails the test, so
// goroutines may call it.
func Send(hc *http.Client, u *User, method, rawURL string, body any, header http.Header) (*Response, error) {
	var reader io.Reader
	isJSON := false
	switch b := body.(type) {
	case nil:
	case []byte:
		reader = bytes.NewReader(b)
	case io.Reader:
		reader = b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		reader, isJSON = bytes.NewReader(data), true
	}
	req, err := http.NewRequest(method, rawURL, reader)
	if err != nil {
		return nil, err
	}
	if isJSON {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if a := u.Authorization(); a != "" {
		req.Header.Set("Authorization", a)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, rawURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read the answer: %w", method, rawURL, err)
	}
	return &Response{Method: method, URL: rawURL, Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// Query turns parameters into a query string: lists become repeated values.
func Query(params map[string]any) url.Values {
	q := url.Values{}
	for k, v := range params {
		switch v := v.(type) {
		case []string:
			q[k] = v
		case []any:
			for _, item := range v {
				q.Add(k, fmt.Sprint(item))
			}
		default:
			q.Set(k, fmt.Sprint(v))
		}
	}
	return q
}

// SendAPI sends params to ml_studio's /api<path> as the seed's clients do:
// in the query for GET, as a JSON body otherwise.
func (st *Studio) SendAPI(u *User, method, path string, params map[string]any) (*Response, error) {
	target := st.URL + "/api" + path
	if method == http.MethodGet {
		if len(params) > 0 {
			target += "?" + Query(params).Encode()
		}
		return Send(st.Stack.http, u, method, target, nil, nil)
	}
	if params == nil {
		params = map[string]any{}
	}
	return Send(st.Stack.http, u, method, target, params, nil)
}

// Call is SendAPI failing the test on a transport error.
func (st *Studio) Call(t testing.TB, u *User, method, path string, params map[string]any) *Response {
	t.Helper()
	r, err := st.SendAPI(u, method, path, params)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Do sends a request to any path of the instance (query included).
func (st *Studio) Do(t testing.TB, u *User, method, pathAndQuery string, body any, header http.Header) *Response {
	t.Helper()
	r, err := Send(st.Stack.http, u, method, st.URL+pathAndQuery, body, header)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// MustCall is Call requiring a 200.
func (st *Studio) MustCall(t testing.TB, u *User, method, path string, params map[string]any) *Response {
	t.Helper()
	r := st.Call(t, u, method, path, params)
	if r.Status != http.StatusOK {
		t.Fatalf("as %s: %s, want 200", u, r)
	}
	return r
}

// MLflow calls the MLflow server directly (not through ml_studio):
// path is under /api/2.0/mlflow; GET takes params as a query.
func (s *Stack) MLflow(t testing.TB, method, path string, params map[string]any) *Response {
	t.Helper()
	r, err := s.SendMLflow(method, path, params)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// SendMLflow is MLflow without a test.
func (s *Stack) SendMLflow(method, path string, params map[string]any) (*Response, error) {
	target := s.MLflowURL + "/api/2.0/mlflow" + path
	if method == http.MethodGet {
		if len(params) > 0 {
			target += "?" + Query(params).Encode()
		}
		return Send(s.mlflowHTTP, nil, method, target, nil, nil)
	}
	return Send(s.mlflowHTTP, nil, method, target, params, nil)
}

// MustMLflow is MLflow requiring a 200.
func (s *Stack) MustMLflow(t testing.TB, method, path string, params map[string]any) *Response {
	t.Helper()
	r := s.MLflow(t, method, path, params)
	if r.Status != http.StatusOK {
		t.Fatalf("MLflow: %s, want 200", r)
	}
	return r
}

// Cerberus calls cerberus's API directly as u.
func (s *Stack) Cerberus(u *User, method, path string, body any) (*Response, error) {
	return Send(s.http, u, method, s.CerberusURL+path, body, nil)
}

func (s *Stack) mustCerberus(t testing.TB, u *User, method, path string, body any, want int) *Response {
	t.Helper()
	r, err := s.Cerberus(u, method, path, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != want {
		t.Fatalf("cerberus: %s, want %d", r, want)
	}
	return r
}

func (s *Stack) login(t testing.TB, name, password string) string {
	t.Helper()
	var session struct {
		Token string `json:"token"`
	}
	s.mustCerberus(t, nil, http.MethodPost, "/api/auth/login", map[string]string{"username": name, "password": password}, http.StatusOK).Decode(t, &session)
	if session.Token == "" {
		t.Fatalf("cerberus login of %s gave no token", name)
	}
	return session.Token
}

// NewUser creates a user named prefix-<random> and returns it with an API
// token of its own, created with its own session as a script would.
func (s *Stack) NewUser(t testing.TB, prefix string) *User {
	t.Helper()
	name := strings.ToLower(prefix) + "-" + testenv.RandomSuffix()
	password := "pw-" + testenv.RandomSuffix()
	s.mustCerberus(t, s.Admin, http.MethodPost, "/api/users", map[string]any{"username": name, "password": password}, http.StatusCreated)
	session := &User{Name: name, Token: s.login(t, name, password)}
	var tok struct {
		Token string `json:"token"`
	}
	s.mustCerberus(t, session, http.MethodPost, "/api/tokens", map[string]string{"name": "apitest"}, http.StatusCreated).Decode(t, &tok)
	if tok.Token == "" {
		t.Fatalf("cerberus gave %s no API token", name)
	}
	return &User{Name: name, Token: tok.Token}
}

// Grant gives user op (read, edit, manage or create) on element, as admin.
func (s *Stack) Grant(t testing.TB, element, op string, user *User) {
	t.Helper()
	s.settle(t, s.mustCerberus(t, s.Admin, http.MethodPost, "/api/grants", map[string]string{"element": element, "operation": op, "effect": "allow", "user": user.Name}, http.StatusCreated))
}

// Revoke takes back a grant made by Grant.
func (s *Stack) Revoke(t testing.TB, element, op string, user *User) {
	t.Helper()
	s.settle(t, s.mustCerberus(t, s.Admin, http.MethodPost, "/api/grants/revoke", map[string]string{"element": element, "operation": op, "effect": "allow", "user": user.Name}, http.StatusNoContent))
}
