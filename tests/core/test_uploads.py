"""Import files waiting for confirmation: readable by the service only, and deleted once confirmed,
once a confirmation fails, and once they expire (by a command, and when the app starts)."""

import io
import os
import re
import stat
import time
from pathlib import Path

import pytest

from core.app import create_app

SCHOOLS = b"urn,name,pupils,fsm_percent\n125401,Abbey Fields Primary School,412,11.4\n"


@pytest.fixture
def folder(app, tmp_path, monkeypatch):
    uploads = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(uploads))
    return uploads


def _upload(client, data=SCHOOLS, kind="schools"):
    response = client.post("/imports/", data={"kind": kind, "file": (io.BytesIO(data), f"{kind}.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    found = re.search(r'name="upload" type="hidden" value="([^"]+)"|value="([^"]+)"[^>]*name="upload"',
                      response.get_data(as_text=True))
    return next(group for group in found.groups() if group) if found else None


def _modes(folder: Path) -> dict:
    return {path.suffix: stat.S_IMODE(path.stat().st_mode) for path in folder.iterdir()}


def test_an_upload_waits_readable_by_the_service_only(client, login_as, folder):
    login_as("admin")
    old_umask = os.umask(0)  # even with the most permissive umask
    try:
        token = _upload(client)
    finally:
        os.umask(old_umask)
    assert token
    assert _modes(folder) == {".bin": 0o600, ".json": 0o600}
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_confirmed_upload_is_deleted(client, login_as, folder):
    login_as("admin")
    token = _upload(client)
    assert client.post("/imports/confirm", data={"upload": token}).status_code == 302
    assert list(folder.iterdir()) == []


def test_an_upload_whose_confirmation_fails_is_deleted(client, login_as, folder, make_school, db_session):
    login_as("admin")
    # A DSL list that names a school, which is then removed before the confirmation.
    school = make_school(urn=777001)
    token = _upload(client, b"email,name,school_urn,role\na@school.example.org,A,777001,DSL\n", "dsls")
    assert token
    db_session.delete(school)
    db_session.commit()
    response = client.post("/imports/confirm", data={"upload": token})
    assert response.status_code == 200 and "govuk-error-summary" in response.get_data(as_text=True)
    assert list(folder.iterdir()) == []
    assert client.post("/imports/confirm", data={"upload": token}).status_code == 404


def test_a_rejected_file_is_never_kept(client, login_as, folder):
    login_as("admin")
    assert _upload(client, b"urn,name\nx,y\n") is None
    assert not folder.exists() or list(folder.iterdir()) == []


def _age(folder: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    for path in folder.iterdir():
        os.utime(path, (then, then))


def test_expired_uploads_are_deleted_by_the_command_and_refused(app, client, login_as, runner, folder):
    login_as("admin")
    token = _upload(client)
    _age(folder, 25)
    assert client.post("/imports/confirm", data={"upload": token}).status_code == 404
    fresh = _upload(client)
    result = runner.invoke(args=["imports", "purge"])
    assert result.exit_code == 0 and "Deleted 2 expired upload file(s)" in result.output
    assert sorted(p.name for p in folder.iterdir()) == [f"{fresh}.bin", f"{fresh}.json"]


def test_expired_uploads_are_deleted_when_the_app_starts(tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir()
    for name in ("old.bin", "old.json", "new.bin"):
        (folder / name).write_bytes(b"x")
    _age_one = time.time() - 48 * 3600
    for name in ("old.bin", "old.json"):
        os.utime(folder / name, (_age_one, _age_one))
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "UPLOAD_FOLDER": str(folder)})
    assert [p.name for p in folder.iterdir()] == ["new.bin"]
