"""Versions published before content model 2 keep their stored PDFs byte for byte and their HTML
pages exactly as they were rendered (the golden copies in legacy/); editing one starts the new
layout from it, keeping its names and numbers."""

import hashlib
import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from core.app import create_app
from core.extensions import db
from materials import services
from materials.content import DECKS, KINDS, POSTER, first_version, flatten
from materials.models import Material, MaterialVersion
from tests.support import fresh_database

GOLDEN = Path(__file__).resolve().parent / "legacy"
PUBLISHED = datetime(2020, 9, 17, 9, 0)


def legacy_content(kind: str) -> dict:
    return json.loads((GOLDEN / f"{kind}-v1.json").read_text())


def stored_pdf(kind: str) -> bytes:
    """Stand-in bytes for a PDF built by the old builders: whatever was stored must come back."""
    return f"%PDF-1.4 version 1 of {kind}, built before content model 2".encode()


@pytest.fixture
def legacy(db_session, make_user):
    """Every material with version 1 published in content model 1, as a database from before has it."""
    admin = make_user("admin")
    for kind in KINDS:
        data = stored_pdf(kind)
        material = Material(kind=kind)
        material.versions.append(MaterialVersion(
            number=1, content=legacy_content(kind), status="published", pdf=data, pdf_size=len(data),
            pdf_sha256=hashlib.sha256(data).hexdigest(), published_at=PUBLISHED, published_by_id=admin.id,
            pdf_a3=data + b" A3" if kind == POSTER else None,
            pdf_a3_size=len(data) + 3 if kind == POSTER else None,
            pdf_a3_sha256=hashlib.sha256(data + b" A3").hexdigest() if kind == POSTER else None))
        db_session.add(material)
    db_session.commit()
    return admin


def article(page: str) -> str:
    return re.search(r'<article class="app-material".*?</article>', page, re.S).group(0)


@pytest.mark.parametrize("kind", KINDS)
def test_a_version_from_before_renders_exactly_as_it_did(client, login_as, legacy, kind):
    login_as("dsl")
    page = client.get(f"/materials/{kind}/").get_data(as_text=True)
    assert article(page) + "\n" == (GOLDEN / f"{kind}-v1.html").read_text()
    pdf = client.get(f"/materials/{kind}.pdf")
    assert pdf.data == stored_pdf(kind)
    pdf.close()


def test_editing_a_version_from_before_starts_the_new_layout_with_its_names_and_numbers(client, login_as, legacy,
                                                                                       db_session):
    poster = services.material_by_kind(POSTER)
    version_1 = services.current_version(poster)
    changed = dict(version_1.content)
    changed["services"] = [dict(s) for s in changed["services"]]
    changed["services"][0]["phone"] = "01926 999000"
    changed["services"][2]["name"] = "THE MASH"
    changed["title"] = "RIGHT HELP, RIGHT TIME"
    changed["question"] = "Who should you call?"
    db_session.execute(text("UPDATE material_versions SET content = :c WHERE id = :id"),
                       {"c": json.dumps(changed), "id": version_1.id})
    db_session.commit()
    login_as("admin")
    page = client.get("/admin/materials/poster/edit").get_data(as_text=True)
    assert "This material moves to the new layout" in page
    assert 'value="01926 999000"' in page and "A child or family is struggling" in page
    data = {**flatten(services.editable_content(poster)[0])}
    assert data["early_help_phone"] == "01926 999000" and data["mash_name"] == "THE MASH"
    assert data["title"] == "RIGHT HELP, RIGHT TIME" and data["question"] == "Who should you call?"
    # Every other text is the new layout's.
    assert data["social_norm"] == first_version(POSTER)["social_norm"]
    assert client.post("/admin/materials/poster/edit", data=data).status_code == 302
    preview = client.get("/admin/materials/poster/preview").get_data(as_text=True)
    assert "app-panel--green" in preview and "REMEMBER" not in preview
    assert client.post("/admin/materials/poster/publish", data={"figure_checked": "y"}).status_code == 302
    db_session.expire_all()
    version_2 = services.current_version(poster)
    assert version_2.number == 2 and version_2.content["model"] == 2
    assert version_2.content["services"][0]["phone"] == "01926 999000"
    assert db_session.get(MaterialVersion, version_1.id).pdf == stored_pdf(POSTER)


def test_a_draft_from_before_is_previewed_and_published_in_the_new_layout(client, login_as, legacy, db_session):
    deck = services.material_by_kind("induction-slides")
    db_session.add(MaterialVersion(material=deck, number=2, content=legacy_content("induction-slides"), status="draft"))
    db_session.commit()
    login_as("admin")
    preview = client.get("/admin/materials/induction-slides/preview").get_data(as_text=True)
    assert "Trainer's notes" in preview and "Worked example 1: when and why" not in preview
    assert client.post("/admin/materials/induction-slides/publish", data={"figure_checked": "y"}).status_code == 302
    db_session.expire_all()
    version = services.current_version(deck)
    assert version.number == 2 and version.content["model"] == 2 and version.notes_pdf.startswith(b"%PDF")


def test_export_says_which_decks_have_no_notes_yet(runner, legacy, tmp_path):
    result = runner.invoke(args=["materials", "export", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "induction-notes.pdf not written: version 1 of the induction-slides was published before trainer's notes" \
        in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{kind}.pdf" for kind in KINDS)
    assert (tmp_path / "poster.pdf").read_bytes() == stored_pdf(POSTER)


def test_upgrading_the_schema_leaves_published_versions_byte_for_byte(tmp_path):
    """A database at the schema before trainer's notes, holding a published version, upgraded."""
    with fresh_database(tmp_path, "legacy") as url:
        app = create_app({"TESTING": True, "SECRET_KEY": "legacy", "SQLALCHEMY_DATABASE_URI": url})
        app.instance_path = str(tmp_path)
        try:
            with app.app_context():
                upgrade(revision="0009_aliases_and_audit_trail")
                data = stored_pdf(POSTER)
                with db.engine.begin() as connection:
                    connection.execute(text("INSERT INTO materials (id, kind, created_at) VALUES (1, 'poster', :at)"),
                                       {"at": PUBLISHED})
                    connection.execute(text(
                        "INSERT INTO material_versions (material_id, number, content, status, created_at, updated_at, "
                        "published_at, pdf, pdf_size, pdf_sha256) VALUES (1, 1, :content, 'published', :at, :at, :at, "
                        ":pdf, :size, :sha)"), {"content": json.dumps(legacy_content(POSTER)), "at": PUBLISHED,
                                               "pdf": data, "size": len(data), "sha": hashlib.sha256(data).hexdigest()})
                upgrade()
                version = db.session.scalar(select(MaterialVersion))
                assert version.pdf == data and version.pdf_sha256 == hashlib.sha256(data).hexdigest()
                assert version.content == legacy_content(POSTER) and version.notes_pdf is None
                db.session.remove()
        finally:
            with app.app_context():
                db.engine.dispose()


def test_first_versions_are_written_in_the_current_model():
    for kind in KINDS:
        content = first_version(kind)
        assert content["model"] == 2 and ("notes" in content) == (kind in DECKS)
