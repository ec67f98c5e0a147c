"""Configuration read from the environment when the app is made, never at import time."""

import ipaddress
import os
import sys
from datetime import timedelta
from pathlib import Path

DEVELOPMENT_SECRET = "development-only-secret-key"
# The shortest SECRET_KEY production accepts: it signs every session cookie and form token.
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The environment does not describe a safe configuration."""


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: str, environ=None, serving: bool | None = None) -> dict:
    """Build the settings mapping from environment variables.

    ``RIGHT_SUPPORT_ENV`` is ``production`` (default), ``development`` or ``testing``.
    Outside development and testing an app that serves people needs a ``SECRET_KEY`` of at least 32
    characters and a ``PUBLIC_URL``. ``serving`` is False for the schema commands (``flask db ...``),
    which sign nothing and send no links; by default it is worked out from the command line.
    """
    env = os.environ if environ is None else environ
    mode = env.get("RIGHT_SUPPORT_ENV", "production").strip().lower()
    if mode not in {"production", "development", "testing"}:
        raise ConfigError(f"RIGHT_SUPPORT_ENV must be production, development or testing, not {mode!r}")
    serving = not schema_command() if serving is None else serving
    secret = env.get("SECRET_KEY", "")
    if not secret:
        if mode == "production" and serving:
            raise ConfigError(
                "SECRET_KEY is not set. Set it to a long random string "
                "(python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        secret = DEVELOPMENT_SECRET
    if mode == "production" and serving and len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters long; this one has {len(secret)}. "
            "Make one with: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
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
        **session_settings(env, secure_cookies),
        # Strict-Transport-Security on every answer: production is only ever reached over HTTPS.
        "HSTS": mode == "production",
        **sign_in_settings(env),
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "INVITATION_DAYS": int(env.get("INVITATION_DAYS", "7")),
        # PostgreSQL memory for rebuilding indexes after a large import (SET LOCAL, that transaction only).
        "IMPORT_MAINTENANCE_WORK_MEM_MB": int(env.get("IMPORT_MAINTENANCE_WORK_MEM_MB", "256")),
        # The proxies whose X-Forwarded-For the audit trail believes: the setting (and default) that
        # gunicorn.conf.py gives gunicorn for the same front ends.
        "TRUSTED_PROXIES": trusted_proxies(env.get("FORWARDED_ALLOW_IPS", "127.0.0.1")),
        **mail_settings(instance_path, env, mode, serving),
        **limits_and_retention(instance_path, env),
    }


def _whole(env, name: str, default: int, minimum: int = 1) -> int:
    text = (env.get(name) or "").strip()
    try:
        value = int(text) if text else default
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {text!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be {minimum} or more, not {value}")
    return value


def limits_and_retention(instance_path: str, env) -> dict:
    """What an import may hold (checked before parsing), where uploads wait for confirmation, and how
    long audit events and MASH and Early Help records are kept (see the README's Security section)."""
    return {
        "IMPORT_MAX_ROWS": _whole(env, "IMPORT_MAX_ROWS", 2_000_000),
        "IMPORT_MAX_COLUMNS": _whole(env, "IMPORT_MAX_COLUMNS", 200),
        "IMPORT_MAX_UNPACKED_MB": _whole(env, "IMPORT_MAX_UNPACKED_MB", 500),
        "UPLOAD_FOLDER": env.get("UPLOAD_FOLDER") or str(Path(instance_path) / "uploads"),
        "IMPORT_UPLOAD_HOURS": _whole(env, "IMPORT_UPLOAD_HOURS", 24),
        "AUDIT_RETENTION_MONTHS": _whole(env, "AUDIT_RETENTION_MONTHS", 24),
        "RECORD_RETENTION_MONTHS": _whole(env, "RECORD_RETENTION_MONTHS", 72),
    }


def _whole(env, name: str, default: int, low: int = 1) -> int:
    text = (env.get(name) or "").strip() or str(default)
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {text!r}") from None
    if value < low:
        raise ConfigError(f"{name} must be {low} or more, not {value}")
    return value


def session_settings(env, secure_cookies: bool) -> dict:
    """The session cookie and how long a sign-in lasts. A Secure cookie carries the ``__Host-``
    prefix, so browsers keep it only for this host, over HTTPS, on every path (no Domain, Path=/)."""
    return {
        "SESSION_COOKIE_NAME": "__Host-session" if secure_cookies else "session",
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_SECURE": secure_cookies,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        # A sign-in ends this long after it began, however busy (absolute lifetime) ...
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_whole(env, "SESSION_LIFETIME_HOURS", 12)),
        # ... and after this long without a request (inactivity timeout).
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=_whole(env, "SESSION_IDLE_MINUTES", 30)),
    }


