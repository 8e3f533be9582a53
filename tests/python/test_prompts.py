"""Prompts through ml_studio with the stock client: a prompt is a registered
model to cerberus, so its creator manages it and others see nothing of it
until granted."""

from __future__ import annotations

import uuid

import pytest
from conftest import Stack, User, as_client, cleanup
from mlflow.exceptions import MlflowException


def test_prompts_as_a_non_admin(stack: Stack, alice: User, bob: User):
    import mlflow

    name = f"prompt-{uuid.uuid4().hex[:8]}"
    secret = f"secret template {uuid.uuid4().hex[:8]}"
    try:
        with as_client(stack, token=alice.token):
            v1 = mlflow.genai.register_prompt(name=name, template=secret + " {{question}}")
            v2 = mlflow.genai.register_prompt(name=name, template=secret + " v2 {{question}}")
            assert (v1.version, v2.version) == (1, 2)
            mlflow.genai.set_prompt_alias(name, alias="production", version=1)
            loaded = mlflow.genai.load_prompt(f"prompts:/{name}@production")
            assert loaded.template == secret + " {{question}}"
            assert mlflow.genai.load_prompt(f"prompts:/{name}/2").version == 2
            assert name in {p.name for p in mlflow.genai.search_prompts(filter_string=f"name = '{name}'")}

        with as_client(stack, token=bob.token):
            with pytest.raises(MlflowException) as denied:
                mlflow.genai.load_prompt(f"prompts:/{name}/1")
            assert secret not in str(denied.value)
            assert name not in {p.name for p in mlflow.genai.search_prompts()}
            with pytest.raises(MlflowException):
                mlflow.genai.register_prompt(name=name, template="bob's {{question}}")
            with pytest.raises(MlflowException):
                mlflow.genai.set_prompt_alias(name, alias="production", version=2)
    finally:
        cleanup(stack, alice, model=name)
