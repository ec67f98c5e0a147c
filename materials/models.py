"""Materials, their numbered versions (a published one never changes), downloads and the settings."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, LargeBinary, String, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import quoted
from core.timefmt import utcnow
from materials.content import KINDS

DRAFT = "draft"
PUBLISHED = "published"


class Material(db.Model):
    """One of the four materials: the poster, the two slide decks and the follow-up sheet."""

    __tablename__ = "materials"
    __table_args__ = (CheckConstraint(f"kind IN ({quoted(KINDS)})", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), unique=True)  # poster, induction-slides, ...
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list["MaterialVersion"]] = relationship(back_populates="material",
                                                             order_by="MaterialVersion.number")

    def __repr__(self) -> str:
        return f"<Material {self.kind}>"


class MaterialVersion(db.Model):
    """A numbered version of a material. A draft is edited; once published its content and PDF are fixed."""

    __tablename__ = "material_versions"
    __table_args__ = (
        UniqueConstraint("material_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint(f"status IN ('{DRAFT}', '{PUBLISHED}')", name="status_known"),
        CheckConstraint(f"status = '{DRAFT}' OR (published_at IS NOT NULL AND pdf IS NOT NULL "
                        "AND pdf_sha256 IS NOT NULL)", name="published_has_pdf"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... within its material
    content: Mapped[dict] = mapped_column(JSON)  # see materials/content.py (and legacy.py before model 2)
    status: Mapped[str] = mapped_column(String(10), default=DRAFT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # The PDF, built once when the version is published; its SHA-256 is the download's ETag.
    # Deferred: loaded only when the bytes are needed, and then kept in memory (services.current_pdf).
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf_size: Mapped[int | None] = mapped_column(Integer)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    # The poster also at A3, built at the same time; null for the other materials.
    pdf_a3: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf_a3_size: Mapped[int | None] = mapped_column(Integer)
    pdf_a3_sha256: Mapped[str | None] = mapped_column(String(64))
    # A deck's trainer's notes, built at the same time; null for the other materials and for decks
    # published before notes existed.
    notes_pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    notes_pdf_size: Mapped[int | None] = mapped_column(Integer)
    notes_pdf_sha256: Mapped[str | None] = mapped_column(String(64))

    material: Mapped[Material] = relationship(back_populates="versions")
    published_by = relationship("User", foreign_keys=[published_by_id])

    @property
    def is_published(self) -> bool:
        return self.status == PUBLISHED

    def __repr__(self) -> str:
        return f"<MaterialVersion {self.material_id} v{self.number} {self.status}>"


class PublishedVersionChanged(RuntimeError):
    """Something tried to change a version after it was published."""


@event.listens_for(MaterialVersion, "before_update")
def _published_versions_never_change(mapper, connection, version):
    """A last guard under the services: a published version's content and PDFs are fixed."""
    state = inspect(version)
    status = state.attrs.status.history
    was_published = (status.deleted and status.deleted[0] == PUBLISHED) or (
        not status.has_changes() and version.status == PUBLISHED)
    if not was_published:
        return
    changed = [name for name in ("content", "number", "status", "pdf", "pdf_sha256", "pdf_a3", "pdf_a3_sha256",
                                 "notes_pdf", "notes_pdf_sha256", "published_at", "material_id")
               if state.attrs[name].history.has_changes()]
    if changed:
        raise PublishedVersionChanged(f"version {version.number} is published and cannot change ({', '.join(changed)})")


class Download(db.Model):
    """One download of a material's PDF: who, which version, when. A measure of exposure."""

    __tablename__ = "material_downloads"
    __table_args__ = (CheckConstraint("size IN ('A4', 'A3')", name="size_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Null when the public poster was fetched without signing in.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id", ondelete="RESTRICT"), index=True)
    size: Mapped[str] = mapped_column(String(4), default="A4")  # paper size, for the poster
    downloaded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    version: Mapped[MaterialVersion] = relationship()


class MaterialSettings(db.Model):
    """The materials settings an admin changes: one row."""

    __tablename__ = "material_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    # Whether anyone may read and download the poster without signing in.
    poster_public: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
