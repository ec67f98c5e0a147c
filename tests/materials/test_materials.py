"""Versions, publishing, downloads with ETags, the public poster setting, the export command and the demo."""

import io
import re
import socket

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from materials import services
from materials.content import FILENAMES, INDUCTION, KINDS, NOTES_FILENAMES, POSTER, first_version, flatten
from materials.models import Download, MaterialVersion, PublishedVersionChanged


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join("".join(page.extract_text().split()) for page in reader.pages).replace("\u200b", "")


def test_first_versions_hold_the_reports_poster_text_and_numbers(db_session):
    materials = services.ensure_materials()
    assert [m.kind for m in materials] == list(KINDS)
    for material in materials:
        (version,) = material.versions
        assert version.number == 1 and version.status == "draft" and version.pdf is None
        phones = {s["key"]: s["phone"] for s in version.content["services"]}
        assert phones == {"early_help": "01926 412412", "dsl_infoline": "01926 418608", "mash": "01926 414144"}
        assert version.content["title"] == "THE RIGHT SUPPORT\nAT THE RIGHT TIME" and version.content["model"] == 2
    services.ensure_materials()  # a second call adds nothing
    assert db_session.scalar(select(func.count()).select_from(MaterialVersion)) == 4


def test_a_published_version_never_changes(db_session, published):
    assert published.is_published and published.pdf_size == len(published.pdf) and published.pdf_a3
    with pytest.raises(services.MaterialError, match="published"):
        services.update_draft(published, {"title": "Changed"})
    with pytest.raises(services.MaterialError, match="already published"):
        services.publish(published, "Demo County Council")
    published.content = {**published.content, "title": "Changed behind the service's back"}
    with pytest.raises(PublishedVersionChanged):
        db_session.flush()
    db_session.rollback()


def form_data(kind: str, **changes) -> dict:
    data = flatten(first_version(kind))
    data.update(changes)
    return data


