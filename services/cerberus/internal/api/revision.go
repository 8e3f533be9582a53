package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/service"
)

// The access revision on every /api answer (ml_studio's client names the
// same headers). ml_studio keeps a decision only while no newer revision
// is known, so a change is honoured on the next request this process
// serves, and within a poll of GET /api/access/revision everywhere.
const (
	// RevisionHeader: every decision in the answer reflects at least this
	// revision (read before the request is served). Absent when this
	// process cannot vouch for one (it has not read the change log lately).
	RevisionHeader = "X-Access-Revision"
	// LatestRevisionHeader: the highest revision this process has applied
	// when the answer is written, which covers a change the request made.
	LatestRevisionHeader = "X-Access-Revision-Latest"
)

// revisionHeaders stamps the access revision on the answer.
func revisionHeaders(svc *service.Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		floor, _, ok := svc.Revision()
		c.Writer = &revisionWriter{ResponseWriter: c.Writer, svc: svc, floor: floor, vouched: ok}
		c.Next()
	}
}

// revisionWriter sets the headers just before they are written, when the
// handler's own change, if any, is applied.
type revisionWriter struct {
	gin.ResponseWriter
	svc     *service.Service
	floor   uint64
	vouched bool
	stamped bool
}

func (w *revisionWriter) stamp() {
	if w.stamped {
		return
	}
	w.stamped = true
	_, latest, _ := w.svc.Revision()
	h := w.Header()
	if w.vouched {
		h.Set(RevisionHeader, strconv.FormatUint(w.floor, 10))
	}
	h.Set(LatestRevisionHeader, strconv.FormatUint(max(latest, w.floor), 10))
}

func (w *revisionWriter) WriteHeader(code int) {
	w.stamp()
	w.ResponseWriter.WriteHeader(code)
}

func (w *revisionWriter) WriteHeaderNow() {
	w.stamp()
	w.ResponseWriter.WriteHeaderNow()
}

func (w *revisionWriter) Write(b []byte) (int, error) {
	w.stamp()
	return w.ResponseWriter.Write(b)
}

func (w *revisionWriter) WriteString(s string) (int, error) {
	w.stamp()
	return w.ResponseWriter.WriteString(s)
}

// revisionAnswer is GET /api/access/revision's body: the headers' values.
type revisionAnswer struct {
	Revision uint64 `json:"revision"`
	Latest   uint64 `json:"latest"`
}

// revision answers the access revision, for ml_studio to poll: a change
// made through another replica moves it once this one has read it. A
// process that cannot vouch for its revision answers 503, so that
// ml_studio stops trusting what it remembers.
func (h handlers) revision(c *gin.Context) error {
	floor, latest, ok := h.svc.Revision()
	if !ok {
		return apierror.Unavailable(nil, "the access change log has not been read lately")
	}
	c.JSON(http.StatusOK, revisionAnswer{Revision: floor, Latest: max(latest, floor)})
	return nil
}
