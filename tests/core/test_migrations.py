"""The migrations: files numbered in the order of their chain, and every step reversible, on the
database under test."""

import re

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from core.app import create_app
from core.extensions import db
from tests.support import ROOT, fresh_database


def test_files_are_numbered_in_chain_order(app):
    with app.app_context():
        script = ScriptDirectory(str(ROOT / "migrations"))
        chain = list(reversed(list(script.walk_revisions())))
    numbers = [int(re.match(r"(\d{4})_", revision.module.__file__.rsplit("/", 1)[-1]).group(1)) for revision in chain]
    assert numbers == list(range(1, len(chain) + 1))


@pytest.fixture
def empty_app(tmp_path):
    with fresh_database(tmp_path, "migrations") as url:
        app = create_app({"TESTING": True, "SECRET_KEY": "migrations", "SQLALCHEMY_DATABASE_URI": url})
        app.instance_path = str(tmp_path)
        try:
            yield app
        finally:
            with app.app_context():
                db.engine.dispose()


def test_downgrade_to_base_and_upgrade_again(empty_app):
    with empty_app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert set(inspect(db.engine).get_table_names()) == tables
