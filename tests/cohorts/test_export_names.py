"""A cohort may be called anything: its outcome report downloads under its own name in every format,
through a real server (gunicorn, a database of its own, signed in through the /login form)."""

import io
import json
import os
import re
import urllib.parse

import pytest
from flask_migrate import upgrade
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from core.app import create_app
from core.extensions import db
from tests.conftest import EXAMPLES
from tests.support import fresh_database, gunicorn_server, signed_in_opener

NAME = "café-Ω-日本 – 2020"
EMAIL = "evaluator@names.example.org"
PASSWORD = "a long enough password"


def _prepare(url: str, folder) -> int:
    """The example files imported, an evaluator, and the cohort; returns the cohort's id."""
    app = create_app({"TESTING": True, "SECRET_KEY": "setup", "SQLALCHEMY_DATABASE_URI": url})
    app.instance_path = str(folder)
    runner = app.test_cli_runner()
    with app.app_context():
        upgrade()
        for kind in ("schools", "dsls", "attendance", "contacts", "early-help"):
            result = runner.invoke(args=["import", kind, str(EXAMPLES / f"{kind}.csv")])
            assert result.exit_code == 0, result.output
        result = runner.invoke(args=["users", "create", EMAIL, "--role", "evaluator", "--password", PASSWORD])
        assert result.exit_code == 0, result.output
        result = runner.invoke(args=["cohorts", "create", NAME, "--courses", "induction,refresher",
                                     "--exposure", "2020-09-01:2020-09-30", "--outcome", "2020-09-01:2020-12-31"])
        assert result.exit_code == 0, result.output
        from cohorts.models import Cohort

        cohort_id = db.session.scalar(select(Cohort.id).where(Cohort.name == NAME))
        db.session.remove()
        db.engine.dispose()
    return cohort_id


def _download_name(disposition: str) -> str:
    """The RFC 5987 ``filename*`` of a Content-Disposition header, decoded."""
    found = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition)
    assert found, disposition
    return urllib.parse.unquote(found.group(1), encoding="utf-8", errors="strict")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("names")
    with fresh_database(folder, "names") as url:
        cohort_id = _prepare(url, folder)
        # Production settings, except cookies: the server is plain HTTP on loopback, and a Secure
        # cookie would never be sent back to it.
        env = {**os.environ, "RIGHT_SUPPORT_ENV": "production", "SECRET_KEY": "names-test-" + "x" * 32, "DATABASE_URL": url,
               "SESSION_COOKIE_SECURE": "0"}
        with gunicorn_server(env, folder, workers=1) as (base, _):
            yield base, cohort_id, signed_in_opener(base, EMAIL, PASSWORD)


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx", "pdf"])
def test_every_export_of_a_cohort_named_in_any_script_downloads_under_its_name(served, fmt):
    base, cohort_id, opener = served
    with opener.open(f"{base}/cohorts/{cohort_id}/report.{fmt}") as response:
        assert response.status == 200
        disposition = response.headers["Content-Disposition"]
        body = response.read()
    assert disposition.startswith("attachment;")
    assert _download_name(disposition) == f"{NAME}-outcome-report.{fmt}"
    ascii_name = re.search(r'filename="?([^";]+)"?(;|$)', disposition).group(1)
    assert ascii_name.isascii() and ascii_name.endswith(f"-outcome-report.{fmt}")
    if fmt == "json":
        assert json.loads(body)["cohort"] == NAME
    elif fmt == "csv":  # the long table: the cohort is named by the file (and in the JSON and the workbook)
        assert body.decode("utf-8-sig").startswith("section,measure,group,value,low,high,unit\n")
    elif fmt == "xlsx":
        assert load_workbook(io.BytesIO(body))["About"]["B2"].value == NAME
    else:
        reader = PdfReader(io.BytesIO(body))
        assert reader.metadata.title == f"Outcome report: {NAME}"
        # DejaVu has Latin, Greek and Cyrillic but no Chinese or Japanese characters: those two
        # print as empty boxes in the PDF, while the file's name and every other format keep them.
        # (an empty box is the font's glyph 0, which reads back as a NUL).
        assert "Outcome report: café-Ω-\x00\x00 – 2020" in reader.pages[0].extract_text()
