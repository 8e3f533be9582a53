package api

import (
	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/services/ml_studio/internal/cerberus"
)

// clientAddress settles whose address a request comes from and keeps it in
// the request's context, where the cerberus client and the account relay
// find it: cerberus throttles failed logins per address, so it must see the
// person's, not ml_studio's. gin's ClientIP is the TCP peer unless that
// peer is a trusted proxy (ML_STUDIO_TRUSTED_PROXIES: the ui's nginx, a
// load balancer), whose X-Forwarded-For then names the client; anyone
// else's X-Forwarded-For is ignored.
func clientAddress(c *gin.Context) {
	c.Request = c.Request.WithContext(cerberus.WithClientIP(c.Request.Context(), c.ClientIP()))
	c.Next()
}
