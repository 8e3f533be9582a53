"""The AI gateway through ml_studio with the stock client: alice makes a
secret, a model definition and an endpoint with the client's own REST calls
(its tracking store's gateway methods), and a `gateway:/<endpoint>` judge
calls the endpoint through ml_studio; bob, with no grant, lists, reads and
invokes none of them, and the provider gets no call of his.

The provider is a fake OpenAI-compatible server on 127.0.0.1, which MLflow
refuses by default (a secret's api_base must be public https), so the
module runs a second MLflow of the pinned version (its own SQLite store)
that allows it, behind a second ml_studio on the session's cerberus.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import Stack, User, as_client, free_port, wait_http
from mlflow.exceptions import MlflowException


class FakeProvider:
    """Answers chat completions as a judge's model would, and records them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []  # path, Authorization, body
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                provider.calls.append((self.path, self.headers.get("Authorization", ""), body))
                verdict = json.dumps({"result": "yes", "rationale": "it thanks"})
                out = json.dumps({
                    "id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": "fake",
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": verdict}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self, marker: str) -> list[tuple[str, str, str]]:
        return [c for c in self.calls if marker in c[2]]


def start_group(cmd: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def stop_group(proc: subprocess.Popen) -> None:
    """Stops a process and what it started (mlflow server's uvicorn)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def gateway(stack: Stack, tmp_path_factory) -> tuple[Stack, FakeProvider]:
    tmp = tmp_path_factory.mktemp("gateway")
    provider = FakeProvider()
    mlflow_port, studio_port = free_port(), free_port()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("CERBERUS_", "ML_STUDIO_", "MLFLOW_"))}
    procs: list[subprocess.Popen] = []
    try:
        mlflow_env = {
            **base_env,
            "MLFLOW_GATEWAY_API_BASE_ALLOWED_SCHEMES": "http,https",
            "MLFLOW_GATEWAY_API_BASE_ALLOW_PRIVATE_IPS": "true",
            "MLFLOW_CRYPTO_KEK_PASSPHRASE": uuid.uuid4().hex + uuid.uuid4().hex,
            "MLFLOW_SERVER_SECRETS_CACHE_TTL": "10",
            "MLFLOW_MODEL_CATALOG_URI": "",
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
            "MLFLOW_DISABLE_TELEMETRY": "true",
        }
        log = tmp / "mlflow.log"
        proc = start_group(
            [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(mlflow_port),
             "--workers", "1", "--backend-store-uri", f"sqlite:///{tmp}/mlflow.db",
             "--serve-artifacts", "--artifacts-destination", str(tmp / "artifacts")],
            mlflow_env, log, tmp)
        procs.append(proc)
        mlflow_url = f"http://127.0.0.1:{mlflow_port}"
        # A new SQLite store runs every migration first.
        wait_http(mlflow_url + "/health", proc, log, timeout=300)

        log = tmp / "ml_studio.log"
        proc = start_group(
            [str(stack.logs / "ml_studio")],
            {**base_env, "ML_STUDIO_PORT": str(studio_port),
             "ML_STUDIO_CERBERUS_URL": stack.cerberus_url, "ML_STUDIO_MLFLOW_URL": mlflow_url,
             "ML_STUDIO_DECISION_CACHE": "0s"},
            log, tmp)
        procs.append(proc)
        url = f"http://127.0.0.1:{studio_port}"
        wait_http(url + "/readyz", proc, log)
        yield Stack(cerberus_url=stack.cerberus_url, url=url, mlflow_url=mlflow_url, logs=tmp), provider
    finally:
        for p in reversed(procs):
            stop_group(p)
        provider.server.shutdown()


def judge_of(endpoint: str):
    from mlflow.genai.judges import make_judge

    return make_judge(name="polite", instructions="Is the answer in {{ outputs }} polite?",
                      model=f"gateway:/{endpoint}", feedback_value_type=str)


def test_gateway_objects_and_a_judge(gateway, alice: User, bob: User):
    from mlflow.entities.gateway_endpoint import GatewayEndpointModelConfig, GatewayModelLinkageType
    from mlflow.tracking._tracking_service.utils import _get_store

    gw, provider = gateway
    sfx = uuid.uuid4().hex[:8]
    key = f"sk-alice-{sfx}-{uuid.uuid4().hex}"
    with as_client(gw, token=alice.token):
        store = _get_store()
        secret = store.create_gateway_secret(
            secret_name=f"alice-key-{sfx}", secret_value={"api_key": key}, provider="openai",
            auth_config={"api_base": provider.url + "/v1"})
        assert key not in repr(secret)
        definition = store.create_gateway_model_definition(
            name=f"alice-def-{sfx}", secret_id=secret.secret_id, provider="openai", model_name=f"alice-model-{sfx}")
        endpoint = store.create_gateway_endpoint(
            name=f"alice-endpoint-{sfx}",
            model_configs=[GatewayEndpointModelConfig(
                model_definition_id=definition.model_definition_id,
                linkage_type=GatewayModelLinkageType.PRIMARY, weight=1.0)],
            usage_tracking=False)
        assert endpoint.endpoint_id in [e.endpoint_id for e in store.list_gateway_endpoints()]
        assert store.get_secret_info(secret_id=secret.secret_id).secret_name == f"alice-key-{sfx}"

    # MLflow's gateway:/ judges send basic credentials only (a token as the password)
    marker = f"alice-{sfx}"
    with as_client(gw, username=alice.username, password=alice.token):
        feedback = judge_of(endpoint.name)(outputs=f"Thank you ({marker})")
    assert feedback.error is None, feedback.error
    assert feedback.value == "yes"
    got = provider.received(marker)
    assert len(got) == 1 and got[0][1] == f"Bearer {key}" and f"alice-model-{sfx}" in got[0][2]

    with as_client(gw, token=bob.token):
        store = _get_store()
        assert endpoint.endpoint_id not in [e.endpoint_id for e in store.list_gateway_endpoints()]
        assert secret.secret_id not in [s.secret_id for s in store.list_secret_infos()]
        assert definition.model_definition_id not in [d.model_definition_id for d in store.list_gateway_model_definitions()]
        for read in (lambda: store.get_gateway_endpoint(endpoint_id=endpoint.endpoint_id),
                     lambda: store.get_gateway_endpoint(name=endpoint.name),
                     lambda: store.get_secret_info(secret_id=secret.secret_id),
                     lambda: store.get_gateway_model_definition(definition.model_definition_id),
                     lambda: store.delete_gateway_endpoint(endpoint.endpoint_id)):
            with pytest.raises(MlflowException) as denied:
                read()
            assert denied.value.error_code == "PERMISSION_DENIED"
            assert key not in str(denied.value) and f"alice-def-{sfx}" not in str(denied.value)

    marker = f"bob-{sfx}"
    with as_client(gw, username=bob.username, password=bob.token):
        with pytest.raises(MlflowException, match="you do not have use access to this gateway_endpoint"):
            judge_of(endpoint.name)(outputs=f"Thank you ({marker})")
    assert provider.received(marker) == []

    with as_client(gw, token=alice.token):
        store = _get_store()
        assert store.get_gateway_endpoint(endpoint_id=endpoint.endpoint_id).name == endpoint.name
        store.delete_gateway_endpoint(endpoint.endpoint_id)
        store.delete_gateway_model_definition(definition.model_definition_id)
        store.delete_gateway_secret(secret.secret_id)
