"""What the materials pages and commands do: seed, edit drafts, publish, serve and log. Functions flush,
never commit."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, insert, select

from core.database import begin_writing
from core.extensions import db
from core.timefmt import to_london, utcnow
from materials import pdf
from materials.content import DECKS, FILENAMES, KINDS, MODEL, NOTES_FILENAMES, POSTER, first_version, model_of, upgrade
from materials.models import DRAFT, PUBLISHED, Download, Material, MaterialSettings, MaterialVersion


class MaterialError(ValueError):
    """A request the materials cannot carry out, in words for the person who made it."""


def ensure_materials() -> list[Material]:
    """Make any missing material, each with a version 1 draft holding the report's text and numbers."""
    existing = {m.kind: m for m in db.session.scalars(select(Material))}
    for kind in KINDS:
        if kind not in existing:
            material = Material(kind=kind)
            db.session.add(material)
            existing[kind] = material
        material = existing[kind]
        if not material.versions:
            material.versions.append(MaterialVersion(number=1, content=first_version(kind), status=DRAFT))
    db.session.flush()
    return [existing[kind] for kind in KINDS]


def material_by_kind(kind: str) -> Material | None:
    if kind not in KINDS:
        return None
    return db.session.scalar(select(Material).where(Material.kind == kind))


def current_version(material: Material) -> MaterialVersion | None:
    """The latest published version, or None before the first is published."""
    return db.session.scalar(
        select(MaterialVersion).where(MaterialVersion.material_id == material.id, MaterialVersion.status == PUBLISHED)
        .order_by(MaterialVersion.number.desc()).limit(1))


def current_summaries() -> dict:
    """Kind -> the number, publication time and PDF size of the latest published version of each
    material, in one query (the materials page lists all four, for every signed-in visitor)."""
    latest = (select(MaterialVersion.material_id, func.max(MaterialVersion.number).label("number"))
              .where(MaterialVersion.status == PUBLISHED).group_by(MaterialVersion.material_id).subquery())
    rows = db.session.execute(
        select(Material.kind, MaterialVersion.number, MaterialVersion.published_at, MaterialVersion.pdf_size)
        .join(MaterialVersion, MaterialVersion.material_id == Material.id)
        .join(latest, and_(latest.c.material_id == MaterialVersion.material_id, latest.c.number == MaterialVersion.number)))
    return {row.kind: row for row in rows}


def draft_of(material: Material) -> MaterialVersion | None:
    return db.session.scalar(
        select(MaterialVersion).where(MaterialVersion.material_id == material.id, MaterialVersion.status == DRAFT)
        .order_by(MaterialVersion.number.desc()).limit(1))


def editable_content(material: Material) -> tuple[dict, bool]:
    """What the edit form starts from: the draft, else the current version, else version 1's text;
    and whether it was written in an older content model and has been moved to the current one."""
    version = draft_of(material) or current_version(material)
    content = version.content if version else first_version(material.kind)
    return upgrade(material.kind, content), model_of(content) < MODEL


def update_draft(version: MaterialVersion, content: dict, user=None) -> MaterialVersion:
    """Change a draft's content. A published version never changes."""
    if version.status != DRAFT:
        raise MaterialError(f"Version {version.number} is published and cannot be changed. Edit a new draft instead.")
    version.content = content
    version.updated_at = utcnow()
    version.updated_by_id = user.id if user else None
    db.session.flush()
    return version


def save_draft(material: Material, content: dict, user=None) -> MaterialVersion:
    """Save ``content`` as the material's draft, starting the next numbered version if there is none."""
    draft = draft_of(material)
    if draft is None:
        last = db.session.scalar(select(func.max(MaterialVersion.number))
                                 .where(MaterialVersion.material_id == material.id)) or 0
        draft = MaterialVersion(material=material, number=last + 1, content=content, status=DRAFT,
                                updated_by_id=user.id if user else None)
        db.session.add(draft)
        db.session.flush()
        return draft
    return update_draft(draft, content, user)


def publish(version: MaterialVersion, council: str, user=None) -> MaterialVersion:
    """Publish a draft: build its PDF (and the poster's A3) once, and fix it for good."""
    if version.status != DRAFT:
        raise MaterialError(f"Version {version.number} is already published.")
    now = utcnow()
    meta = pdf.Meta(number=version.number, published=to_london(now).date(), council=council)
    kind = version.material.kind
    version.content = upgrade(kind, version.content)  # a draft from before model 2 is published in model 2
    built = pdf.build(kind, version.content, meta)
    version.pdf, version.pdf_size, version.pdf_sha256 = built, len(built), hashlib.sha256(built).hexdigest()
    if kind == POSTER:
        a3 = pdf.build(kind, version.content, meta, size="A3")
        version.pdf_a3, version.pdf_a3_size, version.pdf_a3_sha256 = a3, len(a3), hashlib.sha256(a3).hexdigest()
    if kind in DECKS:
        notes = pdf.notes(kind, version.content, meta)
        version.notes_pdf, version.notes_pdf_size = notes, len(notes)
        version.notes_pdf_sha256 = hashlib.sha256(notes).hexdigest()
    version.status = PUBLISHED
    version.published_at = now
    version.published_by_id = user.id if user else None
    db.session.flush()
    return version