def sign_in_settings(env) -> dict:
    """Throttling of sign-in and the other places a secret is guessed (core/ratelimit.py)."""
    return {
        # memory:// keeps counts in each worker; redis://host:6379/0 shares them between workers and servers.
        "RATELIMIT_STORAGE_URI": (env.get("RATELIMIT_STORAGE_URI") or "").strip() or "memory://",
        "RATELIMIT_ENABLED": _flag(env.get("RATELIMIT_ENABLED"), default=True),
        "RATELIMIT_HEADERS_ENABLED": False,
        "RATELIMIT_KEY_PREFIX": "right-support",
    }


def schema_command(argv: list[str] | None = None) -> bool:
    """Whether this process is the flask command line running ``db ...`` (a migration)."""
    argv = sys.argv if argv is None else argv
    program = Path(argv[0]) if argv else Path()
    if program.name != "flask" and not (program.name == "__main__.py" and program.parent.name == "flask"):
        return False
    words, with_value = iter(argv[1:]), {"--app", "-A", "--env-file", "-e"}
    for word in words:
        if word in with_value:
            next(words, None)
        elif not word.startswith("-"):
            return word == "db"
    return False


def mail_settings(instance_path: str, env, mode: str, serving: bool = True) -> dict:
    """SMTP settings (core/mail). With no MAIL_SERVER, development keeps each message as an .eml
    file in instance/mail; production keeps them queued in the database until a server is set."""
    server = env.get("MAIL_SERVER", "").strip()
    public_url = (env.get("PUBLIC_URL") or "").strip().rstrip("/")
    if mode == "production" and serving and not public_url.startswith(("https://", "http://")):
        raise ConfigError("PUBLIC_URL must be set in production to the address people reach the service at, "
                          "like https://rightsupport.example.gov.uk: links in messages start with it.")
    return {
        "MAIL_SERVER": server,
        "MAIL_PORT": int(env.get("MAIL_PORT") or "25"),
        "MAIL_USE_TLS": _flag(env.get("MAIL_USE_TLS"), default=False),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER") or "Right Support <no-reply@localhost>",
        "MAIL_TIMEOUT": float(env.get("MAIL_TIMEOUT") or "10"),
        "MAIL_FOLDER": str(Path(instance_path) / "mail") if not server and mode == "development" else "",
        # Where people reach the service, e.g. https://rightsupport.example.gov.uk: links in messages and
        # calendar feed addresses start with it, never with the Host a request names. Required in
        # production; unset in development, links start with http://127.0.0.1:5000.
        "PUBLIC_URL": public_url,
    }


def trusted_proxies(setting: str) -> tuple | None:
    """Comma-separated addresses or networks (``10.0.0.0/8``) as networks; None for ``*`` (any)."""
    parts = [part.strip() for part in setting.split(",") if part.strip()]
    if "*" in parts:
        return None
    try:
        return tuple(ipaddress.ip_network(part, strict=False) for part in parts)
    except ValueError as error:
        raise ConfigError(f"FORWARDED_ALLOW_IPS must list addresses or networks: {error}") from None


def engine_options(database_url: str, env) -> dict:
    """Connection pool settings: SQLite needs none; PostgreSQL gets a bounded pool. On both, a
    database error's message leaves out the statement's values (``hide_parameters``): a logged
    error never carries a calendar-feed token, an email or any other value a person sent."""
    if database_url.startswith("sqlite"):
        return {"hide_parameters": True}
    return {
        "hide_parameters": True,
        "pool_size": int(env.get("DB_POOL_SIZE", "5")),
        "max_overflow": int(env.get("DB_MAX_OVERFLOW", "5")),
        "pool_pre_ping": True,
        "pool_recycle": 1800,
    }
