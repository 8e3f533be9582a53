"""The stock mlflow client against ml_studio, authorized by cerberus.

alice (create on project:default) logs a whole run through the client and
registers its model; bob (no grant) is refused each call on her items and
his searches do not show them, until alice grants him read through
cerberus's API: then he may read and load, still not log or delete.
"""

from __future__ import annotations

import dataclasses
import filecmp
import os
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import requests
from conftest import Stack, User, as_client, cleanup
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

BATCH_POINTS = 1000  # MLflow's limit of metrics in one log-batch


@dataclasses.dataclass
class World:
    """What alice logged."""

    experiment_id: str
    experiment_name: str
    run_id: str
    model_name: str
    version: str
    logged_model_uri: str  # models:/m-<id>
    logged_model_id: str
    artifacts: Path  # the local directory logged as "inputs"
    sample: np.ndarray
    predictions: np.ndarray


def make_artifacts(root: Path) -> Path:
    d = root / "inputs"
    (d / "nested" / "deeper").mkdir(parents=True)
    (d / "readme.txt").write_text("training inputs of the pytest run\n")
    (d / "nested" / "weights.bin").write_bytes(os.urandom(64 * 1024))
    (d / "nested" / "deeper" / "config.json").write_text('{"alpha": 0.5, "tags": ["ü", "✓"]}\n')
    (d / "empty.txt").write_bytes(b"")
    return d


def same_tree(a: Path, b: Path) -> None:
    """a and b hold the same files, byte for byte."""
    files_a = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    _, mismatch, errors = filecmp.cmpfiles(a, b, files_a, shallow=False)
    assert not mismatch and not errors, (mismatch, errors)


@pytest.fixture(scope="module")
def world(stack: Stack, alice: User, tmp_path_factory) -> World:
    import mlflow
    import mlflow.sklearn
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    suffix = uuid.uuid4().hex[:10]
    tmp = tmp_path_factory.mktemp("alice")
    artifacts = make_artifacts(tmp)
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    sample = X[::30]

    with as_client(stack, token=alice.token) as client:
        name = f"pytest-experiment-{suffix}"
        experiment_id = mlflow.create_experiment(name)
        with mlflow.start_run(experiment_id=experiment_id) as run:
            run_id = run.info.run_id
            mlflow.log_param("C", 1.0)
            mlflow.log_params({"solver": "lbfgs", "max_iter": 500})
            mlflow.set_tag("owner", "alice")
            mlflow.log_metric("accuracy", float(model.score(X, y)))
            now = int(time.time() * 1000)
            client.log_batch(
                run_id,
                metrics=[Metric("loss", 1.0 / (step + 1), now + step, step) for step in range(BATCH_POINTS)],
            )
            mlflow.log_metrics({"precision": 0.9, "recall": 0.8}, step=1)
            mlflow.log_artifacts(str(artifacts), artifact_path="inputs")
            info = mlflow.sklearn.log_model(model, name="model", input_example=sample)
        model_name = f"pytest-model-{suffix}"
        version = mlflow.register_model(info.model_uri, model_name)
        client.set_registered_model_alias(model_name, "champion", version.version)

    yield World(
        experiment_id=experiment_id,
        experiment_name=name,
        run_id=run_id,
        model_name=model_name,
        version=str(version.version),
        logged_model_uri=info.model_uri,
        logged_model_id=info.model_id,
        artifacts=artifacts,
        sample=sample,
        predictions=model.predict(sample),
    )
    cleanup(stack, alice, experiment_id=experiment_id, model=model_name)


def http_status(exc: BaseException) -> int | None:
    if isinstance(exc, MlflowException):
        if exc.error_code == "PERMISSION_DENIED":
            return 403
        return exc.get_http_status_code()
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return exc.response.status_code
    return None


def assert_refused(call, status: int = 403, what: str = "the call") -> None:
    """call raises what the stock client raises for status (403: an
    MlflowException with PERMISSION_DENIED, or the artifact repository's
    HTTPError)."""
    try:
        call()
    except (MlflowException, requests.HTTPError) as e:
        assert http_status(e) == status, f"{what}: expected {status}, got {e!r}"
    else:
        raise AssertionError(f"{what}: succeeded, expected {status}")


