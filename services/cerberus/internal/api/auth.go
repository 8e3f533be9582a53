package api

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/requestid"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/service"
)

type handlers struct {
	svc *service.Service
}

const principalKey = "cerberus.principal"

func meta(c *gin.Context) service.Meta {
	return service.Meta{RequestID: requestid.FromContext(c.Request.Context()), ClientIP: c.ClientIP()}
}

// credentials authenticates the request's Authorization header, if any:
// Bearer <session or API token>, or Basic with a password or an API token.
func (h handlers) credentials(c *gin.Context) (*service.Principal, error) {
	header := c.GetHeader("Authorization")
	if header == "" {
		return nil, nil
	}
	if scheme, token, ok := strings.Cut(header, " "); ok && strings.EqualFold(scheme, "Bearer") {
		p, err := h.svc.Authenticate(c.Request.Context(), strings.TrimSpace(token))
		return &p, err
	}
	if user, secret, ok := c.Request.BasicAuth(); ok {
		p, err := h.svc.AuthenticateBasic(c.Request.Context(), meta(c), user, secret)
		return &p, err
	}
	return nil, apierror.Unauthorized("the Authorization header must be Bearer <token> or Basic")
}

// requireAuth lets only authenticated requests through.
func (h handlers) requireAuth(c *gin.Context) {
	p, err := h.credentials(c)
	switch {
	case err != nil:
		apierror.Respond(c, err)
	case p == nil:
		c.Header("WWW-Authenticate", `Bearer realm="cerberus"`)
		apierror.Respond(c, apierror.Unauthorized("sign in first: send Authorization: Bearer <token>"))
	default:
		c.Set(principalKey, *p)
		c.Next()
	}
}

// optionalAuth identifies the caller when credentials are sent.
func (h handlers) optionalAuth(c *gin.Context) {
	p, err := h.credentials(c)
	if err != nil {
		apierror.Respond(c, err)
		return
	}
	if p != nil {
		c.Set(principalKey, *p)
	}
	c.Next()
}

func principal(c *gin.Context) service.Principal {
	p, _ := c.Get(principalKey)
	return p.(service.Principal)
}

func maybePrincipal(c *gin.Context) *service.Principal {
	if p, ok := c.Get(principalKey); ok {
		v := p.(service.Principal)
		return &v
	}
	return nil
}
