package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
	"sigs.k8s.io/yaml"
)

//go:embed openapi.yaml
var openapiDoc []byte

func openapiYAML(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml; charset=utf-8", openapiDoc)
}

func openapiJSON(c *gin.Context) {
	doc, err := yaml.YAMLToJSON(openapiDoc)
	if err != nil {
		c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": "the API description is unreadable"})
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", doc)
}
