"""Seeds what depth.e2e.ts shows, with the stock MLflow client through ml_studio.

Environment: MLFLOW_TRACKING_URI (ml_studio), MLFLOW_TRACKING_TOKEN (the
user's token), SEED_EXPERIMENT_ID. Prints one JSON object with the ids made.

- train: a run as `mlflow run` / a git checkout leaves it (source name and
  type, git commit and repo URL, entry point), a description, params,
  metrics and system metrics, two dataset inputs, a model logged the MLflow 3
  way (a logged model, models:/m-...) with a signature and an input example,
  and and an older-style model's MLmodel in an artifact directory (legacy/model).
- sweep-a/-b/-c: runs of other optimizers and states (FAILED, KILLED), one
  started three days ago, for the runs list's group-by and filters.
"""

import json
import os
import time

import mlflow
import pandas as pd
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient


class Churn(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return (model_input["tenure_months"] < 12).astype(int)


def main():
    exp_id = os.environ["SEED_EXPERIMENT_ID"]
    client = MlflowClient()
    mlflow.set_experiment(experiment_id=exp_id)
    x = pd.DataFrame({"tenure_months": [3.0, 24.0, 7.0], "monthly_fee": [29.9, 49.9, 19.9], "plan": ["basic", "pro", "basic"]})
    y = pd.Series([1, 0, 1], name="churned")
    sig = infer_signature(x, Churn().predict(None, x))
    out = {}
    with mlflow.start_run(run_name="train") as run:
        rid = run.info.run_id
        mlflow.set_tags(
            {
                "mlflow.source.name": "train.py",
                "mlflow.source.type": "PROJECT",
                "mlflow.source.git.commit": "3f2c9a1b7d4e5f60718293a4b5c6d7e8f9012345",
                "mlflow.source.git.repoURL": "https://github.com/acme/churn.git",
                "mlflow.project.entryPoint": "train",
                "mlflow.note.content": "Baseline churn model on the Q3 snapshot.",
                "optimizer_family": "adaptive",
            }
        )
        mlflow.log_params({"optimizer": "adam", "lr": "0.01"})
        for step in range(3):
            mlflow.log_metrics({"loss": 1.0 / (step + 1), "system/cpu_utilization_percentage": 40.0 + step, "system/system_memory_usage_megabytes": 900.0 + step * 10}, step=step)
        mlflow.log_input(mlflow.data.from_pandas(x.assign(churned=y), name="churn-q3", targets="churned"), context="training")
        mlflow.log_input(mlflow.data.from_pandas(x.head(2), name="churn-holdout"), context="eval")
        info = mlflow.pyfunc.log_model(name="churn", python_model=Churn(), signature=sig, input_example=x.head(2), pip_requirements=["pandas"])
        out["model_id"] = info.model_id
        # A model saved the MLflow 2 way into the run's artifacts: only its MLmodel matters here.
        mlflow.log_text(
            "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n"
            f"mlflow_version: {mlflow.__version__}\nrun_id: {rid}\nsignature:\n"
            f"  inputs: '{sig.inputs.to_json()}'\n  outputs: '{sig.outputs.to_json()}'\n  params: null\n",
            "legacy/model/MLmodel",
        )
    out["train"] = rid
    now = int(time.time() * 1000)
    for name, opt, status, ago in [("sweep-a", "sgd", "FAILED", 0), ("sweep-b", "sgd", "KILLED", 0), ("sweep-c", "adam", "FINISHED", 3 * 86_400_000)]:
        r = client.create_run(exp_id, run_name=name, start_time=now - ago - 60_000)
        client.log_param(r.info.run_id, "optimizer", opt)
        client.log_metric(r.info.run_id, "loss", 0.5, step=0)
        client.set_terminated(r.info.run_id, status=status, end_time=now - ago)
        out[name] = r.info.run_id
    print(json.dumps(out))


if __name__ == "__main__":
    main()