def load_model(uri: str):
    import mlflow.pyfunc

    return mlflow.pyfunc.load_model(uri)


def download(dst: Path, **kw) -> Path:
    import mlflow.artifacts

    return Path(mlflow.artifacts.download_artifacts(dst_path=str(dst), **kw))


def list_by_uri(uri: str):
    import mlflow.artifacts

    return mlflow.artifacts.list_artifacts(artifact_uri=uri)


def client_log_artifact(run_id: str, src: Path) -> None:
    import mlflow

    mlflow.MlflowClient().log_artifact(run_id, str(src))


def upload_to_run(world: World, src: Path) -> None:
    """Straight to the artifact proxy, as log_artifact does once it has the run."""
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    repo = get_artifact_repository(f"mlflow-artifacts:/{world.experiment_id}/{world.run_id}/artifacts")
    repo.log_artifact(str(src), "intruder")


# ---- alice, the owner ---------------------------------------------------------


def test_owner_reads_back_what_she_logged(stack: Stack, alice: User, world: World, tmp_path: Path):
    import mlflow

    with as_client(stack, token=alice.token) as client:
        run = client.get_run(world.run_id)
        assert run.data.params == {"C": "1.0", "solver": "lbfgs", "max_iter": "500"}
        assert run.data.tags["owner"] == "alice"
        assert {"accuracy", "loss", "precision", "recall"} <= set(run.data.metrics)
        history = client.get_metric_history(world.run_id, "loss")
        assert sorted(m.step for m in history) == list(range(BATCH_POINTS))

        listed = {f.path for f in client.list_artifacts(world.run_id, "inputs")}
        assert listed == {"inputs/readme.txt", "inputs/nested", "inputs/empty.txt"}
        got = download(tmp_path / "dl", run_id=world.run_id, artifact_path="inputs")
        same_tree(world.artifacts, got)

        assert client.get_experiment(world.experiment_id).name == world.experiment_name
        assert client.get_model_version_by_alias(world.model_name, "champion").version == world.version
        for uri in (
            f"models:/{world.model_name}@champion",
            f"models:/{world.model_name}/{world.version}",
            f"runs:/{world.run_id}/model",
        ):
            np.testing.assert_array_equal(load_model(uri).predict(world.sample), world.predictions)

        runs = mlflow.search_runs(experiment_ids=[world.experiment_id], output_format="list")
        assert [r.info.run_id for r in runs] == [world.run_id]
        names = [m.name for m in client.search_registered_models(filter_string=f"name = '{world.model_name}'")]
        assert names == [world.model_name]

        # Registering again under the same name: the client meets "already
        # exists" on the model and goes on to a new version.
        again = mlflow.register_model(world.logged_model_uri, world.model_name)
        assert int(again.version) > int(world.version)
        assert client.get_model_version_by_alias(world.model_name, "champion").version == world.version


# ---- bob, without any grant ---------------------------------------------------

