"""A PDF document as every one the service makes starts: its metadata (title, author, subject,
language, creator), DejaVu as the font even before any text, and page templates with a header and a
footer with the page number. Pure."""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

from core.pdf import fonts
from core.pdf.styles import INK
from core.pdf.tagged import artifact, marked
from core.pdf.text import plain

CREATOR = "Right Support"
LANGUAGE = "en-GB"


@dataclass(frozen=True)
class DocumentInfo:
    """What a PDF says about itself: the title, who it is from (the council) and what it is about."""

    title: str
    author: str
    subject: str


def document(buffer: io.BytesIO, pagesize, info: DocumentInfo, margins) -> BaseDocTemplate:
    """A document writing into ``buffer``. ``margins`` is one size for all four sides, or
    (left, right, top, bottom)."""
    fonts.register()
    left, right, top, bottom = margins if isinstance(margins, tuple) else (margins,) * 4
    # The canvas opens each page with a font already set; without initialFontName it is Helvetica,
    # which would be listed in the PDF unembedded even though no text uses it.
    return BaseDocTemplate(
        buffer, pagesize=pagesize, title=plain(info.title), author=info.author, subject=info.subject,
        creator=CREATOR, lang=LANGUAGE, initialFontName=fonts.REGULAR,
        leftMargin=left, rightMargin=right, topMargin=top, bottomMargin=bottom,
    )


@dataclass(frozen=True)
class Edges:
    """What is printed around a page's frame: a line of text at the foot (left) and the page number
    (right), optionally a line at the head; ``number`` formats the page number."""

    footer: str = ""
    header: str = ""
    number: str | None = "{page}"
    size: float = 8.5
    colour: str = INK

    def __call__(self, canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(fonts.REGULAR, self.size)
        canvas.setFillColor(colors.HexColor(self.colour))
        width, height = doc.pagesize
        foot = doc.bottomMargin * 0.45
        # On a tagged canvas the footer is a paragraph; page numbers and a running head that
        # repeats the title are pagination, which a screen reader skips.
        if self.footer:
            with marked(canvas, "P", self.footer):
                canvas.drawString(doc.leftMargin, foot, self.footer)
        with artifact(canvas):
            if self.number:
                canvas.drawRightString(width - doc.rightMargin, foot, self.number.format(page=doc.page))
            if self.header:
                canvas.drawString(doc.leftMargin, height - doc.topMargin * 0.55, self.header)
        canvas.restoreState()


def page_template(doc: BaseDocTemplate, name: str, edges: Edges | None = None) -> PageTemplate:
    """One frame filling the page inside the document's margins (no padding), with ``edges``."""
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id=name,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    return PageTemplate(name, [frame], onPage=edges) if edges else PageTemplate(name, [frame])


def built(doc: BaseDocTemplate, buffer: io.BytesIO, story: list) -> bytes:
    """Lay out ``story`` in ``doc`` and return the PDF's bytes."""
    doc.build(story)
    return buffer.getvalue()
