"""Helpers for the API tests: a token for a member and requests that carry it."""

import json
from typing import Any

from django.test import Client

from calendarEditor.services import api_tokens

URLCONF = "calendarEditor.tests.urls_with_api"


def token_for(user: Any, name: str = "script") -> str:
    return api_tokens.create_token(user, name)[1]


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def get(client: Client, path: str, token: str, **params: Any) -> Any:
    return client.get(path, params, **bearer(token))


def post(client: Client, path: str, token: str, body: Any = None) -> Any:
    data = "" if body is None else json.dumps(body)
    return client.post(path, data, content_type="application/json", **bearer(token))
