"""Random secrets for sessions and API tokens; only their SHA-256 is ever stored."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "ecrf_"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
