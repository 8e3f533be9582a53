package apitest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
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

// The AI gateway's invocations reach a provider. In tests that provider is
// a fake on 127.0.0.1, which MLflow refuses by default (a secret's api_base
// must be public https, and its gateway will not connect to a private
// address): the shared MLflow keeps that policy, and the gateway's tests get
// a second server process of the pinned MLflow, on the same backend store
// (so ids never collide with what cerberus registered for the shared one),
// allowing loopback providers over http.
var gatewayMLflow struct {
	once sync.Once
	url  string
	end  *setupEnd
}

// GatewayMLflow is the base URL of the pinned MLflow serving the stack's
// store whose AI gateway may call providers on 127.0.0.1 over http. It
// starts on first use and stops in Shutdown.
func (s *Stack) GatewayMLflow(t testing.TB) string {
	t.Helper()
	gatewayMLflow.once.Do(func() {
		gatewayMLflow.end = shared.tb.run(func() { gatewayMLflow.url = startGatewayMLflow(shared.tb) })
	})
	if e := gatewayMLflow.end; e != nil {
		if e.skip {
			t.Skip(e.msg)
		}
		t.Fatalf("start the AI gateway's MLflow: %s", e.msg)
	}
	return gatewayMLflow.url
}

func startGatewayMLflow(tb *setupTB) string {
	store, err := url.Parse(testenv.PostgresDSN(tb))
	if err != nil {
		tb.Fatalf("the PostgreSQL DSN: %v", err)
	}
	store.Scheme = "postgresql+psycopg2" // the driver the pinned lock ships
	port := testenv.FreePort(tb)
	python := testenv.MLflowPython(tb)
	cmd := exec.Command(python, "-m", "mlflow", "server",
		"--host", "127.0.0.1", "--port", strconv.Itoa(port), "--workers", "1",
		"--backend-store-uri", store.String(),
		"--serve-artifacts", "--artifacts-destination", filepath.Join(tb.TempDir(), "gateway-artifacts"),
		"--allowed-hosts", "localhost,localhost:*,127.0.0.1,127.0.0.1:*",
	)
	cmd.Dir = tb.TempDir()
	cmd.Env = append(os.Environ(),
		"MLFLOW_GATEWAY_API_BASE_ALLOWED_SCHEMES=http,https",
		"MLFLOW_GATEWAY_API_BASE_ALLOW_PRIVATE_IPS=true",
		"MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false",
		"MLFLOW_DISABLE_TELEMETRY=true",
		"MLFLOW_SERVER_SECRETS_CACHE_TTL=10",
		// the bundled catalogue of providers' models: fetching it from
		// GitHub, provider by provider, hangs for minutes where the
		// network does not reach it
		"MLFLOW_MODEL_CATALOG_URI=",
	)
	if os.Getenv("MLFLOW_CRYPTO_KEK_PASSPHRASE") == "" { // as deployments have one
		cmd.Env = append(cmd.Env, "MLFLOW_CRYPTO_KEK_PASSPHRASE=tests-"+testenv.RandomSuffix()+testenv.RandomSuffix())
	}
	var mu sync.Mutex
	var out bytes.Buffer
	cmd.Stdout = lockedWriter{&mu, &out}
	cmd.Stderr = lockedWriter{&mu, &out}
	// Its own process group, so the uvicorn worker it spawns stops with it;
	// the kernel kills the server if the test binary dies.
	cmd.SysProcAttr = dieWithParent()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start MLflow: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tb.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	// A cold start of MLflow's app takes most of a minute on a loaded
	// 2-core machine.
	testenv.WaitFor(tb, 3*time.Minute, "the AI gateway's MLflow up", func() error {
		select {
		case err := <-done:
			done <- err
			mu.Lock()
			defer mu.Unlock()
			return fmt.Errorf("MLflow exited: %v\n%s", err, out.String())
		default:
		}
		return testenv.Expect(base+"/api/3.0/mlflow/gateway/endpoints/list", http.StatusOK, "")()
	})
	tb.Logf("the AI gateway's MLflow on %s (store %s)", base, store.Redacted())
	return base
}
