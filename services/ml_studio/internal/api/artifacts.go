package api

import (
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
)

// artifactPath checks a path inside a run's artifacts: relative, without
// "..", so no request can reach outside the run.
func artifactPath(p params, required bool) (string, error) {
	raw, err := p.str("path")
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(raw) == "" { // blank is missing, as for every required parameter
		if required {
			return "", apierror.Required("path")
		}
		return "", nil
	}
	clean := path.Clean(raw)
	switch {
	case strings.HasPrefix(raw, "/") || strings.Contains(raw, `\`) || strings.ContainsRune(raw, 0):
		return "", badParam("path", "a relative path inside the run's artifacts")
	case clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains("/"+raw+"/", "/../"):
		return "", badParam("path", "a path without '..'")
	case clean == ".":
		return "", nil
	}
	return clean, nil
}

// listArtifacts lists a run's artifacts under path; read on its experiment.
func (h handlers) listArtifacts(c *gin.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	if _, err := p.required("run_id"); err != nil {
		return err
	}
	dir, err := artifactPath(p, false)
	if err != nil {
		return err
	}
	if err := h.authorize(c, p, access.ByRun, access.Read); err != nil {
		return respondErr(c, err)
	}
	q := p.only("run_id", "page_token")
	if dir != "" {
		q["path"] = dir
	}
	return h.forward(c, get, "/artifacts/list", q)
}

// artifactURL is where MLflow's artifact proxy keeps a run's file.
func (h handlers) artifactURL(c *gin.Context, p params, op string) (string, string, error) {
	v, err := p.required("run_id")
	if err != nil {
		return "", "", err
	}
	file, err := artifactPath(p, true)
	if err != nil {
		return "", "", err
	}
	run, resp, err := h.MLflow.GetRun(c.Request.Context(), v[0])
	if err != nil {
		return "", "", err
	}
	if !resp.OK() {
		return "", "", upstreamError{resp}
	}
	if err := h.Access.Require(c.Request.Context(), credential(c), access.Experiment(run.ExperimentID), op); err != nil {
		return "", "", err
	}
	u, err := url.Parse(run.ArtifactURI)
	if err != nil || u.Scheme != "mlflow-artifacts" {
		return "", "", apierror.BadRequest("this run's artifacts are not served by the MLflow server")
	}
	root := strings.Trim(u.Path, "/")
	return "/api/2.0/mlflow-artifacts/artifacts/" + escapePath(root+"/"+file), path.Base(file), nil
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// downloadArtifact streams one artifact file; read on the run's experiment.
func (h handlers) downloadArtifact(c *gin.Context) error {
	p, err := readParams(c)
	if err != nil {
		return err
	}
	target, name, err := h.artifactURL(c, p, access.Read)
	if err != nil {
		return respondErr(c, err)
	}
	resp, err := h.MLflow.Stream(c.Request.Context(), http.MethodGet, target, nil, nil, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	for _, k := range []string{"Content-Type", "Content-Length", "Last-Modified", "ETag"} {
		if v := resp.Header.Get(k); v != "" {
			c.Header(k, v)
		}
	}
	if resp.StatusCode == http.StatusOK {
		c.Header("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(name, `"`, "")+`"`)
		c.Header("X-Content-Type-Options", "nosniff")
	}
	c.Status(resp.StatusCode)
	h.copyBody(c, resp)
	return nil
}

// uploadArtifact streams the request body into one artifact file; edit on
// the run's experiment.
func (h handlers) uploadArtifact(c *gin.Context) error {
	p := params{}
	for k, v := range c.Request.URL.Query() {
		p[k] = v[0]
	}
	target, _, err := h.artifactURL(c, p, access.Edit)
	if err != nil {
		return respondErr(c, err)
	}
	header := http.Header{"Content-Type": {"application/octet-stream"}}
	resp, err := h.MLflow.Stream(c.Request.Context(), http.MethodPut, target, nil, c.Request.Body, header)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	c.Data(resp.StatusCode, "application/json", data)
	return nil
}
