package api

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/bind"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/service"
)

// ssoCookie holds, in the browser that began a sign-in, the secret that
// ends it (the PKCE verifier): only that browser can complete it.
const (
	ssoCookie     = "cerberus_sso"
	ssoCookiePath = "/api/auth/oidc"
)

// ssoLanding is the web app's page that redeems a ticket for a session.
const ssoLanding = "/signin"

// RegisterSSO adds the sign-in methods, and single sign-on's routes when
// svc has it. The routes sit under /api/auth, which ml_studio and the web
// app's server relay, so the browser sees one origin.
func RegisterSSO(r gin.IRouter, svc *service.Service) {
	r.GET("/api/auth/providers", func(c *gin.Context) { c.JSON(http.StatusOK, svc.Providers()) })
	sso := svc.SSO()
	if sso == nil {
		return
	}
	s := ssoHandlers{sso: sso}
	r.GET(service.SignInPath, apierror.Handler(s.begin))
	r.GET("/api/auth/oidc/callback", apierror.Handler(s.callback))
	r.POST("/api/auth/oidc/session", apierror.Handler(s.redeem))
}

type ssoHandlers struct {
	sso *service.SSO
}

func (s ssoHandlers) setCookie(c *gin.Context, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: ssoCookie, Value: value, Path: ssoCookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: s.sso.Secure(), SameSite: http.SameSiteLaxMode})
}

func (s ssoHandlers) browserSecret(c *gin.Context) string {
	v, err := c.Cookie(ssoCookie)
	if err != nil {
		return ""
	}
	return v
}

// begin sends the browser to the provider.
func (s ssoHandlers) begin(c *gin.Context) error {
	redirect, secret, err := s.sso.Begin(c.Request.Context(), c.Query("next"))
	if err != nil {
		return err
	}
	s.setCookie(c, secret, 600)
	c.Header("Cache-Control", "no-store")
	c.Redirect(http.StatusFound, redirect)
	return nil
}

// callback is where the provider sends the browser back. An error the
// provider reports (the person cancelled) goes back to the sign-in page;
// anything wrong with the request itself is a 4xx.
func (s ssoHandlers) callback(c *gin.Context) error {
	c.Header("Cache-Control", "no-store")
	if e := c.Query("error"); e != "" {
		msg := c.Query("error_description")
		if msg == "" {
			msg = e
		}
		if len(msg) > 200 {
			msg = msg[:200]
		}
		c.Redirect(http.StatusFound, ssoLanding+"?sso_error="+url.QueryEscape(msg))
		return nil
	}
	ticket, next, err := s.sso.Callback(c.Request.Context(), meta(c), c.Query("state"), c.Query("code"), s.browserSecret(c))
	if err != nil {
		return err
	}
	c.Redirect(http.StatusFound, ssoLanding+"?"+url.Values{"sso_ticket": {ticket}, "next": {next}}.Encode())
	return nil
}

// redeem gives the web app its session for a ticket, in the browser that
// began the sign-in; the cookie is spent.
func (s ssoHandlers) redeem(c *gin.Context) error {
	var in struct {
		Ticket string `json:"ticket"`
	}
	if err := bind.JSON(c, &in); err != nil {
		return err
	}
	session, err := s.sso.Redeem(c.Request.Context(), meta(c), in.Ticket, s.browserSecret(c))
	if err != nil {
		return err
	}
	s.setCookie(c, "", -1)
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, session)
	return nil
}
