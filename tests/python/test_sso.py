"""The stock mlflow client with an identity provider's token (make test-sso).

A CI job takes a client-credentials token from the real Keycloak of
deploy/local/keycloak.sh (client ml-studio-ci of deploy/keycloak/) and uses
it as MLFLOW_TRACKING_TOKEN through ml_studio: refused before its group has
a grant, working after; a tampered token is refused; deprovisioned over
SCIM, the job is refused on its next call.
"""

from __future__ import annotations

import os
import uuid

import pytest
import requests
from conftest import Stack, as_client, in_ci

pytestmark = pytest.mark.sso

CI_CLIENT, CI_SECRET = "ml-studio-ci", "ml-studio-ci-dev-secret"
CI_ACCOUNT = "service-account-ml-studio-ci"


@pytest.fixture(scope="module")
def issuer(stack: Stack) -> str:
    if not stack.oidc_issuer:
        msg = "no OpenID provider: run make test-sso (ML_STUDIO_TEST_OIDC_ISSUER, _CLIENT_ID, _CLIENT_SECRET)"
        if in_ci() or os.environ.get("ML_STUDIO_TEST_OIDC_ISSUER"):
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    return stack.oidc_issuer


def client_credentials(issuer: str) -> str:
    r = requests.post(
        issuer + "/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": CI_CLIENT, "client_secret": CI_SECRET},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def scim(stack: Stack, method: str, path: str, **kw) -> requests.Response:
    return requests.request(
        method, stack.cerberus_url + "/scim/v2" + path, headers={"Authorization": f"Bearer {stack.scim_token}"}, timeout=30, **kw
    )


def test_stock_client_with_a_client_credentials_token(stack: Stack, admin_token: str, issuer: str):
    from mlflow.exceptions import MlflowException

    token = client_credentials(issuer)
    suffix = uuid.uuid4().hex[:10]  # MLflow outlives the session: names are unique per run
    # The CI job's group, made ahead as the provider's, has no grant yet.
    r = stack.cerberus("POST", "/api/groups", admin_token, json={"name": "ml-ci", "idp_managed": True})
    assert r.status_code in (201, 409), r.text
    with as_client(stack, token=token) as client:
        with pytest.raises(MlflowException) as refused:
            client.create_experiment(f"sso-ci-before-grant-{suffix}")
        assert refused.value.error_code == "PERMISSION_DENIED", refused.value

        r = stack.cerberus("POST", "/api/grants", admin_token, json={"element": "project:default", "operation": "create", "group": "ml-ci"})
        assert r.status_code == 201, r.text
        import mlflow

        exp_id = client.create_experiment(f"sso-ci-experiment-{suffix}")
        with mlflow.start_run(experiment_id=exp_id) as run:
            mlflow.log_param("alpha", "0.5")
            mlflow.log_metric("loss", 0.25)
        got = client.get_run(run.info.run_id)
        assert got.data.params == {"alpha": "0.5"} and got.data.metrics == {"loss": 0.25}
        assert exp_id in [e.experiment_id for e in client.search_experiments()]

    # A tampered token (a changed signature) is refused.
    head, payload, sig = token.split(".")
    tampered = ".".join((head, payload, ("A" if sig[0] != "A" else "B") + sig[1:]))
    with as_client(stack, token=tampered) as client:
        with pytest.raises(MlflowException) as refused:
            client.search_experiments()
        assert "401" in str(refused.value) or refused.value.error_code == "UNAUTHENTICATED", refused.value

    # Deprovisioned over SCIM, the job is refused on its next call.
    r = scim(stack, "GET", "/Users", params={"filter": f'userName eq "{CI_ACCOUNT}"'})
    assert r.status_code == 200 and r.json()["totalResults"] == 1, r.text
    account = r.json()["Resources"][0]["id"]
    r = scim(
        stack,
        "PATCH",
        f"/Users/{account}",
        json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "active", "value": False}]},
    )
    assert r.status_code == 200 and r.json()["active"] is False, r.text
    with as_client(stack, token=token) as client:
        with pytest.raises(MlflowException) as refused:
            client.search_experiments()
        assert "401" in str(refused.value) or refused.value.error_code == "UNAUTHENTICATED", refused.value
