"""Schemathesis hooks of deploy/schemathesis: who the generated requests are.

The harness (schemathesis_test.go) starts cerberus and ml_studio, makes the
accounts and names one of them in the environment:

  ST_LOGIN_URL   the service's POST /api/auth/login (ml_studio relays it)
  ST_USERNAME    the account the run calls as (an admin, or a plain user)
  ST_PASSWORD    its password
  ST_SCIM_TOKEN  cerberus's SCIM secret, for /scim/v2 (cerberus only)

Every request but SCIM's carries a session of that account. The session
is signed in afresh when an answer is 401: generated calls may sign it out
(POST /api/auth/logout), and the run goes on as the same account.
"""

import os

import requests
import schemathesis

LOGIN_URL = os.environ["ST_LOGIN_URL"]
USERNAME = os.environ["ST_USERNAME"]
PASSWORD = os.environ["ST_PASSWORD"]
SCIM_TOKEN = os.environ.get("ST_SCIM_TOKEN", "")


def _bearer(case, secret):
    if case.headers is None:
        case.headers = {}
    case.headers["Authorization"] = f"Bearer {secret}"


@schemathesis.auth(refresh_interval=600).skip_for(path_regex=r"^/scim/")
class Session:
    def get(self, case, context):
        resp = requests.post(LOGIN_URL, json={"username": USERNAME, "password": PASSWORD}, timeout=10)
        resp.raise_for_status()
        return resp.json()["token"]

    def set(self, case, data, context):
        _bearer(case, data)


@schemathesis.auth(refresh_interval=None).apply_to(path_regex=r"^/scim/")
class SCIM:
    def get(self, case, context):
        return SCIM_TOKEN

    def set(self, case, data, context):
        _bearer(case, data)