def publish_draft(material: Material, council: str, user=None) -> MaterialVersion:
    draft = draft_of(material)
    if draft is None:
        raise MaterialError("There is no draft to publish. Edit the material first.")
    return publish(draft, council, user)


# Published PDFs never change, so each worker keeps the bytes it has served, keyed by their hash.
_served: dict[str, bytes] = {}


@dataclass(frozen=True)
class ServedPdf:
    """A published PDF as a download sends it."""

    version_id: int
    number: int
    published_at: datetime
    sha256: str
    filename: str
    data: bytes
    size: str  # "A4", or "A3" for the poster's large copy


def _published_pdf(kind: str, size: str, number: int | None = None) -> ServedPdf | None:
    """The current (or numbered) published PDF of ``kind``: one light query, then bytes from memory."""
    a3 = size == "A3" and kind == POSTER
    blob = MaterialVersion.pdf_a3 if a3 else MaterialVersion.pdf
    digest = MaterialVersion.pdf_a3_sha256 if a3 else MaterialVersion.pdf_sha256
    query = (select(MaterialVersion.id, MaterialVersion.number, MaterialVersion.published_at, digest)
             .join(Material).where(Material.kind == kind, MaterialVersion.status == PUBLISHED))
    query = query.where(MaterialVersion.number == number) if number else query.order_by(MaterialVersion.number.desc())
    row = db.session.execute(query.limit(1)).first()
    if row is None or row[3] is None:
        return None
    version_id, version_number, published_at, sha256 = row
    data = _served.get(sha256)
    if data is None:
        data = _served[sha256] = db.session.scalar(select(blob).where(MaterialVersion.id == version_id))
    stem = FILENAMES[kind].removesuffix(".pdf")
    filename = f"{stem}-A3-v{version_number}.pdf" if a3 else f"{stem}-v{version_number}.pdf"
    return ServedPdf(version_id, version_number, published_at, sha256, filename, data, "A3" if a3 else "A4")


def current_pdf(kind: str, size: str = "A4") -> ServedPdf | None:
    return _published_pdf(kind, size)


def version_pdf(kind: str, number: int, size: str = "A4") -> ServedPdf | None:
    return _published_pdf(kind, size, number)


def record_download(version_id: int, user_id: int | None = None, size: str = "A4") -> None:
    """Log a full download in the request's own transaction. The view commits it before the PDF is
    sent, so every PDF that leaves the server has its row, whatever then happens to the worker."""
    begin_writing(db.session)  # on SQLite, queue for the write lock rather than fail under load
    db.session.execute(insert(Download).values(user_id=user_id, version_id=version_id, size=size,
                                               downloaded_at=utcnow()))


def download_counts() -> dict[int, int]:
    """Downloads per version id."""
    rows = db.session.execute(select(Download.version_id, func.count()).group_by(Download.version_id))
    return dict(rows.all())


def settings() -> MaterialSettings:
    """The settings row (a default, unsaved one before an admin first saves)."""
    return db.session.get(MaterialSettings, 1) or MaterialSettings(id=1, poster_public=False)


def poster_is_public() -> bool:
    """Whether the poster is open without signing in."""
    return bool(settings().poster_public)


def set_poster_public(public: bool, user=None) -> MaterialSettings:
    row = db.session.get(MaterialSettings, 1)
    if row is None:
        row = MaterialSettings(id=1)
        db.session.add(row)
    row.poster_public = bool(public)
    row.updated_by_id = user.id if user else None
    db.session.flush()
    return row


def current_files() -> tuple[dict[str, bytes], list[str]]:
    """The current published PDF of every material by its export file name (the poster at A4) and
    each deck's trainer's notes; and a line for each deck whose current version has no notes."""
    files, missing, without_notes = {}, [], []
    for kind in KINDS:
        material = material_by_kind(kind)
        version = current_version(material) if material else None
        if version is None:
            missing.append(kind)
            continue
        files[FILENAMES[kind]] = version.pdf
        if kind in DECKS and version.notes_pdf is not None:
            files[NOTES_FILENAMES[kind]] = version.notes_pdf
        elif kind in DECKS:
            without_notes.append(f"{NOTES_FILENAMES[kind]} not written: version {version.number} of the {kind} was "
                                 "published before trainer's notes existed; publish a new version to get them.")
    if missing:
        raise MaterialError("No version has been published yet of: " + ", ".join(missing))
    return files, without_notes
