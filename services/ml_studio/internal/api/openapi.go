package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openapiDoc describes the routes ml_studio owns (the seed's /api routes and
// the probes); openapi_internal_test.go keeps it and the router in step.
//
//go:embed openapi.yaml
var openapiDoc []byte

// OpenAPIPath is where the document is served, to anyone: outside /api, whose
// routes are the seed's and the relayed cerberus's.
const OpenAPIPath = "/openapi.yaml"

func openapiYAML(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", openapiDoc)
}
