"""The materials as PDF bytes: the poster (A4 or its own A3 layout), the two 16:9 decks with their
trainer's notes, and the double-sided follow-up sheet."""

import io

from materials.content import DECKS, FOLLOW_UP, POSTER
from materials.pdf import poster as poster_layout
from materials.pdf.draw import WholePage
from materials.pdf.draw import build as build_tagged
from materials.pdf.layout import PAGE_SIZES, Meta, info
from materials.pdf.sheet import follow_up, notes_pdf
from materials.pdf.slides import deck_pdf

__all__ = ["PAGE_SIZES", "build", "notes", "poster"]


def poster(content: dict, meta: Meta, size: str = "A4") -> bytes:
    """The 'at a glance' poster on one portrait page."""
    buffer = io.BytesIO()
    doc = poster_layout.page_document(buffer, size, info(POSTER, content["title"], meta),
                                      f"{meta.footer} \u00b7 {meta.council}")

    def paint(pen, width, height):
        poster_layout.paint(pen, content, size, width, height, poster_layout.footer_room(size))

    build_tagged(doc, [WholePage(paint)])
    return buffer.getvalue()


def notes(kind: str, content: dict, meta: Meta) -> bytes:
    """A deck's trainer's notes on A4."""
    return notes_pdf(kind, content, meta)


def build(kind: str, content: dict, meta: Meta, size: str = "A4") -> bytes:
    """The PDF of one material version."""
    if kind == POSTER:
        return poster(content, meta, size)
    if kind in DECKS:
        return deck_pdf(kind, content, meta)
    if kind == FOLLOW_UP:
        return follow_up(content, meta)
    raise ValueError(f"unknown material {kind!r}")
