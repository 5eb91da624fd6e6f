"""A small JSON client over Flask's test client, authenticated as a seeded user."""

from __future__ import annotations

from typing import Any


class ApiClient:
    prefix = "/api/v1"

    def __init__(self, flask_client, token: str | None = None, headers: dict | None = None):
        self.flask = flask_client
        self.token = token
        self.headers = dict(headers or {})

    def _headers(self, extra: dict | None) -> dict:
        headers = dict(self.headers)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def _url(self, path: str) -> str:
        return path if path.startswith(self.prefix) else self.prefix + path

    def get(self, path: str, headers: dict | None = None, **kwargs):
        return self.flask.get(self._url(path), headers=self._headers(headers), **kwargs)

    def post(self, path: str, json: Any = None, headers: dict | None = None, **kwargs):
        return self.flask.post(self._url(path), json=json, headers=self._headers(headers), **kwargs)

    def patch(self, path: str, json: Any = None, headers: dict | None = None, **kwargs):
        return self.flask.patch(self._url(path), json=json, headers=self._headers(headers), **kwargs)

    def put(self, path: str, json: Any = None, headers: dict | None = None, **kwargs):
        return self.flask.put(self._url(path), json=json, headers=self._headers(headers), **kwargs)

    def delete(self, path: str, headers: dict | None = None, **kwargs):
        return self.flask.delete(self._url(path), headers=self._headers(headers), **kwargs)
