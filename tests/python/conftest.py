"""A real ML Studio stack for the stock-client tests.

The session builds cerberus and ml_studio from this tree (`go build`),
runs cerberus on a temporary SQLite database and ml_studio in front of the
MLflow server named by ML_STUDIO_TEST_MLFLOW_URL (default
http://127.0.0.1:5050), both on free ports. When MLflow does not answer the
tests skip, except under CI=true, where they fail.

Users: the admin, alice (create on project:default, so she may create
experiments and models) and bob (no grant at all), each with an API token.

With ML_STUDIO_TEST_STUDIO_URL set the session starts nothing and calls
the ML Studio found there instead (make test-replicas: two ml_studio and
two cerberus behind round-robin proxies), with ML_STUDIO_TEST_CERBERUS_URL
and ML_STUDIO_TEST_ADMIN_PASSWORD; ML_STUDIO_TEST_CERBERUS_REPLICAS and
ML_STUDIO_TEST_STUDIO_REPLICAS (comma-separated) name every replica, and
each grant or revocation waits until all have applied it (as the Go
suites' apitest does).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples" / "notebooks"
ADMIN_PASSWORD = "admin-password-for-tests"

# MLflow client settings for the whole session: no retry storm when the
# stack misbehaves (403 and 401 are never retried anyway), no telemetry.
CLIENT_ENV = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "GIT_PYTHON_REFRESH": "quiet",
}
# Credentials and targets the client would otherwise pick up from the
# developer's environment.
CLIENT_VARS = (
    "MLFLOW_TRACKING_URI",
    "MLFLOW_REGISTRY_URI",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_AUTH",
    "MLFLOW_EXPERIMENT_ID",
    "MLFLOW_EXPERIMENT_NAME",
    "MLFLOW_RUN_ID",
)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {proc.returncode}\n{tail(log)}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready within {timeout}s\n{tail(log)}")


def tail(log: Path, n: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclasses.dataclass
class User:
    username: str
    password: str
    token: str  # an API token, mlt_...


@dataclasses.dataclass
class Stack:
    cerberus_url: str
    url: str  # ml_studio, the MLFLOW_TRACKING_URI of the tests
    mlflow_url: str
    logs: Path
    scim_token: str = ""  # CERBERUS_SCIM_TOKEN: the identity provider's SCIM secret
    oidc_issuer: str = ""  # the OpenID provider cerberus trusts, when make test-sso gives one
    admin_password: str = ADMIN_PASSWORD
    # An external stack's replicas, which each access change waits for.
    cerberus_replicas: tuple[str, ...] = ()
    studio_replicas: tuple[str, ...] = ()

    def cerberus(self, method: str, path: str, token: str, **kw) -> requests.Response:
        return requests.request(
            method,
            self.cerberus_url + path,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            **kw,
        )

    def login(self, username: str, password: str) -> str:
        r = requests.post(
            self.cerberus_url + "/api/auth/login",
            json={"username": username, "password": password},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        return r.json()["token"]

    def grant(self, token: str, element: str, operation: str, user: str) -> None:
        body = {"element": element, "operation": operation, "user": user}
        r = self.cerberus("POST", "/api/grants", token, json=body)
        assert r.status_code == 201, f"grant {body}: {r.status_code} {r.text}"
        self.settle(r)

    def revoke(self, token: str, element: str, operation: str, user: str) -> None:
        body = {"element": element, "operation": operation, "user": user}
        r = self.cerberus("POST", "/api/grants/revoke", token, json=body)
        assert r.status_code == 204, f"revoke {body}: {r.status_code} {r.text}"
        self.settle(r)

    def settle(self, r: requests.Response) -> None:
        """Wait until every replica has applied the access change r answered."""
        if not self.cerberus_replicas and not self.studio_replicas:
            return
        want = int(r.headers["X-Access-Revision-Latest"])
        for base in self.cerberus_replicas:
            wait_revision(base, want, lambda b: requests.get(b + "/api/access/revision", timeout=10).json()["latest"])
        for base in self.studio_replicas:
            wait_revision(base, want, studio_revision)

    def new_user(self, admin_token: str, username: str) -> User:
        password = f"{username}-password-for-tests"
        r = self.cerberus("POST", "/api/users", admin_token, json={"username": username, "password": password})
        assert r.status_code == 201, r.text
        session = self.login(username, password)
        r = self.cerberus("POST", "/api/tokens", session, json={"name": "pytest"})
        assert r.status_code == 201, r.text
        return User(username, password, r.json()["token"])


def wait_revision(base: str, want: int, read, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    got: object = None
    while time.monotonic() < deadline:
        try:
            got = read(base)
            if got >= want:
                return
        except (requests.RequestException, ValueError, KeyError) as e:
            got = e
        time.sleep(0.01)
    raise AssertionError(f"{base} has not applied access revision {want} within {timeout}s (at {got})")


def studio_revision(base: str) -> int:
    """The newest access revision an ml_studio has heard of (its /metrics)."""
    text = requests.get(base + "/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith("ml_studio_access_revision "):
            return int(float(line.split()[1]))
    raise ValueError(f"{base}/metrics has no ml_studio_access_revision")


def replica_list(key: str) -> tuple[str, ...]:
    return tuple(u.strip().rstrip("/") for u in os.environ.get(key, "").split(",") if u.strip())


def mlflow_answers(url: str) -> str | None:
    """None when MLflow serves its API at url, else why not."""
    try:
        r = requests.post(url + "/api/2.0/mlflow/experiments/search", json={"max_results": 1}, timeout=10)
    except requests.RequestException as e:
        return str(e)
    return None if r.status_code == 200 else f"experiments/search answered {r.status_code}"


@pytest.fixture(scope="session")
def stack(tmp_path_factory, request) -> Stack:
    mlflow_url = os.environ.get("ML_STUDIO_TEST_MLFLOW_URL", "http://127.0.0.1:5050").rstrip("/")
    why = mlflow_answers(mlflow_url)
    if why is not None:
        msg = f"MLflow not reachable at {mlflow_url} (ML_STUDIO_TEST_MLFLOW_URL): {why}"
        if in_ci():
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)

    tmp = tmp_path_factory.mktemp("stack")
    if external := os.environ.get("ML_STUDIO_TEST_STUDIO_URL", "").rstrip("/"):
        yield Stack(
            cerberus_url=os.environ["ML_STUDIO_TEST_CERBERUS_URL"].rstrip("/"),
            url=external,
            mlflow_url=mlflow_url,
            logs=tmp,
            admin_password=os.environ["ML_STUDIO_TEST_ADMIN_PASSWORD"],
            cerberus_replicas=replica_list("ML_STUDIO_TEST_CERBERUS_REPLICAS"),
            studio_replicas=replica_list("ML_STUDIO_TEST_STUDIO_REPLICAS"),
        )
        return
    go = os.environ.get("GO", "go")
    for name, pkg in (("cerberus", "./services/cerberus/cmd/cerberus"), ("ml_studio", "./services/ml_studio/cmd/ml_studio")):
        built = subprocess.run(
            [go, "build", "-o", str(tmp / name), pkg], cwd=REPO_ROOT, capture_output=True, text=True
        )
        assert built.returncode == 0, f"go build {pkg} failed:\n{built.stdout}{built.stderr}"

    cerberus_port, studio_port = free_port(), free_port()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("CERBERUS_", "ML_STUDIO_"))}
    procs: list[subprocess.Popen] = []

    def start(name: str, env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
        log = tmp / f"{name}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [str(tmp / name)], cwd=tmp, env={**base_env, **env}, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        procs.append(proc)
        return proc, log

    scim_token = secrets.token_hex(32)
    cerberus_env = {
        "CERBERUS_PORT": str(cerberus_port),
        "CERBERUS_DATABASE_DSN": f"sqlite:{tmp}/auth.db",
        "CERBERUS_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "CERBERUS_BCRYPT_COST": "4",
        "CERBERUS_SCIM_TOKEN": scim_token,
    }
    # Single sign-on with the OpenID provider make test-sso starts (Keycloak).
    oidc_issuer = os.environ.get("ML_STUDIO_TEST_OIDC_ISSUER", "")
    if oidc_issuer and os.environ.get("ML_STUDIO_TEST_OIDC_CLIENT_ID"):
        cerberus_env.update(
            {
                "CERBERUS_OIDC_ISSUER": oidc_issuer,
                "CERBERUS_OIDC_CLIENT_ID": os.environ["ML_STUDIO_TEST_OIDC_CLIENT_ID"],
                "CERBERUS_OIDC_CLIENT_SECRET": os.environ.get("ML_STUDIO_TEST_OIDC_CLIENT_SECRET", ""),
                "CERBERUS_OIDC_REDIRECT_URL": f"http://127.0.0.1:{studio_port}/api/auth/oidc/callback",
            }
        )
    else:
        oidc_issuer = ""
    try:
        proc, log = start("cerberus", cerberus_env)
        cerberus_url = f"http://127.0.0.1:{cerberus_port}"
        wait_http(cerberus_url + "/readyz", proc, log)
        proc, log = start(
            "ml_studio",
            {
                "ML_STUDIO_PORT": str(studio_port),
                "ML_STUDIO_CERBERUS_URL": cerberus_url,
                "ML_STUDIO_MLFLOW_URL": mlflow_url,
                "ML_STUDIO_DECISION_CACHE": "0s",
            },
        )
        url = f"http://127.0.0.1:{studio_port}"
        wait_http(url + "/readyz", proc, log)
        yield Stack(
            cerberus_url=cerberus_url, url=url, mlflow_url=mlflow_url, logs=tmp, scim_token=scim_token, oidc_issuer=oidc_issuer
        )
    finally:
        for p in reversed(procs):
            stop(p)
        if request.session.testsfailed:
            for name in ("cerberus", "ml_studio"):
                print(f"\n--- last lines of {tmp / (name + '.log')} ---\n{tail(tmp / (name + '.log'))}", file=sys.stderr)


@pytest.fixture(scope="session")
def admin_token(stack: Stack) -> str:
    return stack.login("admin", stack.admin_password)


@pytest.fixture(scope="session")
def alice(stack: Stack, admin_token: str) -> User:
    user = stack.new_user(admin_token, "alice")
    stack.grant(admin_token, "project:default", "create", "alice")
    return user


@pytest.fixture(scope="session")
def bob(stack: Stack, admin_token: str) -> User:
    return stack.new_user(admin_token, "bob")


@pytest.fixture(scope="session", autouse=True)
def _client_env(tmp_path_factory):
    """The MLflow client sees only what each test gives it."""
    import mlflow.utils.credentials as credentials

    saved = {k: os.environ.get(k) for k in (*CLIENT_VARS, *CLIENT_ENV)}
    for k in CLIENT_VARS:
        os.environ.pop(k, None)
    os.environ.update(CLIENT_ENV)
    # ~/.mlflow/credentials would add basic auth to every call.
    no_file = str(tmp_path_factory.mktemp("home") / "credentials")
    original = credentials._get_credentials_path
    credentials._get_credentials_path = lambda: no_file
    yield
    credentials._get_credentials_path = original
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@contextlib.contextmanager
def as_client(stack: Stack, *, token: str | None = None, username: str | None = None, password: str | None = None):
    """Points the stock client at ml_studio with these credentials (the
    environment variables a notebook user sets) for the with block."""
    import mlflow

    env = {
        "MLFLOW_TRACKING_URI": stack.url,
        "MLFLOW_TRACKING_TOKEN": token,
        "MLFLOW_TRACKING_USERNAME": username,
        "MLFLOW_TRACKING_PASSWORD": password,
    }
    saved = {k: os.environ.get(k) for k in env}
    for k, v in env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    mlflow.set_tracking_uri(stack.url)
    mlflow.set_registry_uri(stack.url)
    try:
        yield mlflow.MlflowClient(tracking_uri=stack.url, registry_uri=stack.url)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def client_env(stack: Stack, user: User) -> dict[str, str]:
    """The environment of a notebook run as user: only a token and the URI."""
    env = {k: v for k, v in os.environ.items() if k not in CLIENT_VARS}
    env.update(CLIENT_ENV)
    env["MLFLOW_TRACKING_URI"] = stack.url
    env["MLFLOW_TRACKING_TOKEN"] = user.token
    return env


def cleanup(
    stack: Stack, user: User, *, experiment_id: str | None = None, experiment_name: str | None = None,
    model: str | None = None,
) -> None:
    """Best effort: the test MLflow outlives the run, so each test deletes
    what it made (a registered model for good, an experiment softly)."""
    with as_client(stack, token=user.token) as client:
        if model:
            with contextlib.suppress(Exception):
                client.delete_registered_model(model)
        with contextlib.suppress(Exception):
            if experiment_name and not experiment_id:
                found = client.get_experiment_by_name(experiment_name)
                experiment_id = found.experiment_id if found else None
            if experiment_id:
                client.delete_experiment(experiment_id)
