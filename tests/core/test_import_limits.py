"""Import limits are checked before a file is parsed: an XLSX's unpacked size and declared dimension,
its actual rows and columns, a CSV's columns. A hostile file is refused within seconds, by a process
that stays well under 1 GB; the same limits hold for the trainer's attendee list."""

import io
import json
import subprocess
import sys
import time
import zipfile
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from core.imports import ImportLimits, RejectedFile, import_kinds, plan_import, read_table

ROOT = Path(__file__).resolve().parents[2]
GIB = 1024**3


def _workbook(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rewrite_sheet(data: bytes, change) -> bytes:
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            part = source.read(name)
            target.writestr(name, change(part) if name == "xl/worksheets/sheet1.xml" else part)
    return out.getvalue()


def sparse_workbook() -> bytes:
    """About 5 KB: two cells, and a dimension that declares A1:XFD1048576 (every cell a sheet can have)."""
    data = _workbook([["email", "name"], ["a@example.org", "A"]])
    return _rewrite_sheet(data, lambda xml: xml.replace(b'<dimension ref="A1:B2"', b'<dimension ref="A1:XFD1048576"'))


def far_cell_workbook() -> bytes:
    """A sheet whose dimension is honest and small but whose only other cell is on row 1,048,576."""
    data = _workbook([["email", "name"]])
    return _rewrite_sheet(data, lambda xml: xml.replace(
        b"</row></sheetData>",
        b'</row><row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'))


def _zip(members) -> bytes:
    """A zip written by hand from (name, deflated bytes, crc, unpacked size): it can declare a part far
    larger than anything this test ever holds in memory."""
    out, directory = io.BytesIO(), []
    for name, deflated, crc, size in members:
        offset = out.tell()
        encoded = name.encode()
        out.write(b"PK\x03\x04" + (20).to_bytes(2, "little") + bytes(2) + (8).to_bytes(2, "little") + bytes(4)
                  + crc.to_bytes(4, "little") + len(deflated).to_bytes(4, "little") + size.to_bytes(4, "little")
                  + len(encoded).to_bytes(2, "little") + bytes(2) + encoded + deflated)
        directory.append(b"PK\x01\x02" + (20).to_bytes(2, "little") * 2 + bytes(2) + (8).to_bytes(2, "little")
                         + bytes(4) + crc.to_bytes(4, "little") + len(deflated).to_bytes(4, "little")
                         + size.to_bytes(4, "little") + len(encoded).to_bytes(2, "little") + bytes(8)
                         + bytes(4) + offset.to_bytes(4, "little") + encoded)
    start = out.tell()
    for entry in directory:
        out.write(entry)
    out.write(b"PK\x05\x06" + bytes(4) + len(directory).to_bytes(2, "little") * 2
              + (out.tell() - start).to_bytes(4, "little") + start.to_bytes(4, "little") + bytes(2))
    return out.getvalue()


def _deflated(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def deflate_bomb(unpacked_mb: int = 2900) -> bytes:
    """A workbook of about 3 MB whose sheet unpacks to ``unpacked_mb`` MB of blanks: one compressed
    megabyte, repeated (each ends on a full flush, so the copies chain into one valid stream)."""
    normal = zipfile.ZipFile(io.BytesIO(_workbook([["email"], ["a@example.org"]])))
    members = []
    for name in normal.namelist():
        part = normal.read(name)
        if name == "xl/worksheets/sheet1.xml":
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            megabyte = packer.compress(b" " * 2**20) + packer.flush(zlib.Z_FULL_FLUSH)
            members.append((name, megabyte * unpacked_mb + packer.flush(), 0, unpacked_mb * 2**20))
        else:
            members.append((name, _deflated(part), zlib.crc32(part), len(part)))
    return _zip(members)


def wide_csv(columns: int = 1_000_000) -> bytes:
    return (",".join(f"c{n}" for n in range(columns)) + "\n").encode()


# -- refusals, each within seconds -----------------------------------------------------------------


@pytest.mark.parametrize("make,message", [
    (sparse_workbook, "has 16,384 columns; the most this service reads is 200"),
    (far_cell_workbook, "rows or more; the most this service reads is 1,000"),
    (deflate_bomb, "unpacks to 2,900 MB; the most this service reads is 500 MB"),
    (wide_csv, "has 1,000,000 columns; the most this service reads is 200"),
])
def test_hostile_files_are_refused_before_parsing(make, message):
    data = make()
    filename = "list.csv" if make is wide_csv else "list.xlsx"
    started = time.perf_counter()
    with pytest.raises(RejectedFile) as refused:
        read_table(data, filename, ImportLimits(rows=1000))
    assert time.perf_counter() - started < 5
    assert message in str(refused.value) and len(str(refused.value)) < 300


def test_the_sparse_workbook_is_about_5_kb_and_the_bomb_about_3_mb():
    assert len(sparse_workbook()) < 8 * 1024
    assert len(deflate_bomb()) < 4 * 1024 * 1024


@pytest.mark.parametrize("maker", ["sparse_workbook", "deflate_bomb", "wide_csv"])
def test_a_worker_refusing_a_hostile_file_stays_under_1_gb(tmp_path, maker):
    """In a process of its own, so its peak memory is its own: the app's settings (production
    defaults), the file read as an upload would be, the peak resident size measured by the kernel."""
    script = f"""
import json, resource, sys, time
sys.path.insert(0, {str(ROOT)!r})
from core.app import create_app
from core.imports import RejectedFile, read_table
from tests.core.test_import_limits import {maker} as make
app = create_app({{"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "UPLOAD_FOLDER": {str(tmp_path)!r}}})
data = make()
started = time.perf_counter()
with app.app_context():
    try:
        read_table(data, "list.csv" if "csv" in {maker!r} else "list.xlsx")
        refused = False
    except RejectedFile:
        refused = True
print(json.dumps({{"refused": refused, "seconds": time.perf_counter() - started,
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert measured["refused"]
    assert measured["seconds"] < 5, measured
    assert measured["peak_kib"] * 1024 < GIB, measured


def test_the_missing_column_message_stays_short(app, db_session):
    header = ",".join(f"a very long heading that goes on and on number {n}" for n in range(150))
    plan = plan_import(import_kinds()["schools"], (header + "\n" + ",".join("x" * 150) + "\n").encode(), "s.csv")
    messages = [str(error) for error in plan.errors]
    assert messages and all(len(message) < 700 for message in messages)
    assert "and 138 more" in messages[0]


def test_a_workbook_within_the_limits_still_reads(app):
    frame = read_table(_workbook([["urn", "name", None], [1, "A"], [2, "B", None]]), "s.xlsx")
    assert frame.to_dict("records") == [{"urn": "1", "name": "A"}, {"urn": "2", "name": "B"}]


def test_settings_set_the_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_COLUMNS", 3)
    with app.app_context():
        with pytest.raises(RejectedFile, match="has 4 columns; the most this service reads is 3"):
            read_table(b"a,b,c,d\n1,2,3,4\n", "s.csv")
        assert len(read_table(b"a,b,c\n1,2,3\n", "s.csv").columns) == 3


# -- through the pages ---------------------------------------------------------------------------


def _post_file(client, url, fields: dict, data: bytes, filename: str):
    """Post a form with a file, encoded in memory (the test client would spool a large body to a
    temporary file that nobody closes)."""
    boundary, body = encode_multipart({**fields, "file": FileStorage(io.BytesIO(data), filename)})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize("make,filename", [(sparse_workbook, "schools.xlsx"), (deflate_bomb, "schools.xlsx"),
                                           (wide_csv, "schools.csv")])
def test_the_import_page_refuses_them_with_a_short_message(client, login_as, make, filename):
    login_as("admin")
    started = time.perf_counter()
    response = _post_file(client, "/imports/", {"kind": "schools"}, make(), filename)
    assert time.perf_counter() - started < 5
    assert response.status_code == 200 and "the most this service reads is" in response.get_data(as_text=True)
    assert len(response.data) < 100_000


@pytest.mark.parametrize("make,filename", [(sparse_workbook, "attendees.xlsx"), (deflate_bomb, "attendees.xlsx"),
                                           (wide_csv, "attendees.csv")])
def test_the_attendee_list_upload_has_the_same_limits(client, login_as, make_session, make, filename):
    from core.timefmt import today_london

    login_as("trainer")
    session = make_session(first_day=today_london() - timedelta(days=1))
    started = time.perf_counter()
    response = _post_file(client, f"/sessions/{session.id}/register/attendees", {}, make(), filename)
    assert time.perf_counter() - started < 5
    assert response.status_code == 400 and "the most this service reads is" in response.get_data(as_text=True)
