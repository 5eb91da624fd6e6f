"""Configuration read from the environment (``ECRF_*`` variables)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration."""


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    demo_mode: bool
    session_idle_minutes: int
    lockout_threshold: int
    lockout_minutes: int
    secure_cookies: bool
    token_days: int
    max_content_length: int
    forms_dir: Path
    db_pool_size: int
    db_max_overflow: int
    password_min_length: int

    def flask_config(self) -> dict:
        return {
            "SECRET_KEY": self.secret_key,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.secure_cookies,
            "SESSION_COOKIE_NAME": "ecrf_session",
            "REMEMBER_COOKIE_DURATION": 0,
            "MAX_CONTENT_LENGTH": self.max_content_length,
            "API_TITLE": "eCRF API",
            "API_VERSION": "v1",
            "OPENAPI_VERSION": "3.0.3",
            "OPENAPI_URL_PREFIX": "/api/v1",
            "OPENAPI_JSON_PATH": "openapi.json",
            "JSON_SORT_KEYS": False,
        }


def _demo_secret(instance: Path) -> str:
    """A local demo keeps one random key in instance/, so restarts keep sessions valid."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    path.touch(mode=0o600)
    path.write_text(secret)
    return secret


def load_settings(env: dict | None = None, instance_path: str | os.PathLike | None = None,
                  testing: bool = False) -> Settings:
    """Build settings from ``env`` (default: ``os.environ``).

    A secret key is required unless demo mode (``ECRF_DEMO=1``) or testing is on: a random key
    in production would log every user out on restart and differ between workers.
    """
    env = dict(os.environ if env is None else env)
    instance = Path(instance_path or "instance")
    demo = _flag(env.get("ECRF_DEMO"))
    secret = env.get("ECRF_SECRET_KEY", "")
    if not secret:
        if testing:
            secret = secrets.token_hex(32)
        elif demo:
            secret = _demo_secret(instance)
        else:
            raise ConfigError("ECRF_SECRET_KEY must be set (or ECRF_DEMO=1 for a local demo)")
    default_db = f"sqlite:///{(instance / 'ecrf.db').resolve()}"
    project_root = Path(__file__).resolve().parent.parent
    return Settings(
        database_url=env.get("ECRF_DATABASE_URL") or default_db,
        secret_key=secret,
        demo_mode=demo,
        session_idle_minutes=_int(env, "ECRF_SESSION_IDLE_MINUTES", 30),
        lockout_threshold=_int(env, "ECRF_LOCKOUT_THRESHOLD", 5),
        lockout_minutes=_int(env, "ECRF_LOCKOUT_MINUTES", 15),
        secure_cookies=_flag(env.get("ECRF_SECURE_COOKIES"), default=False),
        token_days=_int(env, "ECRF_TOKEN_DAYS", 90),
        max_content_length=_int(env, "ECRF_MAX_CONTENT_LENGTH", 1024 * 1024),
        forms_dir=Path(env.get("ECRF_FORMS_DIR") or project_root / "forms"),
        db_pool_size=_int(env, "ECRF_DB_POOL_SIZE", 5),
        db_max_overflow=_int(env, "ECRF_DB_MAX_OVERFLOW", 5),
        password_min_length=_int(env, "ECRF_PASSWORD_MIN_LENGTH", 12),
    )
