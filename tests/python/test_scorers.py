"""Evaluation and scorers through ml_studio with the stock client: a custom
@scorer evaluates traced predictions with mlflow.genai.evaluate (locally),
and a built-in scorer is registered in alice's experiment and listed there
(MLflow itself refuses to store custom scorers' code unless the server sets
MLFLOW_SERVER_ENABLE_CUSTOM_SCORERS); bob, with no grant, lists none of
them and registers none there."""

from __future__ import annotations

import uuid

import pytest
from conftest import Stack, User, as_client, cleanup
from mlflow.exceptions import MlflowException


def test_evaluate_and_register_a_scorer(stack: Stack, alice: User, bob: User):
    import mlflow
    from mlflow.genai.scorers import Guidelines, list_scorers, scorer

    @scorer
    def exact(outputs, expectations) -> bool:
        return outputs == expectations["expected"]

    name = f"scorers-{uuid.uuid4().hex[:8]}"
    try:
        with as_client(stack, token=alice.token) as client:
            experiment_id = client.create_experiment(name)
            mlflow.set_experiment(experiment_id=experiment_id)
            data = [
                {"inputs": {"x": i}, "expectations": {"expected": i * 2 + (i == 3)}}
                for i in range(5)
            ]
            result = mlflow.genai.evaluate(data=data, predict_fn=lambda x: x * 2, scorers=[exact])
            assert result.metrics["exact/mean"] == pytest.approx(0.8)
            traces = mlflow.search_traces(locations=[experiment_id], return_type="list")
            assert len(traces) == 5
            assert all(any(a.name == "exact" for a in t.info.assessments) for t in traces)

            polite = Guidelines(name="polite", guidelines="The answer is polite.")
            polite.register(experiment_id=experiment_id)
            assert [s.name for s in list_scorers(experiment_id=experiment_id)] == ["polite"]

        with as_client(stack, token=bob.token):
            with pytest.raises(MlflowException) as denied:
                list_scorers(experiment_id=experiment_id)
            assert denied.value.error_code == "PERMISSION_DENIED"
            with pytest.raises(MlflowException) as denied:
                polite.register(name="bobs", experiment_id=experiment_id)
            assert denied.value.error_code == "PERMISSION_DENIED"
            assert mlflow.search_traces(locations=[experiment_id], return_type="list") == []
    finally:
        cleanup(stack, alice, experiment_name=name)
