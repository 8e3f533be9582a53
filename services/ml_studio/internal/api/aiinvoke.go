package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
)

// registerAIGateway adds the AI gateway's invocations (MLflow's
// /gateway/... routes), with MLflow's error shape.
func (h handlers) registerAIGateway(r gin.IRouter) {
	auth := credentialRequired(mlflowShape)
	r.Any(access.InvocationPrefix+"*endpoint", auth, apierror.HandlerAs(h.invokeGateway, mlflowShape))
}

// invokeGateway passes an invocation on when the caller may use the
// endpoint it names: the path's, or the body's model. The name is looked up
// in MLflow as its router will look it up, and its id (the element) is
// checked. The body goes on byte for byte, read as MLflow reads it (one
// JSON object, each key once), without the caller's headers: MLflow would
// skip an endpoint's guardrails on X-MLflow-Guardrail-Bypass and pass
// Authorization on to the provider.
func (h handlers) invokeGateway(c *gin.Context) error {
	method, path := c.Request.Method, access.InvocationPrefix+strings.TrimPrefix(c.Param("endpoint"), "/")
	m := access.LookupInvocation(method, path)
	if m.Rule.Target == access.Special {
		if f, ok := h.special[m.Key]; ok {
			return f(c)
		}
	}
	if m.Rule.Target != access.ByEndpointName {
		return refusal(m)
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxGatewayBody))
	if err != nil {
		return apierror.New(http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", maxGatewayBody)
	}
	for _, enc := range c.Request.Header.Values("Content-Encoding") {
		if e := strings.ToLower(strings.TrimSpace(enc)); e != "" && e != "identity" {
			return apierror.New(http.StatusUnsupportedMediaType, "send the body uncompressed (no Content-Encoding)")
		}
	}
	model, err := bodyModel(body)
	if err != nil {
		return err
	}
	name := model
	if len(m.IDs) > 0 {
		name = m.IDs[0]
	}
	if name == "" {
		return apierror.Required("model")
	}
	if !access.ValidEndpointName(name) {
		return badParam("model", "an endpoint's name (letters, digits, '_', '-' and '.')")
	}
	ctx, cred := c.Request.Context(), credential(c)
	if err := h.Access.Authenticate(ctx, cred); err != nil {
		return err
	}
	id, err := h.endpointID(ctx, name)
	if err != nil {
		return respondErr(c, err)
	}
	if err := h.Access.Require(ctx, cred, access.GatewayEndpoint(id), m.Rule.Op); err != nil {
		return err
	}
	// The path forwarded is the one matched: a name checked above, and the
	// raw proxy's provider path segment by segment.
	forward := strings.Replace(strings.Split(m.Key, " ")[1], "{id}", name, 1)
	var query url.Values
	if len(m.IDs) > 1 { // the raw proxy: /gateway/proxy/{id}/{path}
		parts := strings.Split(m.IDs[1], "/")
		for i, p := range parts {
			parts[i] = url.PathEscape(p)
		}
		forward = strings.Replace(forward, "{path}", strings.Join(parts, "/"), 1)
		if query, err = url.ParseQuery(c.Request.URL.RawQuery); err != nil {
			return apierror.BadRequest("the query string is malformed: %v", err)
		}
	}
	header := http.Header{"Content-Type": {"application/json"}}
	resp, err := h.MLflow.Stream(ctx, method, forward, query, bytes.NewReader(body), header)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	for _, k := range []string{"Content-Type", "Content-Length"} {
		if v := resp.Header.Get(k); v != "" {
			c.Header(k, v)
		}
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Status(resp.StatusCode)
	if _, err := io.Copy(flushWriter{c.Writer}, resp.Body); err != nil {
		_ = c.Error(err) // the status is sent: the stream can only stop short
	}
	return nil
}

// flushWriter sends each piece of a streamed answer (server-sent events)
// as it comes.
type flushWriter struct{ w gin.ResponseWriter }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	f.w.Flush()
	return n, err
}

// bodyModel reads an invocation's body as MLflow does (one JSON object)
// and returns its top-level "model" when it is a string. A key given twice
// is refused: Python keeps the last, a reader here could take the first.
func bodyModel(body []byte) (string, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return "", apierror.BadRequest("the body must be one JSON object")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	bad := apierror.BadRequest("the body must be one JSON object, each key once")
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return "", bad
	}
	seen := map[string]bool{}
	var model string
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return "", bad
		}
		key, _ := t.(string)
		if seen[key] {
			return "", bad
		}
		seen[key] = true
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return "", bad
		}
		if key == "model" {
			if err := json.Unmarshal(v, &model); err != nil {
				return "", badParam("model", "an endpoint's name, a string")
			}
		}
	}
	if t, err := d.Token(); err != nil || t != json.Delim('}') {
		return "", bad
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return "", bad
	}
	return model, nil
}
