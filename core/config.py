"""Configuration read from the environment when the app is made, never at import time."""

import os
from pathlib import Path

DEVELOPMENT_SECRET = "development-only-secret-key"


class ConfigError(RuntimeError):
    """The environment does not describe a safe configuration."""


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: str, environ=None) -> dict:
    """Build the settings mapping from environment variables.

    ``RIGHT_SUPPORT_ENV`` is ``production`` (default), ``development`` or ``testing``.
    Outside development and testing a ``SECRET_KEY`` must be given.
    """
    env = os.environ if environ is None else environ
    mode = env.get("RIGHT_SUPPORT_ENV", "production").strip().lower()
    if mode not in {"production", "development", "testing"}:
        raise ConfigError(f"RIGHT_SUPPORT_ENV must be production, development or testing, not {mode!r}")
    secret = env.get("SECRET_KEY", "")
    if not secret:
        if mode == "production":
            raise ConfigError(
                "SECRET_KEY is not set. Set it to a long random string "
                "(python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        secret = DEVELOPMENT_SECRET
    database_url = env.get("DATABASE_URL") or "sqlite:///" + str(Path(instance_path) / "right-support.db")
    secure_cookies = _flag(env.get("SESSION_COOKIE_SECURE"), default=mode == "production")
    return {
        "ENV_MODE": mode,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url, env),
        # An optional read replica for reports (see core/replica.py).
        "SQLALCHEMY_BINDS": {"reports": env["REPORTS_DATABASE_URL"]} if env.get("REPORTS_DATABASE_URL") else {},
        "COUNCIL_NAME": env.get("COUNCIL_NAME", "Demo County Council"),
        "SERVICE_NAME": "Right Support",
        # Uploads: the whole request is capped; an import file may use nearly all of it.
        "MAX_CONTENT_LENGTH": int(env.get("MAX_UPLOAD_MB", "50")) * 1024 * 1024,
        "SESSION_COOKIE_SECURE": secure_cookies,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "INVITATION_DAYS": int(env.get("INVITATION_DAYS", "7")),
        # PostgreSQL memory for rebuilding indexes after a large import (SET LOCAL, that transaction only).
        "IMPORT_MAINTENANCE_WORK_MEM_MB": int(env.get("IMPORT_MAINTENANCE_WORK_MEM_MB", "256")),
    }


def engine_options(database_url: str, env) -> dict:
    """Connection pool settings: SQLite needs none; PostgreSQL gets a bounded pool."""
    if database_url.startswith("sqlite"):
        return {}
    return {
        "pool_size": int(env.get("DB_POOL_SIZE", "5")),
        "max_overflow": int(env.get("DB_MAX_OVERFLOW", "5")),
        "pool_pre_ping": True,
        "pool_recycle": 1800,
    }
