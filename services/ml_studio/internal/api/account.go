package api

import (
	"net/http"
	"net/http/httputil"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/services/ml_studio/internal/cerberus"
)

// accountRoutes are cerberus's own endpoints the UI needs — sign-in, the
// caller's account and tokens, and access management — served on ml_studio
// so the browser talks to one origin. Cerberus authorizes each of them
// itself; ml_studio only relays. Registering elements is not among them:
// only ml_studio registers what it creates.
var accountRoutes = []struct{ method, path string }{
	{http.MethodPost, "/api/auth/login"},
	{http.MethodPost, "/api/auth/logout"},
	{http.MethodGet, "/api/auth/me"},
	// How to sign in, and single sign-on: the provider's redirects and the
	// sign-in cookie pass through as cerberus sets them.
	{http.MethodGet, "/api/auth/providers"},
	{http.MethodGet, "/api/auth/oidc/login"},
	{http.MethodGet, "/api/auth/oidc/callback"},
	{http.MethodPost, "/api/auth/oidc/session"},
	{http.MethodGet, "/api/tokens"},
	{http.MethodPost, "/api/tokens"},
	{http.MethodDelete, "/api/tokens/:id"},
	{http.MethodGet, "/api/directory/users"},
	{http.MethodGet, "/api/users"},
	{http.MethodPost, "/api/users"},
	{http.MethodGet, "/api/users/:username"},
	{http.MethodPatch, "/api/users/:username"},
	{http.MethodGet, "/api/users/:username/grants"},
	{http.MethodGet, "/api/groups"},
	{http.MethodPost, "/api/groups"},
	{http.MethodGet, "/api/groups/:group/members"},
	{http.MethodPut, "/api/groups/:group/members/:username"},
	{http.MethodDelete, "/api/groups/:group/members/:username"},
	{http.MethodPost, "/api/grants"},
	{http.MethodPost, "/api/grants/revoke"},
	{http.MethodGet, "/api/elements"}, // admins' list of projects
	{http.MethodGet, "/api/elements/access"},
	// "What may I do here?", for showing only the controls a person may use.
	// Cerberus decides about the caller unless the body names another
	// subject, which needs that subject's token or an admin.
	{http.MethodPost, "/api/authorize"},
	{http.MethodPost, "/api/authorize/batch"},
	{http.MethodGet, "/api/audit"},
}

// registerAccount relays the account routes to cerberus at base.
func registerAccount(r gin.IRouter, base string, transport http.RoundTripper) error {
	target, err := url.Parse(base)
	if err != nil {
		return err
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
			// SetXForwarded names the TCP peer, the ui or a proxy when there
			// is one: cerberus throttles logins per client, so it gets the
			// address clientAddress settled on instead.
			if ip := cerberus.ClientIP(pr.In.Context()); ip != "" {
				pr.Out.Header.Set("X-Forwarded-For", ip)
			}
			pr.Out.Header.Del("X-Real-Ip") // a client's own must not reach cerberus
		},
		Transport: transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":"the authorization service is unavailable"}`))
		},
	}
	relay := func(c *gin.Context) { proxy.ServeHTTP(c.Writer, c.Request) }
	for _, rt := range accountRoutes {
		r.Handle(rt.method, rt.path, relay)
	}
	return nil
}
