"""Tagged PDF on ReportLab, which has no tagging of its own: a canvas that wraps what is drawn in
marked content and writes the structure tree that says what each piece is (a heading, a
paragraph) and in which order a screen reader meets it; decoration is marked as an artifact. Pure.

Marked content goes in through the canvas's public ``addLiteral``; the structure tree is written
with ReportLab's PDF objects just before the file is saved. Each paragraph's element carries its
text as /ActualText, because ReportLab sets each line on its own and a reader joining the lines
would run the last word of one into the first of the next.

Used by drawing inside :func:`marked` (or :func:`artifact`) blocks on a :class:`TaggedCanvas`; on
any other canvas the blocks do nothing.
"""

from __future__ import annotations

import html
import re
from contextlib import contextmanager

from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFObjectReference, PDFPage, PDFString
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

ROLES = ("H1", "H2", "H3", "P")


def spoken(markup: str) -> str:
    """Paragraph markup as the words it shows: tags dropped, line breaks as spaces, entities read."""
    text = re.sub(r"<br\s*/?>", " ", markup or "")
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return " ".join(text.replace("\u200b", "").replace("\u00a0", " ").split())


class TaggedCanvas(Canvas):
    """A canvas that records, in drawing order, which marked content belongs to which element."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._elements: list[tuple[int, str, int, str | None]] = []  # page, role, MCID, actual text
        self._next_mcid = 0
        self._open = False

    def begin(self, role: str, text: str | None = None) -> bool:
        """Open a marked-content sequence for a new element of ``role``; False (and nothing opened)
        when one is open already, so nothing is ever nested."""
        if self._open:
            return False
        if role not in ROLES:
            raise ValueError(f"unknown structure role {role!r}")
        mcid = self._next_mcid
        self.addLiteral(f"/{role} <</MCID {mcid}>> BDC")
        self._elements.append((self._pageNumber - 1, role, mcid, text))
        self._next_mcid += 1
        self._open = True
        return True

    def begin_artifact(self) -> bool:
        if self._open:
            return False
        self.addLiteral("/Artifact BMC")
        self._open = True
        return True

    def end(self) -> None:
        self.addLiteral("EMC")
        self._open = False

    def showPage(self):
        index = self._pageNumber - 1
        super().showPage()
        page = self._doc.Pages.pages[-1]
        # ReportLab writes only the page keys it knows; these two say where the page's marked
        # content sits in the structure tree and that Tab follows the structure.
        page.__NoDefault__ = [*PDFPage.__NoDefault__, "StructParents", "Tabs"]
        page.StructParents = index
        page.Tabs = PDFName("S")
        self._next_mcid = 0

    def save(self):
        self._write_structure()
        super().save()

    def _write_structure(self) -> None:
        doc = self._doc
        root = PDFDictionary({"Type": PDFName("StructTreeRoot")})
        root_ref = doc.Reference(root)
        document = PDFDictionary({"Type": PDFName("StructElem"), "S": PDFName("Document"), "P": root_ref})
        document_ref = doc.Reference(document)
        kids, by_page = [], {}
        for page, role, mcid, text in self._elements:
            element = {"Type": PDFName("StructElem"), "S": PDFName(role), "P": document_ref,
                       "Pg": PDFObjectReference(f"Page{page + 1}"), "K": mcid}
            if text:
                element["ActualText"] = PDFString(text)
            reference = doc.Reference(PDFDictionary(element))
            kids.append(reference)
            by_page.setdefault(page, []).append(reference)
        document["K"] = PDFArray(kids)
        numbers = []
        for page in sorted(by_page):
            numbers += [page, PDFArray(by_page[page])]
        root["K"] = document_ref
        root["ParentTree"] = doc.Reference(PDFDictionary({"Nums": PDFArray(numbers)}))
        root["ParentTreeNextKey"] = len(doc.Pages.pages)
        doc.Catalog.StructTreeRoot = root_ref
        doc.Catalog.MarkInfo = PDFDictionary({"Marked": "true"})


@contextmanager
def marked(canvas, role: str, text: str | None = None):
    """Draw an element of ``role`` (with ``text`` as what it says) inside the block."""
    opened = isinstance(canvas, TaggedCanvas) and canvas.begin(role, text)
    try:
        yield
    finally:
        if opened:
            canvas.end()


@contextmanager
def artifact(canvas):
    """Draw decoration (shapes, rules, page numbers) a screen reader should skip inside the block."""
    opened = isinstance(canvas, TaggedCanvas) and canvas.begin_artifact()
    try:
        yield
    finally:
        if opened:
            canvas.end()


class TaggedParagraph(Paragraph):
    """A flowing paragraph tagged as ``role`` wherever the layout puts it. Split across a page
    break, each part is tagged (ReportLab makes the parts with the paragraph's own class)."""

    role = "P"

    def __init__(self, text, style, role: str | None = None, **kwargs):
        super().__init__(text, style, **kwargs)
        self.role = role or self.role

    def split(self, available_width, available_height):
        parts = super().split(available_width, available_height)
        for part in parts:
            part.role = self.role
        return parts

    def drawOn(self, canvas, x, y, _sW=0):
        text = spoken(self.text) if self.text else None
        with marked(canvas, self.role, text):
            super().drawOn(canvas, x, y, _sW)