# Each call bob's stock client makes on alice's items, and must be refused.
DENIED = {
    "get_experiment": lambda c, w: c.get_experiment(w.experiment_id),
    "get_experiment_by_name": lambda c, w: c.get_experiment_by_name(w.experiment_name),
    "set_experiment_tag": lambda c, w: c.set_experiment_tag(w.experiment_id, "k", "v"),
    "delete_experiment": lambda c, w: c.delete_experiment(w.experiment_id),
    "create_run": lambda c, w: c.create_run(w.experiment_id),
    "get_run": lambda c, w: c.get_run(w.run_id),
    "get_metric_history": lambda c, w: c.get_metric_history(w.run_id, "loss"),
    "log_metric": lambda c, w: c.log_metric(w.run_id, "loss", 0.5, step=7),
    "log_param": lambda c, w: c.log_param(w.run_id, "intruder", "bob"),
    "log_batch": lambda c, w: c.log_batch(
        w.run_id, metrics=[Metric("m", 1.0, 0, 0)], params=[Param("p", "v")], tags=[RunTag("t", "v")]
    ),
    "set_tag": lambda c, w: c.set_tag(w.run_id, "owner", "bob"),
    "delete_run": lambda c, w: c.delete_run(w.run_id),
    "list_artifacts": lambda c, w: c.list_artifacts(w.run_id),
    "list_artifacts_by_uri": lambda c, w: list_by_uri(f"mlflow-artifacts:/{w.experiment_id}/{w.run_id}/artifacts/inputs"),
    "get_registered_model": lambda c, w: c.get_registered_model(w.model_name),
    "get_model_version": lambda c, w: c.get_model_version(w.model_name, w.version),
    "get_model_version_by_alias": lambda c, w: c.get_model_version_by_alias(w.model_name, "champion"),
    "get_model_version_download_uri": lambda c, w: c.get_model_version_download_uri(w.model_name, w.version),
    "get_logged_model": lambda c, w: c.get_logged_model(w.logged_model_id),
    "load_model_version": lambda c, w: load_model(f"models:/{w.model_name}/{w.version}"),
    "load_model_alias": lambda c, w: load_model(f"models:/{w.model_name}@champion"),
    "load_logged_model": lambda c, w: load_model(w.logged_model_uri),
    "load_run_model": lambda c, w: load_model(f"runs:/{w.run_id}/model"),
    "set_alias": lambda c, w: c.set_registered_model_alias(w.model_name, "bobs", w.version),
    "delete_alias": lambda c, w: c.delete_registered_model_alias(w.model_name, "champion"),
    "update_registered_model": lambda c, w: c.update_registered_model(w.model_name, description="bob was here"),
    "create_model_version": lambda c, w: c.create_model_version(
        w.model_name, f"runs:/{w.run_id}/model", run_id=w.run_id
    ),
    "delete_model_version": lambda c, w: c.delete_model_version(w.model_name, w.version),
    "rename_model": lambda c, w: c.rename_registered_model(w.model_name, w.model_name + "-bob"),
    "delete_model": lambda c, w: c.delete_registered_model(w.model_name),
}

# Calls that take a local path.
DENIED_WITH_PATH = {
    "download_artifacts": lambda w, p: download(p, run_id=w.run_id, artifact_path="inputs"),
    "download_artifacts_by_uri": lambda w, p: download(
        p, artifact_uri=f"mlflow-artifacts:/{w.experiment_id}/{w.run_id}/artifacts/inputs/readme.txt"
    ),
    "download_model_artifacts": lambda w, p: download(p, artifact_uri=f"models:/{w.model_name}/{w.version}"),
    "log_artifact": lambda w, p: client_log_artifact(w.run_id, p / "f.txt"),
    "upload_artifact_by_uri": lambda w, p: upload_to_run(w, p / "f.txt"),
}


@pytest.mark.parametrize("call", DENIED.values(), ids=DENIED.keys())
def test_other_user_is_refused(stack: Stack, bob: User, world: World, call):
    with as_client(stack, token=bob.token) as client:
        assert_refused(lambda: call(client, world))


@pytest.mark.parametrize("call", DENIED_WITH_PATH.values(), ids=DENIED_WITH_PATH.keys())
def test_other_user_is_refused_artifacts(stack: Stack, bob: User, world: World, call, tmp_path: Path):
    (tmp_path / "f.txt").write_text("from bob\n")
    with as_client(stack, token=bob.token):
        assert_refused(lambda: call(world, tmp_path))
    assert not list((tmp_path).glob("inputs*")), "nothing may have been downloaded"


