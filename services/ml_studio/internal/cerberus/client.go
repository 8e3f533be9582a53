// Package cerberus is ml_studio's client of cerberus, the authority on who
// may do what. Every failure to get an answer is an error the caller turns
// into a 503: authorization fails closed.
package cerberus

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/httpclient"
)

// Component is ml_studio's component in cerberus's catalogue.
const Component = "ml_studio"

// Client talks to one cerberus.
type Client struct {
	base      string
	http      *httpclient.Client
	registrar string // proves registrations come from ml_studio
	revisions *Revisions
}

// RegistrarHeader carries the registrar secret (cerberus's api package
// names the same header).
const RegistrarHeader = "X-ML-Studio-Registrar"

// New returns a client of the cerberus at base. registrar is the secret
// that lets ml_studio register the experiments and models it creates.
func New(base string, hc *httpclient.Client, registrar string) *Client {
	return &Client{base: base, http: hc, registrar: registrar, revisions: &Revisions{}}
}

// Ready reports whether cerberus and its database answer.
func (c *Client) Ready(ctx context.Context) error {
	return c.http.Probe(ctx, c.base+"/readyz")
}

// User is who a decision was about.
type User struct {
	ID       uint64 `json:"id"`
	Username string `json:"username"`
	IsAdmin  bool   `json:"is_admin"`
}

// Decision is cerberus's answer for one element.
type Decision struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
	User    *User  `json:"user"`
	// Revision is the access revision the answer reflects.
	Revision Revision `json:"-"`
}

// Readable is the set of elements of one kind the caller may access.
type Readable struct {
	All    bool     `json:"all"`
	Names  []string `json:"names"`
	Except []string `json:"except"`
	// Revision is the access revision the answer reflects.
	Revision Revision `json:"-"`
}

// clientIPKey is the context key of the caller's address.
type clientIPKey struct{}

// WithClientIP returns ctx carrying the address of the person whose
// request ml_studio is serving. Every call to cerberus made with it sends
// the address as X-Forwarded-For: cerberus throttles failed logins (basic
// credentials on /api/authorize too) and audits per address, and believes
// the header from ml_studio when CERBERUS_TRUSTED_PROXIES lists it.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIP is the address WithClientIP put in ctx, or "".
func ClientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}

// Credential is the caller's Authorization header, forwarded as is:
// cerberus resolves Bearer tokens and basic credentials alike.
type Credential string

type authzRequest struct {
	Component string   `json:"component"`
	Element   string   `json:"element,omitempty"`
	Elements  []string `json:"elements,omitempty"`
	Operation string   `json:"operation"`
	Kind      string   `json:"kind,omitempty"`
}

// Authorize asks whether the caller may do op on element.
func (c *Client) Authorize(ctx context.Context, cred Credential, element, op string) (Decision, error) {
	var d Decision
	rev, err := c.post(httpclient.MarkIdempotent(ctx), cred, "/api/authorize", authzRequest{Component: Component, Element: element, Operation: op}, &d)
	d.Revision = rev
	return d, err
}

// AuthorizeBatch asks about many elements in one call.
func (c *Client) AuthorizeBatch(ctx context.Context, cred Credential, elements []string, op string) (map[string]Decision, error) {
	var out struct {
		Decisions map[string]Decision `json:"decisions"`
	}
	rev, err := c.post(httpclient.MarkIdempotent(ctx), cred, "/api/authorize/batch", authzRequest{Component: Component, Elements: elements, Operation: op}, &out)
	for e, d := range out.Decisions {
		d.Revision = rev
		out.Decisions[e] = d
	}
	return out.Decisions, err
}

// Readable asks which elements of kind the caller may do op on.
func (c *Client) Readable(ctx context.Context, cred Credential, kind, op string) (Readable, error) {
	var r Readable
	rev, err := c.post(httpclient.MarkIdempotent(ctx), cred, "/api/authorize/readable", authzRequest{Component: Component, Kind: kind, Operation: op}, &r)
	r.Revision = rev
	return r, err
}

// Register records a new element under parent, the caller as its creator.
func (c *Client) Register(ctx context.Context, cred Credential, name, parent string) error {
	_, err := c.post(ctx, cred, "/api/elements", map[string]string{"name": name, "parent": parent}, nil, c.registrar)
	return err
}

// Rename renames an element, keeping its grants.
func (c *Client) Rename(ctx context.Context, cred Credential, from, to string) error {
	_, err := c.post(ctx, cred, "/api/elements/rename", map[string]string{"from": from, "to": to}, nil, c.registrar)
	return err
}

// Unregister deletes an element and its grants (a model MLflow deleted for good).
func (c *Client) Unregister(ctx context.Context, cred Credential, element string) error {
	_, err := c.send(ctx, http.MethodDelete, cred, "/api/elements?element="+url.QueryEscape(element), nil, nil, c.registrar)
	return err
}

// post sends a JSON request with the caller's credential and decodes the answer.
func (c *Client) post(ctx context.Context, cred Credential, path string, in, out any, registrar ...string) (Revision, error) {
	return c.send(ctx, http.MethodPost, cred, path, in, out, registrar...)
}

// send sends a request (a JSON body when in is not nil) with the caller's
// credential, decodes the answer into out, and says which access revision
// the answer reflects.
func (c *Client) send(ctx context.Context, method string, cred Credential, path string, in, out any, registrar ...string) (Revision, error) {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return Revision{}, fmt.Errorf("encode %s: %w", path, err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return Revision{}, fmt.Errorf("build %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if cred != "" {
		req.Header.Set("Authorization", string(cred))
	}
	if ip := ClientIP(ctx); ip != "" {
		// One address, the one ml_studio settled on: cerberus need not
		// know ml_studio's own proxies.
		req.Header.Set("X-Forwarded-For", ip)
	}
	if len(registrar) > 0 && registrar[0] != "" {
		req.Header.Set(RegistrarHeader, registrar[0])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Revision{}, apierror.Unavailable(err, "the authorization service is unavailable")
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return Revision{}, apierror.Unavailable(err, "the authorization service is unavailable")
	}
	rev := c.revisions.Observe(resp.Header, time.Now())
	switch {
	case resp.StatusCode >= 500:
		return rev, apierror.Unavailable(fmt.Errorf("cerberus %s: status %d", path, resp.StatusCode), "the authorization service is unavailable")
	case resp.StatusCode >= 400:
		// cerberus's own answer (401 bad credentials, 409 duplicate, …) reaches the caller.
		var e apierror.Body
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = http.StatusText(resp.StatusCode)
		}
		return rev, apierror.New(resp.StatusCode, "%s", e.Error)
	}
	if out == nil {
		return rev, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return rev, apierror.Unavailable(err, "the authorization service gave an unreadable answer")
	}
	return rev, nil
}
