"""Traces through ml_studio with the stock client: authorized through the
experiment they are logged in.

alice traces five calls (nested spans) in her experiment, finds them with
search_traces, reads their spans (sent over OTLP), and adds feedback, an expectation and a
tag; bob, with no grant, finds none of them and can change none.
"""

from __future__ import annotations

import uuid

import pytest
from conftest import Stack, User, as_client, cleanup
from mlflow.exceptions import MlflowException


def test_traces_stay_with_their_experiment(stack: Stack, alice: User, bob: User):
    import mlflow

    name = f"traces-{uuid.uuid4().hex[:8]}"
    secret = f"secret-input-{uuid.uuid4().hex[:8]}"
    try:
        with as_client(stack, token=alice.token) as client:
            experiment_id = client.create_experiment(name)
            mlflow.set_experiment(experiment_id=experiment_id)

            @mlflow.trace
            def double(x: int) -> int:
                return x * 2

            @mlflow.trace
            def answer(question: str, x: int) -> int:
                return double(x) + 1

            for i in range(5):
                answer(secret, i)
            mlflow.flush_trace_async_logging()

            traces = mlflow.search_traces(locations=[experiment_id], return_type="list")
            assert len(traces) == 5
            assert all(len(t.data.spans) == 2 for t in traces), [len(t.data.spans) for t in traces]
            trace_id = traces[0].info.trace_id
            mlflow.log_feedback(trace_id=trace_id, name="quality", value=True)
            mlflow.log_expectation(trace_id=trace_id, name="expected", value=3)
            client.set_trace_tag(trace_id, "reviewed", "yes")
            trace = mlflow.get_trace(trace_id)
            assert trace.info.tags["reviewed"] == "yes"
            assert {a.name for a in trace.info.assessments} >= {"quality", "expected"}
            assert secret in str(trace.data.spans[0].inputs)
            # the spans came over OTLP (/v1/traces) into the tracking store,
            # not as artifacts: ml_studio serves MLflow's span ingest
            assert trace.info.tags.get("mlflow.trace.spansLocation") == "TRACKING_STORE", trace.info.tags

        with as_client(stack, token=bob.token) as client:
            assert mlflow.search_traces(locations=[experiment_id], return_type="list") == []
            with pytest.raises(MlflowException) as denied:
                client.get_trace(trace_id)
            assert secret not in str(denied.value)
            for write in (
                lambda: mlflow.log_feedback(trace_id=trace_id, name="quality", value=False),
                lambda: client.set_trace_tag(trace_id, "bob", "was here"),
                lambda: client.delete_trace_tag(trace_id, "reviewed"),
                lambda: client.delete_traces(experiment_id=experiment_id, trace_ids=[trace_id]),
            ):
                with pytest.raises(MlflowException) as denied:
                    write()
                assert denied.value.error_code == "PERMISSION_DENIED", denied.value

        with as_client(stack, token=alice.token) as client:
            trace = mlflow.get_trace(trace_id)
            assert "bob" not in trace.info.tags
            assert [a.value for a in trace.info.assessments if a.name == "quality"] == [True]
            assert len(mlflow.search_traces(locations=[experiment_id], return_type="list")) == 5
    finally:
        cleanup(stack, alice, experiment_name=name)