def test_editing_and_publishing_makes_version_2_while_version_1_stays_byte_identical(client, login_as, published):
    login_as("admin")
    version_1 = published.pdf
    assert "01926412412" in pdf_text(version_1)

    response = client.post("/admin/materials/poster/edit", data=form_data(POSTER, early_help_phone="01926 999000"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/materials/poster/preview")
    preview = client.get("/admin/materials/poster/preview")
    assert preview.status_code == 200 and b"01926 999000" in preview.data and b"version 2" in preview.data
    # The draft is not what DSLs see yet.
    current = client.get("/materials/poster.pdf")
    assert current.data == version_1
    current.close()

    response = client.post("/admin/materials/poster/publish", data={"figure_checked": "y"})
    assert response.status_code == 302
    new = client.get("/materials/poster.pdf")
    text = pdf_text(new.data)
    assert "01926999000" in text and "01926412412" not in text
    assert "Version2·published" in text
    new.close()
    old = client.get("/materials/poster/v1.pdf")
    assert old.data == version_1
    assert "Version1·published" in pdf_text(old.data)
    old.close()
    versions = client.get("/admin/materials/poster/versions")
    assert versions.status_code == 200 and b"Published" in versions.data


def test_edit_form_errors_are_summarised(client, login_as, published):
    login_as("admin")
    response = client.post("/admin/materials/poster/edit",
                           data=form_data(POSTER, early_help_phone="", mash_when="x" * 700, dsl_infoline_phone="call me",
                                          early_help_when="Call them early."))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "govuk-error-summary" in page
    assert "Enter the phone number for Early Help" in page
    assert "The WHEN to call for MASH must be 100 characters or fewer" in page
    assert "The WHEN to call for Early Help must be 8 to 15 words; it has 3" in page
    assert "Enter a phone number using digits and spaces" in page
    assert services.draft_of(services.material_by_kind(POSTER)) is None


def test_downloads_are_logged_and_repeat_requests_get_304(client, login_as, published, db_session):
    user = login_as("dsl")
    first = client.get("/materials/poster.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.strip('"') == published.pdf_sha256
    first.close()
    again = client.get("/materials/poster.pdf", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    again.close()
    since = client.get("/materials/poster.pdf", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    since.close()
    a3 = client.get("/materials/poster.pdf?size=A3")
    assert a3.status_code == 200 and a3.data == published.pdf_a3
    a3.close()
    downloads = db_session.scalars(select(Download).order_by(Download.id)).all()
    assert [(d.user_id, d.version_id, d.size) for d in downloads] == [(user.id, published.id, "A4"),
                                                                      (user.id, published.id, "A3")]
    assert all(d.downloaded_at is not None for d in downloads)


@pytest.mark.parametrize("role", ["dsl", "trainer", "evaluator", "admin"])
def test_every_role_sees_current_versions_with_size_and_date(client, login_as, published, role):
    login_as(role)
    page = client.get("/materials/").get_data(as_text=True)
    assert "The &#39;at a glance&#39; poster" in page or "The 'at a glance' poster" in page
    assert re.search(r"<td[^>]*>\d+ KB</td>", page) and "17 September" not in page
    assert "Read on screen" in page and "Download at A3" in page
    html = client.get("/materials/poster/")
    assert html.status_code == 200 and b"01926 414144" in html.data and b"Only when a child is at risk" in html.data
    slides = client.get(f"/materials/{INDUCTION}/").get_data(as_text=True)
    assert "Slide 1 of" in slides and "Example 1: which service?" in slides and "Trainer's notes" in slides


def test_nothing_published_yet(client, login_as, db_session):
    login_as("dsl")
    assert "Not yet published" in client.get("/materials/").get_data(as_text=True)
    assert client.get("/materials/poster.pdf").status_code == 404
    assert client.get("/materials/no-such-thing/").status_code == 404


def test_public_poster_is_off_by_default_and_an_admin_setting(client, login_as, published, app):
    assert client.get("/poster").status_code == 404
    assert client.get("/poster.pdf").status_code == 404
    login_as("admin")
    response = client.post("/admin/materials/settings", data={"poster_public": "y"})
    assert response.status_code == 302
    with client.session_transaction() as session:
        session.clear()
    page = client.get("/poster")
    assert page.status_code == 200 and b"01926 412412" in page.data
    pdf = client.get("/poster.pdf")
    assert pdf.status_code == 200 and pdf.data == published.pdf
    pdf.close()
    # Anonymous visitors still cannot reach the other materials.
    assert "/login" in client.get("/materials/induction-slides.pdf").headers["Location"]


def test_hostile_content_through_the_admin_form(client, login_as, published, monkeypatch):
    login_as("admin")
    hostile = "<img src=http://127.0.0.1:9/x> & <b> unclosed " + "Z" * 300
    response = client.post("/admin/materials/poster/edit", data=form_data(POSTER, early_help_examples=hostile[:90],
                                                                            social_norm=hostile[:40]))
    assert response.status_code == 302, response.get_data(as_text=True)
    preview = client.get("/admin/materials/poster/preview").get_data(as_text=True)
    assert "<img src=http://127.0.0.1:9/x>" not in preview and "&lt;img src=http://127.0.0.1:9/x&gt;" in preview

    def refuse(*args, **kwargs):
        raise AssertionError("publishing tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert client.post("/admin/materials/poster/publish", data={"figure_checked": "y"}).status_code == 302
    monkeypatch.undo()
    pdf = client.get("/materials/poster.pdf")
    text = pdf_text(pdf.data)
    pdf.close()
    assert "<imgsrc=http://127.0.0.1:9/x>&<b>unclosed" in text and "Z" * 40 in text


def test_export_writes_the_current_published_version_of_each_with_the_trainers_notes(runner, published, tmp_path):
    result = runner.invoke(args=["materials", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    for kind in KINDS:
        data = (tmp_path / "out" / FILENAMES[kind]).read_bytes()
        reader = PdfReader(io.BytesIO(data))
        width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
        if kind == POSTER:
            assert len(reader.pages) == 1 and (round(width), round(height)) == (595, 842)
        elif kind.endswith("slides"):
            assert width / height == pytest.approx(16 / 9) and len(reader.pages) >= 8
    for kind, name in NOTES_FILENAMES.items():
        version = services.current_version(services.material_by_kind(kind))
        data = (tmp_path / "out" / name).read_bytes()
        assert data == version.notes_pdf and version.notes_pdf_size == len(data)
        reader = PdfReader(io.BytesIO(data))
        assert (round(float(reader.pages[0].mediabox.width)), round(float(reader.pages[0].mediabox.height))) == (595, 842)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([*FILENAMES.values(),
                                                                          *NOTES_FILENAMES.values()])


def test_export_refuses_before_anything_is_published(runner, db_session, tmp_path):
    result = runner.invoke(args=["materials", "export", str(tmp_path)])
    assert result.exit_code == 1 and "No version has been published" in result.output


def test_demo_publishes_the_first_versions(app, db_session):
    from core.demo import load_demo

    load_demo()
    for kind in KINDS:
        version = services.current_version(services.material_by_kind(kind))
        assert version.number == 1 and version.published_by.email == "admin@demo.test"


def test_the_public_poster_looks_up_no_user_and_a_changed_setting_is_seen_at_once(client, login_as, published, app):
    """Without a signed-in session the public poster reads the setting and the current version, logs the
    download, and never touches the users table. Nothing is remembered between requests: turning the
    setting off answers the very next request with 404."""
    from sqlalchemy import event

    from core.extensions import db

    login_as("admin")
    client.post("/admin/materials/settings", data={"poster_public": "y"})
    with client.session_transaction() as session:
        session.clear()
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get("/poster.pdf")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200 and response.data == published.pdf
    response.close()
    assert not [s for s in statements if "users" in s]
    assert [s.split("(")[0].strip() for s in statements if s.startswith("INSERT")] == ["INSERT INTO material_downloads"]
    login_as("admin")
    client.post("/admin/materials/settings", data={})
    with client.session_transaction() as session:
        session.clear()
    assert client.get("/poster.pdf").status_code == 404


def test_a_new_version_is_served_at_once(client, login_as, published, db_session):
    """Publishing version 2 changes what the very next download sends, in every worker: the current
    version is looked up on every request (published bytes are kept per worker, by their hash)."""
    login_as("dsl")
    first = client.get("/materials/poster.pdf")
    assert first.headers["ETag"].strip('"') == published.pdf_sha256
    material = services.material_by_kind(POSTER)
    services.save_draft(material, {**published.content, "title": "A NEW TITLE"})
    version = services.publish_draft(material, "Demo County Council")
    db_session.commit()
    second = client.get("/materials/poster.pdf")
    assert second.status_code == 200 and second.headers["ETag"].strip('"') == version.pdf_sha256 != published.pdf_sha256
    assert "filename=poster-v2.pdf" in second.headers["Content-Disposition"]
