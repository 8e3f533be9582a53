// Package api is cerberus's HTTP surface.
package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// Database is what the index page needs from the store.
type Database interface {
	DatabaseName(ctx context.Context) (string, error)
}

// Register adds cerberus's routes.
func Register(r gin.IRouter, db Database) {
	r.GET("/", apierror.Handler(index(db)))
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
