"""Downloads name their files through Flask's send_file (core.downloads.attachment): any name in any
script, in an RFC 5987 filename* beside an ASCII filename; no header is built by hand."""

import subprocess
import urllib.parse

from core.downloads import attachment
from tests.support import ROOT


def test_an_ascii_name_is_sent_as_it_is(app):
    with app.test_request_context():
        response = attachment(b"a,b\n", "training-clock.csv", "text/csv")
    assert response.headers["Content-Disposition"] == "attachment; filename=training-clock.csv"
    assert response.mimetype == "text/csv" and response.content_length == 4


def test_any_other_name_goes_in_filename_star_with_an_ascii_fallback(app):
    name = 'Łukasz "Ŵyn"; café-Ω-日本 – 2020.pdf'
    with app.test_request_context():
        response = attachment(b"%PDF", name, "application/pdf")
    disposition = response.headers["Content-Disposition"]
    disposition.encode("latin-1")  # a header a WSGI server can send
    fallback, star = disposition.split("; filename*=UTF-8''")
    assert urllib.parse.unquote(star, errors="strict") == name
    assert fallback.startswith("attachment; filename=") and fallback.isascii()


def test_no_content_disposition_is_written_by_hand():
    found = subprocess.run(["git", "grep", "-n", "Content-Disposition", "--", "*.py", "*.html"], cwd=ROOT,
                           capture_output=True, text=True).stdout.splitlines()
    by_hand = [line for line in found if not line.startswith(("tests/", "core/downloads.py", "materials/services.py"))]
    assert by_hand == []