def test_other_user_searches_do_not_show_them(stack: Stack, bob: User, world: World):
    import mlflow

    with as_client(stack, token=bob.token) as client:
        assert world.experiment_id not in {e.experiment_id for e in client.search_experiments(max_results=1000)}
        assert client.search_experiments(filter_string=f"name = '{world.experiment_name}'") == []
        assert list(client.search_runs([world.experiment_id])) == []
        assert mlflow.search_runs(experiment_ids=[world.experiment_id], output_format="list") == []
        assert world.model_name not in {m.name for m in client.search_registered_models(max_results=1000)}
        assert list(client.search_registered_models(filter_string=f"name = '{world.model_name}'")) == []
        assert list(client.search_model_versions(f"name = '{world.model_name}'")) == []
        assert list(client.search_logged_models(experiment_ids=[world.experiment_id])) == []


# ---- alice grants bob read -----------------------------------------------------

WRITES_AFTER_READ_GRANT = (
    "log_metric",
    "log_param",
    "log_batch",
    "set_tag",
    "delete_run",
    "create_run",
    "set_experiment_tag",
    "delete_experiment",
    "set_alias",
    "delete_alias",
    "update_registered_model",
    "create_model_version",
    "delete_model_version",
    "rename_model",
    "delete_model",
)


def test_read_grant_lets_other_user_read_not_write(stack: Stack, alice: User, bob: User, world: World, tmp_path: Path):
    import mlflow

    elements = (f"experiment:{world.experiment_id}", f"registered_model:{world.model_name}")
    # alice created both, so she holds manage on them and may grant, with her API token.
    for element in elements:
        stack.grant(alice.token, element, "read", "bob")
    try:
        with as_client(stack, token=bob.token) as client:
            run = client.get_run(world.run_id)
            assert run.data.params["C"] == "1.0"
            assert len(client.get_metric_history(world.run_id, "loss")) == BATCH_POINTS
            same_tree(world.artifacts, download(tmp_path / "run", run_id=world.run_id, artifact_path="inputs"))
            same_tree(
                world.artifacts,
                download(
                    tmp_path / "uri",
                    artifact_uri=f"mlflow-artifacts:/{world.experiment_id}/{world.run_id}/artifacts/inputs",
                ),
            )
            for uri in (
                f"models:/{world.model_name}@champion",
                f"models:/{world.model_name}/{world.version}",
                world.logged_model_uri,
                f"runs:/{world.run_id}/model",
            ):
                np.testing.assert_array_equal(load_model(uri).predict(world.sample), world.predictions)
            assert world.experiment_id in {e.experiment_id for e in client.search_experiments(max_results=1000)}
            runs = mlflow.search_runs(experiment_ids=[world.experiment_id], output_format="list")
            assert [r.info.run_id for r in runs] == [world.run_id]
            names = [m.name for m in client.search_registered_models(filter_string=f"name = '{world.model_name}'")]
            assert names == [world.model_name]

            for name in WRITES_AFTER_READ_GRANT:
                assert_refused(lambda: DENIED[name](client, world), what=name)
            (tmp_path / "f.txt").write_text("from bob\n")
            assert_refused(lambda: upload_to_run(world, tmp_path / "f.txt"), what="upload_artifact_by_uri")
            assert_refused(lambda: client.log_artifact(world.run_id, str(tmp_path / "f.txt")), what="log_artifact")
    finally:
        for element in elements:
            stack.revoke(alice.token, element, "read", "bob")

    # Nothing bob tried reached MLflow.
    with as_client(stack, token=alice.token) as client:
        run = client.get_run(world.run_id)
        assert run.info.lifecycle_stage == "active"
        assert set(run.data.params) == {"C", "solver", "max_iter"}
        assert run.data.tags["owner"] == "alice"
        assert {f.path for f in client.list_artifacts(world.run_id)} == {"inputs"}
        model = client.get_registered_model(world.model_name)
        assert model.aliases == {"champion": world.version}
        assert not model.description
        assert client.get_experiment(world.experiment_id).lifecycle_stage == "active"
    # And the grant is gone again.
    with as_client(stack, token=bob.token) as client:
        assert_refused(lambda: client.get_run(world.run_id))


# ---- how credentials reach ml_studio -------------------------------------------


