// Package api is cerberus's HTTP surface: gin handlers that read input,
// call the service and write JSON. Status codes come from apierror only.
package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/server"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/service"
)

// Database is what the index page needs from the store.
type Database interface {
	DatabaseName(ctx context.Context) (string, error)
}

// Register adds cerberus's routes. svc may be nil for the index alone.
func Register(r gin.IRouter, db Database, svc *service.Service) {
	r.GET("/", apierror.Handler(index(db)))
	r.GET("/api/openapi.yaml", openapiYAML)
	r.GET("/api/openapi.json", openapiJSON)
	if svc == nil {
		return
	}
	h := handlers{svc: svc}
	api := r.Group("/api", revisionHeaders(svc))
	// Polled by every ml_studio several times a second: logged at debug level.
	api.GET("/access/revision", server.Quiet, apierror.Handler(h.revision))
	api.POST("/auth/login", apierror.Handler(h.login))
	// Decisions authenticate their subject by the token in the body; an
	// admin's own credentials are needed only to ask about someone else.
	decisions := api.Group("/authorize", h.optionalAuth)
	decisions.POST("", apierror.Handler(h.authorize))
	decisions.POST("/batch", apierror.Handler(h.authorizeBatch))
	decisions.POST("/readable", apierror.Handler(h.readable))

	authed := api.Group("", h.requireAuth)
	authed.POST("/auth/logout", apierror.Handler(h.logout))
	authed.GET("/auth/me", apierror.Handler(h.me))

	authed.GET("/directory/users", apierror.Handler(h.directory))
	authed.GET("/users", apierror.Handler(h.listUsers))
	authed.POST("/users", apierror.Handler(h.createUser))
	authed.GET("/users/:username", apierror.Handler(h.getUser))
	authed.PATCH("/users/:username", apierror.Handler(h.updateUser))
	authed.GET("/users/:username/grants", apierror.Handler(h.userGrants))

	authed.GET("/tokens", apierror.Handler(h.listTokens))
	authed.POST("/tokens", apierror.Handler(h.createToken))
	authed.DELETE("/tokens/:id", apierror.Handler(h.revokeToken))

	authed.GET("/groups", apierror.Handler(h.listGroups))
	authed.POST("/groups", apierror.Handler(h.createGroup))
	authed.GET("/groups/:group/members", apierror.Handler(h.members))
	authed.PUT("/groups/:group/members/:username", apierror.Handler(h.addMember))
	authed.DELETE("/groups/:group/members/:username", apierror.Handler(h.removeMember))

	authed.GET("/elements", apierror.Handler(h.listElements))
	authed.POST("/elements", apierror.Handler(h.registerElement))
	authed.POST("/elements/rename", apierror.Handler(h.renameElement))
	authed.DELETE("/elements", apierror.Handler(h.deleteElement))
	authed.GET("/elements/access", apierror.Handler(h.accessTo))
	authed.POST("/grants", apierror.Handler(h.grant))
	authed.POST("/grants/revoke", apierror.Handler(h.revoke))

	authed.GET("/audit", apierror.Handler(h.audit))
}

// index answers the seed's connectivity check with the name read from the
// live connection.
func index(db Database) func(c *gin.Context) error {
	return func(c *gin.Context) error {
		name, err := db.DatabaseName(c.Request.Context())
		if err != nil {
			return apierror.Unavailable(err, "cannot reach the database")
		}
		c.String(http.StatusOK, "Connected to database: %s", name)
		return nil
	}
}
