"""Evaluation datasets through ml_studio with the stock client: a dataset
belongs to experiments; alice creates one in hers, merges records and
reads them back (by id and by name); bob, with no grant, finds none of it,
reads none and changes none."""

from __future__ import annotations

import uuid

import pytest
from conftest import Stack, User, as_client, cleanup
from mlflow.exceptions import MlflowException


def test_datasets_stay_with_their_experiments(stack: Stack, alice: User, bob: User):
    from mlflow.genai import datasets

    name = f"datasets-{uuid.uuid4().hex[:8]}"
    dataset_name = f"qa-{uuid.uuid4().hex[:8]}"
    secret = f"secret question {uuid.uuid4().hex[:8]}"
    try:
        with as_client(stack, token=alice.token) as client:
            experiment_id = client.create_experiment(name)
            ds = datasets.create_dataset(name=dataset_name, experiment_id=experiment_id, tags={"team": "qa"})
            ds.merge_records([
                {"inputs": {"question": secret}, "expectations": {"answer": "42"}},
                {"inputs": {"question": "2 + 2"}, "expectations": {"answer": "4"}},
            ])
            by_id = datasets.get_dataset(dataset_id=ds.dataset_id)
            df = by_id.to_df()
            assert len(df) == 2
            assert secret in str(df["inputs"].tolist())
            assert datasets.get_dataset(name=dataset_name).dataset_id == ds.dataset_id
            assert [d.dataset_id for d in datasets.search_datasets(experiment_ids=[experiment_id])] == [ds.dataset_id]

        with as_client(stack, token=bob.token):
            assert datasets.search_datasets(experiment_ids=[experiment_id]) == []
            assert ds.dataset_id not in {d.dataset_id for d in datasets.search_datasets(filter_string=f"name = '{dataset_name}'")}
            with pytest.raises(MlflowException) as denied:
                datasets.get_dataset(dataset_id=ds.dataset_id).to_df()
            assert secret not in str(denied.value)
            for write in (
                lambda: datasets.set_dataset_tags(dataset_id=ds.dataset_id, tags={"bob": "was here"}),
                lambda: datasets.delete_dataset(dataset_id=ds.dataset_id),
                lambda: datasets.create_dataset(name="bobs", experiment_id=experiment_id),
            ):
                with pytest.raises(MlflowException) as denied:
                    write()
                assert denied.value.error_code == "PERMISSION_DENIED", denied.value

        with as_client(stack, token=alice.token):
            again = datasets.get_dataset(dataset_id=ds.dataset_id)
            assert "bob" not in again.tags
            assert len(again.to_df()) == 2
    finally:
        cleanup(stack, alice, experiment_name=name)