def test_basic_auth_with_password_or_token(stack: Stack, alice: User, bob: User, world: World):
    for password in (alice.password, alice.token):
        with as_client(stack, username=alice.username, password=password) as client:
            assert client.get_experiment(world.experiment_id).name == world.experiment_name
            assert client.get_registered_model(world.model_name).name == world.model_name
    # bob's own password is his, not alice's access.
    with as_client(stack, username=bob.username, password=bob.password) as client:
        assert_refused(lambda: client.get_experiment(world.experiment_id))
    with as_client(stack, username=alice.username, password="wrong-password-entirely") as client:
        assert_refused(lambda: client.get_experiment(world.experiment_id), 401)
    with as_client(stack, username=alice.username, password=bob.token) as client:
        assert_refused(lambda: client.get_experiment(world.experiment_id), 401)


def test_no_or_bad_credentials_401(stack: Stack, world: World, tmp_path: Path):
    with as_client(stack) as client:
        assert_refused(lambda: client.search_experiments(), 401)
        assert_refused(lambda: client.get_experiment(world.experiment_id), 401)
        assert_refused(lambda: client.create_experiment(f"anonymous-{uuid.uuid4().hex}"), 401)
        assert_refused(
            lambda: download(
                tmp_path, artifact_uri=f"mlflow-artifacts:/{world.experiment_id}/{world.run_id}/artifacts/inputs"
            ),
            401,
        )
    with as_client(stack, token="mlt_not-a-real-token") as client:
        assert_refused(lambda: client.get_run(world.run_id), 401)
    for path in (
        f"/api/2.0/mlflow/runs/get?run_id={world.run_id}",
        f"/ajax-api/2.0/mlflow/runs/get?run_id={world.run_id}",
        f"/api/2.0/mlflow-artifacts/artifacts?path={world.experiment_id}/{world.run_id}/artifacts",
        f"/get-artifact?run_id={world.run_id}&path=inputs/readme.txt",
        f"/model-versions/get-artifact?name={world.model_name}&version={world.version}&path=MLmodel",
    ):
        r = requests.get(stack.url + path, timeout=30)
        assert r.status_code == 401, (path, r.status_code, r.text)
        assert "WWW-Authenticate" in r.headers


# ---- endpoints the gateway never forwards ---------------------------------------


def refused_calls(w: World) -> list[tuple[str, str, dict | None]]:
    artifact = f"{w.experiment_id}/{w.run_id}/artifacts/inputs/readme.txt"
    calls = [
        ("GET", f"/api/2.0/mlflow-artifacts/presigned/{artifact}", None),
        ("POST", f"/api/2.0/mlflow-artifacts/presigned/{artifact}", {}),
        ("GET", f"/ajax-api/2.0/mlflow-artifacts/presigned/{artifact}", None),
        # GraphQL is served field by field on POST /graphql only; MLflow has
        # no /ajax-api twin of it.
        ("POST", "/ajax-api/graphql", {"query": "{ test { output } }"}),
        ("POST", "/api/2.0/mlflow/traces/search", {"experiment_ids": [w.experiment_id]}),
        ("POST", "/api/2.0/mlflow/artifacts/presigned-upload-url", {"run_id": w.run_id, "path": "x.txt"}),
        ("POST", "/ajax-api/2.0/mlflow/artifacts/presigned-upload-url", {"run_id": w.run_id, "path": "x.txt"}),
        ("POST", "/api/2.0/mlflow/artifacts/presigned-download-url", {"run_id": w.run_id, "path": "x.txt"}),
    ]
    return calls


def test_gateway_refuses_bypasses(stack: Stack, alice: User, world: World):
    """Presigned URLs, and spellings MLflow does not serve, would reach data
    around the rule table: for a normal user (even the owner) they are 403
    or 404."""
    headers = {"Authorization": f"Bearer {alice.token}"}
    failures = []
    for method, path, body in refused_calls(world):
        r = requests.request(method, stack.url + path, json=body, headers=headers, timeout=30)
        if r.status_code not in (403, 404):
            failures.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
    assert not failures, "\n".join(failures)
