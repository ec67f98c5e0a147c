"""Configuration comes from the environment and fails fast when it is unsafe."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import ConfigError, load_config, schema_command

ROOT = Path(__file__).resolve().parents[2]


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config(str(tmp_path), {"RIGHT_SUPPORT_ENV": "production"})


def test_production_defaults(tmp_path):
    config = load_config(str(tmp_path), {"SECRET_KEY": "s" * 32, "PUBLIC_URL": "https://rs.example.gov.uk"})
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/right-support.db"
    assert config["MAX_CONTENT_LENGTH"] == 50 * 1024 * 1024


def test_database_url_and_pool_for_postgresql(tmp_path):
    url = "postgresql+psycopg://u:p@db/rs"
    config = load_config(str(tmp_path), {"SECRET_KEY": "x" * 32, "PUBLIC_URL": "https://rs.example.gov.uk", "DATABASE_URL": url, "DB_POOL_SIZE": "8"})
    assert config["SQLALCHEMY_DATABASE_URI"] == url
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_size"] == 8


def test_development_runs_without_a_secret_but_not_with_secure_cookies(tmp_path):
    config = load_config(str(tmp_path), {"RIGHT_SUPPORT_ENV": "development"})
    assert config["SECRET_KEY"] and not config["SESSION_COOKIE_SECURE"]


def test_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigError):
        load_config(str(tmp_path), {"RIGHT_SUPPORT_ENV": "staging"})


def test_oversized_upload_gets_a_page_not_a_crash(app, client, login_as):
    login_as("admin")
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = client.post("/imports/", data={"kind": "schools", "file": (__import__("io").BytesIO(b"x" * 5000), "a.csv")},
                                content_type="multipart/form-data")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 50 * 1024 * 1024
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_reports_read_from_a_replica_when_one_is_configured(tmp_path):
    from core.app import create_app
    from core.replica import report_engine

    main_url, replica_url = f"sqlite:///{tmp_path}/main.db", f"sqlite:///{tmp_path}/replica.db"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": main_url,
                      "SQLALCHEMY_BINDS": {"reports": replica_url}})
    with app.app_context():
        assert str(report_engine().url) == replica_url
        from core.extensions import db

        for engine in db.engines.values():
            engine.dispose()
    plain = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": main_url})
    with plain.app_context():
        assert str(report_engine().url) == main_url
        from core.extensions import db

        db.engine.dispose()


def test_gunicorn_preloads_the_app_and_each_worker_gets_its_own_connections(tmp_path):
    """Workers are forked from a master that imported the app; after the fork a worker's pool must
    hold nothing inherited, and the hook must leave an app without a database alone."""
    import runpy
    from pathlib import Path
    from types import SimpleNamespace

    from flask import Flask
    from sqlalchemy import text

    from core.app import create_app
    from core.extensions import db

    settings = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    assert settings["preload_app"] is True
    assert settings["max_requests_jitter"] > 0
    import gc

    settings["pre_fork"](None, None)
    assert gc.get_freeze_count() > 0
    gc.unfreeze()

    app = create_app({"TESTING": True, "SECRET_KEY": "fork", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'f.db'}"})
    with app.app_context():
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        assert db.engine.pool.checkedin() == 1
    server = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app))
    settings["post_fork"](server, None)
    with app.app_context():
        assert db.engine.pool.checkedin() == 0
    settings["post_fork"](SimpleNamespace(app=SimpleNamespace(wsgi=lambda: Flask("bare"))), None)


def test_a_response_that_is_not_a_page_gets_a_policy_without_a_script_nonce(client):
    policy = client.get("/healthz").headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "nonce" not in policy


def test_schema_commands_need_no_serving_secret_or_public_address(tmp_path):
    """A migration signs nothing and sends no links: ``flask db upgrade`` runs in production with a
    short or missing SECRET_KEY and no PUBLIC_URL, while the app that serves still refuses them."""
    assert schema_command(["/srv/.venv/bin/flask", "--app", "wsgi", "db", "upgrade"])
    assert schema_command(["/usr/lib/python3/flask/__main__.py", "-A", "wsgi", "db", "current"])
    assert not schema_command(["/srv/.venv/bin/flask", "--app", "wsgi", "run"])
    assert not schema_command(["/srv/.venv/bin/gunicorn", "wsgi:app"])
    assert load_config(str(tmp_path), {"SECRET_KEY": "abcd"}, serving=False)["ENV_MODE"] == "production"
    with pytest.raises(ConfigError, match="at least 32 characters"):
        load_config(str(tmp_path), {"SECRET_KEY": "abcd", "PUBLIC_URL": "https://rs.example.gov.uk"}, serving=True)
    env = {**os.environ, "RIGHT_SUPPORT_ENV": "production", "SECRET_KEY": "abcd",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    env.pop("PUBLIC_URL", None)
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
