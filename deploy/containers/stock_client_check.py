"""The stock mlflow client and two users against a composed stack.

Run by deploy/composetest (make test-compose) with the pinned client of
.venv/pytest (deploy/local/pytest-env.sh install):

    python stock_client_check.py seed    alice logs a run (params, metrics, an
                                          artifact folder), registers a model;
                                          bob is refused until alice grants him read
    python stock_client_check.py verify  what seed logged is still there (after
                                          compose down + up), read by alice

Environment: ML_STUDIO_URL (the MLFLOW_TRACKING_URI: ml_studio), CERBERUS_URL,
ADMIN_USERNAME, ADMIN_PASSWORD, STATE (a JSON file seed writes and verify reads).
"""

from __future__ import annotations

import filecmp
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

URL = os.environ["ML_STUDIO_URL"].rstrip("/")
CERBERUS = os.environ["CERBERUS_URL"].rstrip("/")
STATE = Path(os.environ["STATE"])
for k in list(os.environ):
    if k.startswith("MLFLOW_") and k != "MLFLOW_DISABLE_TELEMETRY":
        del os.environ[k]
os.environ.update({
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "GIT_PYTHON_REFRESH": "quiet",
    "MLFLOW_TRACKING_URI": URL,
})

import mlflow  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402


def cerberus(method: str, path: str, token: str, **kw) -> requests.Response:
    return requests.request(method, CERBERUS + path, headers={"Authorization": f"Bearer {token}"}, timeout=30, **kw)


def login(username: str, password: str) -> str:
    r = requests.post(CERBERUS + "/api/auth/login", json={"username": username, "password": password}, timeout=30)
    assert r.status_code == 200, f"login {username}: {r.status_code} {r.text}"
    return r.json()["token"]


def new_user(admin: str, username: str) -> tuple[str, str]:
    password = f"{username}-pw-{uuid.uuid4().hex[:8]}"
    r = cerberus("POST", "/api/users", admin, json={"username": username, "password": password})
    assert r.status_code == 201, f"create {username}: {r.status_code} {r.text}"
    r = cerberus("POST", "/api/tokens", login(username, password), json={"name": "compose-test"})
    assert r.status_code == 201, r.text
    return password, r.json()["token"]


def grant(token: str, element: str, operation: str, user: str) -> None:
    r = cerberus("POST", "/api/grants", token, json={"element": element, "operation": operation, "user": user})
    assert r.status_code == 201, f"grant {element} {operation} {user}: {r.status_code} {r.text}"


def client(token: str) -> mlflow.MlflowClient:
    os.environ["MLFLOW_TRACKING_TOKEN"] = token
    mlflow.set_tracking_uri(URL)
    mlflow.set_registry_uri(URL)
    return mlflow.MlflowClient(tracking_uri=URL, registry_uri=URL)


def refused(call, *args) -> None:
    try:
        call(*args)
    except MlflowException as e:
        assert e.error_code in ("PERMISSION_DENIED", "RESOURCE_DOES_NOT_EXIST"), e.error_code
        return
    raise AssertionError(f"{call.__name__}{args} was allowed")


def same_tree(a: Path, b: Path) -> None:
    fa = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    fb = sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    assert fa == fb, (fa, fb)
    _, mismatch, errors = filecmp.cmpfiles(a, b, fa, shallow=False)
    assert not mismatch and not errors, (mismatch, errors)


def seed() -> None:
    admin = login(os.environ["ADMIN_USERNAME"], os.environ["ADMIN_PASSWORD"])
    suffix = uuid.uuid4().hex[:8]
    alice, bob = f"alice-{suffix}", f"bob-{suffix}"
    alice_pw, alice_token = new_user(admin, alice)
    _, bob_token = new_user(admin, bob)
    grant(admin, "project:default", "create", alice)

    work = Path(tempfile.mkdtemp())
    inputs = work / "inputs"
    (inputs / "nested").mkdir(parents=True)
    (inputs / "readme.txt").write_text("compose acceptance test\n")
    (inputs / "nested" / "weights.bin").write_bytes(os.urandom(32 * 1024))

    c = client(alice_token)
    name = f"compose-{suffix}"
    experiment_id = mlflow.create_experiment(name)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_param("C", "1.0")
        for step in range(20):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.set_tag("stage", "compose")
        mlflow.log_artifacts(str(inputs), artifact_path="inputs")
    run_id = run.info.run_id
    model = f"compose-model-{suffix}"
    c.create_registered_model(model)
    version = c.create_model_version(model, f"runs:/{run_id}/inputs", run_id=run_id).version
    got = c.get_run(run_id)
    assert got.data.params["C"] == "1.0" and got.info.user_id == alice, got
    assert len(c.get_metric_history(run_id, "loss")) == 20
    same_tree(inputs, Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="inputs", dst_path=str(work / "dl"))))
    assert [r.info.run_id for r in c.search_runs([experiment_id])] == [run_id]

    # bob holds no grant: refused on alice's items, and his searches do not show them.
    b = client(bob_token)
    refused(b.get_experiment, experiment_id)
    refused(b.get_run, run_id)
    refused(b.get_registered_model, model)
    assert experiment_id not in [e.experiment_id for e in b.search_experiments()]
    # alice (manage on what she created) grants him read: he reads, still cannot write.
    grant(alice_token, f"experiment:{experiment_id}", "read", bob)
    # ml_studio reuses cerberus's earlier refusal for ML_STUDIO_DECISION_CACHE (2 s).
    deadline = time.monotonic() + 15
    while True:
        try:
            assert b.get_run(run_id).data.params["C"] == "1.0"
            break
        except MlflowException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    refused(b.log_param, run_id, "x", "1")
    refused(b.delete_experiment, experiment_id)

    STATE.write_text(json.dumps({
        "alice": alice, "alice_password": alice_pw, "experiment_id": experiment_id, "experiment": name,
        "run_id": run_id, "model": model, "version": str(version), "inputs": str(inputs),
    }))
    print(f"seeded {name} run {run_id} model {model} v{version}; bob refused, then read-only")


def verify() -> None:
    s = json.loads(STATE.read_text())
    c = client(login(s["alice"], s["alice_password"]))
    assert c.get_experiment_by_name(s["experiment"]).experiment_id == s["experiment_id"]
    run = c.get_run(s["run_id"])
    assert run.data.params["C"] == "1.0" and run.data.tags["stage"] == "compose"
    assert len(c.get_metric_history(s["run_id"], "loss")) == 20
    assert c.get_model_version(s["model"], s["version"]).run_id == s["run_id"]
    dst = Path(tempfile.mkdtemp())
    same_tree(Path(s["inputs"]), Path(mlflow.artifacts.download_artifacts(run_id=s["run_id"], artifact_path="inputs", dst_path=str(dst))))
    print(f"still there: {s['experiment']} run {s['run_id']} model {s['model']} v{s['version']}, artifacts byte for byte")


if __name__ == "__main__":
    {"seed": seed, "verify": verify}[sys.argv[1]]()
