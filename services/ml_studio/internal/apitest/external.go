package apitest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// An external stack: with these set, Shared starts nothing and the tests
// that take their servers from it (the authorization matrix) call an ML
// Studio started elsewhere — make test-replicas's two ml_studio and two
// cerberus processes behind round-robin proxies. MLflow is still
// testenv's (ML_STUDIO_TEST_MLFLOW_URL).
const (
	EnvStudioURL     = "ML_STUDIO_TEST_STUDIO_URL"     // the ml_studio the tests call
	EnvCerberusURL   = "ML_STUDIO_TEST_CERBERUS_URL"   // the cerberus the tests call directly
	EnvAdminPassword = "ML_STUDIO_TEST_ADMIN_PASSWORD" // the first admin's (AdminName)
	EnvRegistrar     = "ML_STUDIO_TEST_REGISTRAR_SECRET"
	// Comma-separated base URLs of every replica behind those addresses.
	// After each grant or revocation the tests wait until every one has
	// applied its access revision (cerberus's GET /api/access/revision,
	// ml_studio's ml_studio_access_revision metric): the matrix checks who
	// may do what, not how fast a change travels (make test-replicas
	// checks that on its own).
	EnvCerberusReplicas = "ML_STUDIO_TEST_CERBERUS_REPLICAS"
	EnvStudioReplicas   = "ML_STUDIO_TEST_STUDIO_REPLICAS"
)

// external is what an external stack adds: its replicas.
type external struct {
	cerberus, studios []string
}

// External reports whether the stack is one started elsewhere: then it has
// no in-process ml_studio (Studio.API and Server are nil, NewStudio fails).
func (s *Stack) External() bool { return s.external != nil }

// externalConfigured reports whether the variables name an external stack.
func externalConfigured() bool { return os.Getenv(EnvStudioURL) != "" }

func startExternal(tb *setupTB) *Stack {
	get := func(key string) string {
		v := os.Getenv(key)
		if v == "" {
			tb.Fatalf("%s is set, so %s must be too", EnvStudioURL, key)
		}
		return strings.TrimRight(v, "/")
	}
	list := func(key string) []string {
		var out []string
		for _, u := range strings.Split(os.Getenv(key), ",") {
			if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
				out = append(out, u)
			}
		}
		return out
	}
	s := &Stack{
		MLflowURL:       strings.TrimRight(os.Getenv("ML_STUDIO_TEST_MLFLOW_URL"), "/"),
		CerberusURL:     get(EnvCerberusURL),
		adminPassword:   get(EnvAdminPassword),
		RegistrarSecret: get(EnvRegistrar),
		http:            &http.Client{Timeout: 60 * time.Second},
		mlflowHTTP:      &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
		external:        &external{cerberus: list(EnvCerberusReplicas), studios: list(EnvStudioReplicas)},
	}
	if s.MLflowURL == "" {
		tb.Fatalf("%s is set, so ML_STUDIO_TEST_MLFLOW_URL must be too", EnvStudioURL)
	}
	s.Admin = &User{Name: AdminName, Token: s.login(tb, AdminName, s.adminPassword)}
	s.Studio = &Studio{URL: get(EnvStudioURL), Stack: s}
	tb.Logf("external stack: ml_studio %s, cerberus %s, replicas %v %v", s.Studio.URL, s.CerberusURL, s.external.cerberus, s.external.studios)
	return s
}

// settle waits, on an external stack, until every replica has applied the
// access revision of a change's answer r.
func (s *Stack) settle(t testing.TB, r *Response) {
	t.Helper()
	if s.external == nil {
		return
	}
	want, err := strconv.ParseUint(r.Header.Get("X-Access-Revision-Latest"), 10, 64)
	if err != nil {
		t.Fatalf("%s: no access revision in the answer", r)
	}
	for _, u := range s.external.cerberus {
		s.waitRevision(t, u, want, s.cerberusRevision)
	}
	for _, u := range s.external.studios {
		s.waitRevision(t, u, want, s.studioRevision)
	}
}

func (s *Stack) waitRevision(t testing.TB, base string, want uint64, read func(string) (uint64, error)) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := read(base)
		if err == nil && got >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has not applied access revision %d within 10s (at %d, %v)", base, want, got, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// cerberusRevision is the newest revision a cerberus replica has applied.
func (s *Stack) cerberusRevision(base string) (uint64, error) {
	r, err := Send(s.http, nil, http.MethodGet, base+"/api/access/revision", nil, nil)
	if err != nil {
		return 0, err
	}
	var body struct {
		Latest uint64 `json:"latest"`
	}
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &body) != nil {
		return 0, fmt.Errorf("%s", r)
	}
	return body.Latest, nil
}

// studioRevision is the newest revision an ml_studio replica has heard of.
func (s *Stack) studioRevision(base string) (uint64, error) {
	r, err := Send(s.http, nil, http.MethodGet, base+"/metrics", nil, nil)
	if err != nil {
		return 0, err
	}
	if r.Status != http.StatusOK {
		return 0, fmt.Errorf("%s", r)
	}
	return MetricValue(r.Body, "ml_studio_access_revision")
}

// MetricValue reads an unlabelled metric from Prometheus's text format.
func MetricValue(text []byte, name string) (uint64, error) {
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return uint64(f), err
		}
	}
	return 0, fmt.Errorf("no %s on /metrics", name)
}
