// Package api is ml_studio's HTTP surface: the seed's /api routes. Each call
// names what it touches (access), asks cerberus, then does the work on
// MLflow, whose answers pass through unchanged.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/httpclient"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/cerberus"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflowapi"
)

// Welcome is the seed's answer on GET /, field order as the seed prints it.
type Welcome struct {
	Message string `json:"message"`
	Service string `json:"service"`
	Status  string `json:"status"`
}

// Registry is what the API needs from cerberus besides decisions.
type Registry interface {
	Register(ctx context.Context, cred cerberus.Credential, name, parent string) error
	Rename(ctx context.Context, cred cerberus.Credential, from, to string) error
	Unregister(ctx context.Context, cred cerberus.Credential, element string) error
}

// Deps are the API's collaborators.
type Deps struct {
	MLflow         *mlflow.Client
	Registry       Registry
	Access         *access.Authorizer
	DefaultProject string // project of experiments and models created without one
	// CerberusURL and CerberusTransport relay the account routes; empty
	// leaves them out.
	CerberusURL       string
	CerberusTransport http.RoundTripper
}

type handlers struct {
	Deps
	// special is specials(), built once at Register rather than per call.
	special map[string]func(*gin.Context) error
}

// Register adds ml_studio's routes. With nil deps only / and the OpenAPI
// document are served.
func Register(r gin.IRouter, d *Deps) {
	r.Use(clientAddress)
	r.GET("/", func(c *gin.Context) {
		c.JSON(http.StatusOK, Welcome{Message: "Welcome to ML Studio", Service: "ml_studio", Status: "Online"})
	})
	r.GET(OpenAPIPath, openapiYAML)
	if d == nil {
		return
	}
	h := handlers{Deps: *d}
	h.special = h.allSpecials()
	if d.CerberusURL != "" {
		if err := registerAccount(r, d.CerberusURL, d.CerberusTransport); err != nil {
			panic("api: cerberus URL: " + err.Error()) // validated by config before
		}
	}
	api := r.Group("/api", credentialRequired(apierror.DefaultShape))
	for _, rt := range h.routes() {
		api.Handle(rt.method, rt.path, apierror.Handler(rt.handle))
	}
	h.registerGateway(r)
	h.registerAIGateway(r)
}

// credentialRequired refuses calls without credentials before any work.
func credentialRequired(shape apierror.Shape) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.GetHeader("Authorization") == "" {
			c.Header("WWW-Authenticate", `Bearer realm="ml_studio", Basic realm="ml_studio"`)
			apierror.RespondAs(c, apierror.Unauthorized("sign in first: send Authorization: Bearer <token> or basic credentials"), shape)
			return
		}
		c.Next()
	}
}

func credential(c *gin.Context) cerberus.Credential {
	return cerberus.Credential(c.GetHeader("Authorization"))
}

// route is one seed endpoint. A simple one also names its parameters
// (the required first), which the OpenAPI document is checked against.
type route struct {
	method, path string
	handle       func(c *gin.Context) error
	required     []string
	fields       []string
}

// pass writes MLflow's answer as it came.
func pass(c *gin.Context, resp *mlflow.Response) error {
	if resp.Status >= 500 && !json.Valid(resp.Body) {
		return errMLflowCrashed
	}
	c.Data(statusOf(resp.Status, resp.Body), "application/json", resp.Body)
	return nil
}

// statusOf is the status to answer for an MLflow answer. MLflow gives its
// INVALID_STATE (the call conflicts with the object's state, e.g. deleting
// a model definition endpoints still use) a 500, which reads as a server
// fault; it is the caller's conflict: 409, with MLflow's body (and its
// error_code, which is what MLflow's client reads) unchanged.
func statusOf(status int, body []byte) int {
	if status != http.StatusInternalServerError {
		return status
	}
	var e struct {
		ErrorCode string `json:"error_code"`
	}
	if json.Unmarshal(body, &e) == nil && e.ErrorCode == "INVALID_STATE" {
		return http.StatusConflict
	}
	return status
}

// forward sends p to MLflow (as a query for GET, as a JSON body otherwise)
// and streams the answer through: nothing in it needs looking at, so it is
// never held whole (a 100-run search is ~200 KB).
func (h handlers) forward(c *gin.Context, method, path string, p params) error {
	if err := checkSeed(method, mlflow.API+path, p); err != nil {
		return err
	}
	return h.forwardTo(c, method, mlflow.API+path, p)
}

// forwardTo is forward to any path of MLflow's.
func (h handlers) forwardTo(c *gin.Context, method, path string, p params) error {
	ctx, query, body, err := h.request(c.Request.Context(), method, path, p)
	if err != nil {
		return err
	}
	resp, err := h.MLflow.Forward(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	return h.relay(c, resp)
}

// readOnlyPosts are MLflow POST endpoints that only read: safe to retry.
var readOnlyPosts = map[string]bool{
	mlflow.API + "/experiments/search":                    true,
	mlflow.API + "/runs/search":                           true,
	mlflow.API + "/logged-models/search":                  true,
	mlflow.API + "/registered-models/get-latest-versions": true,
}

// call sends p as forward does and reads the answer whole, for handlers
// that look into it.
func (h handlers) call(ctx context.Context, method, path string, p params) (*mlflow.Response, error) {
	if err := checkSeed(method, mlflow.API+path, p); err != nil {
		return nil, err
	}
	ctx, query, body, err := h.request(ctx, method, mlflow.API+path, p)
	if err != nil {
		return nil, err
	}
	return h.MLflow.Call(ctx, method, mlflow.API+path, query, body)
}

// request is how p travels to MLflow: a query for GET, a JSON body
// otherwise; read-only POSTs are marked safe to retry.
func (h handlers) request(ctx context.Context, method, path string, p params) (context.Context, url.Values, any, error) {
	if readOnlyPosts[path] {
		ctx = httpclient.MarkIdempotent(ctx)
	}
	if method == http.MethodGet {
		q, err := p.query()
		if err != nil {
			return ctx, nil, nil, err
		}
		return ctx, url.Values(q), nil, nil
	}
	body, err := p.jsonBody()
	return ctx, nil, body, err
}

// checkSeed reads the body a seed route sends MLflow as MLflow will read
// it, with the parser of MLflow's own surface (which has read its calls
// already): a value MLflow cannot take (an object for an enum made it
// answer a bare 500) is the caller's 400.
func checkSeed(method, path string, p params) error {
	if method == http.MethodGet {
		return nil // a query's values are text, which MLflow reads itself
	}
	body, err := p.jsonBody()
	if err != nil {
		return err
	}
	if _, err := mlflowapi.Pinned().Parse(method, path, "", body); err != nil && !errors.Is(err, mlflowapi.ErrNoEndpoint) {
		return err
	}
	return nil
}
