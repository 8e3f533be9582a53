// Package apitest runs ml_studio against the real services it fronts, for
// integration tests: the cerberus binary on a fresh MariaDB/MySQL database,
// the MLflow server of the test environment, and ml_studio itself in-process
// with its real wiring. One stack serves a whole test binary: call Shared
// from each test and Shutdown from TestMain.
package apitest

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/pkg/testenv"
)

// AdminName is the first admin cerberus creates.
const AdminName = "admin"

// OIDCAdminGroup is the provider group whose members cerberus makes admins
// (the realm of deploy/keycloak).
const OIDCAdminGroup = "ml-studio-admins"

// Stack is the shared cerberus, MLflow and a default ml_studio.
type Stack struct {
	CerberusURL string // cerberus itself, not behind a proxy
	MLflowURL   string // the MLflow server, not behind a proxy
	Studio      *Studio
	Admin       *User
	// RegistrarSecret is CERBERUS_REGISTRAR_SECRET, which ml_studio sends
	// to register what it creates.
	RegistrarSecret string
	// SCIMToken is CERBERUS_SCIM_TOKEN, the identity provider's secret for
	// SCIM provisioning at cerberus's /scim/v2.
	SCIMToken string
	// OIDCIssuer is the OpenID provider cerberus accepts bearer tokens of
	// (ML_STUDIO_TEST_OIDC_ISSUER with _CLIENT_ID and _CLIENT_SECRET, as
	// make test-sso sets them); empty without one.
	OIDCIssuer string

	adminPassword string
	cerberus      *cerberusProcess
	http          *http.Client
	mlflowHTTP    *http.Client
	external      *external // set when the stack was started elsewhere
}

var shared struct {
	once  sync.Once
	tb    *setupTB
	stack *Stack
	end   *setupEnd
}

// Shared returns the stack of this test binary, starting it on first use.
// When the servers it needs are missing the test is skipped (failed under
// CI, as testenv decides); when starting fails the test fails.
func Shared(t testing.TB) *Stack {
	t.Helper()
	shared.once.Do(func() {
		shared.tb = &setupTB{}
		shared.end = shared.tb.run(func() {
			if externalConfigured() {
				shared.stack = startExternal(shared.tb)
				return
			}
			shared.stack = start(shared.tb)
		})
	})
	if e := shared.end; e != nil {
		if e.skip {
			t.Skip(e.msg)
		}
		t.Fatalf("start the integration stack: %s", e.msg)
	}
	// Each test's log says where the stack's servers came from (the
	// variables of make test, or testcontainers-go); both are cached.
	if !shared.stack.External() {
		testenv.MySQLDSN(t)
	}
	testenv.MLflowURL(t)
	return shared.stack
}

// Shutdown stops what Shared started. Call it from TestMain after m.Run.
func Shutdown() {
	if shared.tb != nil {
		shared.tb.close()
	}
}

func start(tb *setupTB) *Stack {
	s := &Stack{
		MLflowURL:       testenv.MLflowURL(tb),
		adminPassword:   "admin-" + testenv.RandomSuffix(),
		RegistrarSecret: "registrar-" + testenv.RandomSuffix() + testenv.RandomSuffix(),
		SCIMToken:       "scim-" + testenv.RandomSuffix() + testenv.RandomSuffix() + testenv.RandomSuffix(),
		http:            &http.Client{Timeout: 60 * time.Second},
		// An MLflow on asyncio's loop (one started before the lock pinned
		// uvloop) answers a keep-alive connection's second request ~40 ms
		// late; fresh connections are fast on any.
		mlflowHTTP: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
	}
	s.cerberus = &cerberusProcess{
		bin:           filepath.Join(tb.TempDir(), "cerberus"),
		dsn:           testenv.NewMySQLDatabase(tb),
		port:          testenv.FreePort(tb),
		adminPassword: s.adminPassword,
		registrar:     s.RegistrarSecret,
		scim:          s.SCIMToken,
	}
	if issuer, id, secret := os.Getenv("ML_STUDIO_TEST_OIDC_ISSUER"), os.Getenv("ML_STUDIO_TEST_OIDC_CLIENT_ID"), os.Getenv("ML_STUDIO_TEST_OIDC_CLIENT_SECRET"); issuer != "" && id != "" {
		s.OIDCIssuer = issuer
		s.cerberus.oidc = []string{"CERBERUS_OIDC_ISSUER=" + issuer, "CERBERUS_OIDC_CLIENT_ID=" + id, "CERBERUS_OIDC_CLIENT_SECRET=" + secret,
			"CERBERUS_OIDC_REDIRECT_URL=http://127.0.0.1:" + strconv.Itoa(s.cerberus.port) + "/api/auth/oidc/callback",
			"CERBERUS_OIDC_ADMIN_GROUP=" + OIDCAdminGroup}
	}
	build := exec.Command("go", "build", "-o", s.cerberus.bin, "github.com/ml-studio/ml-studio/services/cerberus/cmd/cerberus")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("build cerberus: %v\n%s", err, out)
	}
	s.cerberus.start(tb)
	s.CerberusURL = "http://127.0.0.1:" + strconv.Itoa(s.cerberus.port)
	testenv.WaitFor(tb, 30*time.Second, "cerberus up", func() error {
		if err := s.cerberus.exited(); err != nil {
			return err
		}
		resp, err := s.http.Get(s.CerberusURL + "/readyz")
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /readyz: %d", resp.StatusCode)
		}
		return nil
	})
	s.Admin = &User{Name: AdminName, Token: s.login(tb, AdminName, s.adminPassword)}
	s.Studio = s.NewStudio(tb, Options{})
	return s
}

// cerberusProcess is the real cerberus binary.
type cerberusProcess struct {
	bin, dsn, adminPassword, registrar, scim string
	oidc                                     []string // CERBERUS_OIDC_* settings, if any
	port                                     int

	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan struct{}
	err    error
}

func (c *cerberusProcess) start(tb testing.TB) {
	c.cmd = exec.Command(c.bin)
	c.cmd.Env = append(os.Environ(),
		"CERBERUS_DATABASE_DSN="+c.dsn,
		"CERBERUS_PORT="+strconv.Itoa(c.port),
		"CERBERUS_ADMIN_USERNAME="+AdminName,
		"CERBERUS_ADMIN_PASSWORD="+c.adminPassword,
		"CERBERUS_REGISTRAR_SECRET="+c.registrar,
		"CERBERUS_BCRYPT_COST=4", // tests sign in many users
		"CERBERUS_LOG_LEVEL=warn",
		"CERBERUS_SCIM_TOKEN="+c.scim,
	)
	c.cmd.Env = append(c.cmd.Env, c.oidc...)
	c.cmd.Stderr = lockedWriter{&c.mu, &c.stderr}
	c.cmd.SysProcAttr = dieWithParent()
	if err := c.cmd.Start(); err != nil {
		tb.Fatalf("start cerberus: %v", err)
	}
	c.done = make(chan struct{})
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	tb.Cleanup(func() {
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	})
}

// exited reports, with its standard error, a cerberus that stopped.
func (c *cerberusProcess) exited() error {
	select {
	case <-c.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		return fmt.Errorf("cerberus exited: %v\n%s", c.err, c.stderr.String())
	default:
		return nil
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
