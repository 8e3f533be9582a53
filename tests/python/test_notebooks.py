"""The example notebooks (examples/notebooks/) run headless against the
test stack as alice, with only MLFLOW_TRACKING_URI and MLFLOW_TRACKING_TOKEN.

The Jupyter notebook runs in a real ipykernel of this venv (nbclient); the
Zeppelin note's %python paragraphs run in order as one script (Zeppelin
itself is not installed here), which is what its python interpreter does
with one shared session.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from conftest import EXAMPLES, REPO_ROOT, Stack, User, as_client, cleanup, client_env

PREDICTIONS = re.compile(r"loaded model predictions: \[((?:\d+, )*\d+)\]")


def names() -> dict[str, str]:
    """Fresh names: MLflow outlives the test's cerberus, which would not know
    an experiment or model of an earlier run."""
    suffix = uuid.uuid4().hex[:10]
    return {
        "MLFLOW_EXPERIMENT_NAME": f"pytest-notebook-{suffix}",
        "REGISTERED_MODEL_NAME": f"pytest-notebook-model-{suffix}",
    }


@pytest.fixture
def run_env(stack: Stack, alice: User):
    """alice's notebook environment, with fresh names; what the run made is
    deleted afterwards."""
    env = {**client_env(stack, alice), **names()}
    yield env
    cleanup(stack, alice, experiment_name=env["MLFLOW_EXPERIMENT_NAME"], model=env["REGISTERED_MODEL_NAME"])


def check_registered(stack: Stack, user: User, env: dict[str, str]) -> None:
    """What the notebook logged is there, owned by its user."""
    with as_client(stack, token=user.token) as client:
        experiment = client.get_experiment_by_name(env["MLFLOW_EXPERIMENT_NAME"])
        assert experiment is not None
        (run,) = client.search_runs([experiment.experiment_id])
        assert run.data.params["C"] == "1.0"
        assert {"accuracy", "f1_macro", "accuracy_by_C"} <= set(run.data.metrics)
        assert len(client.get_metric_history(run.info.run_id, "accuracy_by_C")) == 8
        reports = {f.path for f in client.list_artifacts(run.info.run_id, "reports")}
        assert reports == {"reports/coefficients.csv", "reports/confusion_matrix.csv"}
        version = client.get_model_version_by_alias(env["REGISTERED_MODEL_NAME"], "champion")
        assert version.run_id == run.info.run_id


@pytest.fixture
def kernel_home(tmp_path: Path, monkeypatch) -> Path:
    """A python3 kernel spec that runs this venv's interpreter, found before
    any other the machine may have."""
    from ipykernel.kernelspec import write_kernel_spec

    share = tmp_path / "jupyter"
    write_kernel_spec(share / "kernels" / "python3")
    monkeypatch.setenv("JUPYTER_PATH", str(share))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    return tmp_path


def test_jupyter_notebook(stack: Stack, alice: User, kernel_home: Path, run_env: dict[str, str]):
    import nbformat
    from nbclient import NotebookClient

    source = EXAMPLES / "train_and_register.ipynb"
    nb = nbformat.read(source, as_version=4)
    nbformat.validate(nb)
    env = {**run_env, **{k: os.environ[k] for k in ("JUPYTER_PATH", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")}}
    workdir = kernel_home / "work"
    workdir.mkdir()
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=300,
        startup_timeout=120,
        resources={"metadata": {"path": str(workdir)}},
    )
    try:
        client.execute(env=env)  # raises CellExecutionError on the first failing cell
    finally:
        nbformat.write(nb, kernel_home / "executed.ipynb")

    text = "\n".join(
        out.get("text", "") for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
    )
    errors = [out for cell in nb.cells for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    assert not errors, errors
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code"), "every code cell ran"
    match = PREDICTIONS.search(text)
    assert match, f"no predictions in the notebook's output:\n{text}"
    assert len(match.group(1).split(", ")) == 5
    assert f"registered {env['REGISTERED_MODEL_NAME']} version 1 as @champion" in text
    check_registered(stack, alice, env)


def zeppelin_python(note: dict) -> str:
    """The note's %python paragraphs, in order, as one script."""
    parts = []
    for p in note["paragraphs"]:
        text = p.get("text") or ""
        first, _, body = text.partition("\n")
        interpreter = first.strip()
        if interpreter == "%md":
            continue
        assert interpreter in ("%python", "%python.ipython"), f"unexpected paragraph interpreter {interpreter!r}"
        assert p["config"].get("enabled", True), "a disabled paragraph"
        parts.append(f"# ---- paragraph {p['id']}\n{body}\n")
    return "\n".join(parts)


def test_zeppelin_note(stack: Stack, alice: User, tmp_path: Path, run_env: dict[str, str]):
    note = json.loads((EXAMPLES / "train_and_register.zpln").read_text())
    assert note["defaultInterpreterGroup"] == "python"
    script = tmp_path / "train_and_register.py"
    script.write_text(zeppelin_python(note))
    env = run_env
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"the note failed:\n{done.stdout}\n{done.stderr}"
    match = PREDICTIONS.search(done.stdout)
    assert match, f"no predictions in the note's output:\n{done.stdout}"
    assert len(match.group(1).split(", ")) == 5
    check_registered(stack, alice, env)


def test_notebooks_hold_the_same_code():
    """The two examples do not drift apart."""
    import nbformat

    nb = nbformat.read(EXAMPLES / "train_and_register.ipynb", as_version=4)
    jupyter = [c.source.strip() for c in nb.cells if c.cell_type == "code"]
    note = json.loads((EXAMPLES / "train_and_register.zpln").read_text())
    zeppelin = [
        p["text"].partition("\n")[2].strip() for p in note["paragraphs"] if p["text"].startswith("%python")
    ]
    assert jupyter == zeppelin
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"


def readme_train_py() -> str:
    """The train.py of the README's Notebooks section."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("\n## Notebooks\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README's Notebooks section has no python example"
    return match.group(1)


def test_readme_train_py(stack: Stack, alice: User, tmp_path: Path):
    """MLFLOW_TRACKING_URI=... MLFLOW_TRACKING_TOKEN=<token> python train.py"""
    code = readme_train_py()
    fresh = names()
    assert 'mlflow.set_experiment("iris")' in code and '"iris-classifier"' in code
    code = code.replace('"iris"', repr(fresh["MLFLOW_EXPERIMENT_NAME"]))
    code = code.replace('"iris-classifier"', repr(fresh["REGISTERED_MODEL_NAME"]))
    code = code.replace("f\"models:/iris-classifier/", f"f\"models:/{fresh['REGISTERED_MODEL_NAME']}/")
    (tmp_path / "train.py").write_text(code)
    done = subprocess.run(
        [sys.executable, "train.py"], cwd=tmp_path, env=client_env(stack, alice), capture_output=True, text=True,
        timeout=300,
    )
    try:
        assert done.returncode == 0, f"train.py failed:\n{done.stdout}\n{done.stderr}"
        assert re.search(r"^\[0 0 0 0 0\]$", done.stdout, re.M), done.stdout
    finally:
        cleanup(stack, alice, experiment_name=fresh["MLFLOW_EXPERIMENT_NAME"], model=fresh["REGISTERED_MODEL_NAME"])
