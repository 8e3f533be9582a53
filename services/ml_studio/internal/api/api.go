// Package api is ml_studio's HTTP surface: the seed's /api routes.
package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Welcome is the seed's answer on GET /, field order as the seed prints it.
type Welcome struct {
	Message string `json:"message"`
	Service string `json:"service"`
	Status  string `json:"status"`
}

// Register adds ml_studio's routes.
func Register(r gin.IRouter) {
	r.GET("/", func(c *gin.Context) {
		c.JSON(http.StatusOK, Welcome{Message: "Welcome to ML Studio", Service: "ml_studio", Status: "Online"})
	})
}
