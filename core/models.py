"""Records the core keeps for every feature (the import batches every figure can be traced to), and
what every package's models share."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.timefmt import utcnow


def quoted(values) -> str:
    """``values`` as a list of SQL string literals, for a CHECK constraint's ``IN (...)``."""
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


class ImportBatch(db.Model):
    """One accepted import file: who brought it in, when, and what it changed."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    checksum: Mapped[str] = mapped_column(String(64))  # SHA-256 of the file's bytes
    # The account that uploaded it; null when it came through the command line.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(String(10))  # "web" or "cli"
    rows: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
