"""Pages laid out by hand on the PDF foundation: a pen that measures and draws paragraphs with y
measured from the top of the page, a flowable that is one whole page, the footer drawn after the
page's content (so it is read last), and the shapes the materials share (panels, urgency tags,
the urgency arrow). Pure: content in, drawing out."""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageBreak, PageTemplate, Paragraph

from core import pdf
from core.pdf import fonts, markup
from core.pdf.tagged import TaggedCanvas, artifact, marked, spoken
from materials.pdf.colours import INK, PANELS

# Lines are this many times the font size apart unless a style says otherwise.
LEADING = 1.22
# DejaVu Sans's capitals are this many times the font size tall.
CAP = 0.73
# Columns narrower than this (points) are balanced down to 60% of their width whatever the pen says.
NARROW = 420
# The role of text a screen reader should skip (a list's numbers: the list is read in order).
ARTIFACT = "Artifact"


def style(size: float, bold: bool = False, colour: str = INK, leading: float = LEADING, align: int = TA_LEFT,
          after: float = 0) -> ParagraphStyle:
    """A paragraph style in the embedded DejaVu Sans."""
    fonts.register()
    return ParagraphStyle(f"m{size:g}{'b' if bold else ''}", fontName=fonts.BOLD if bold else fonts.REGULAR,
                          fontSize=size, leading=size * leading, textColor=colors.HexColor(colour), alignment=align,
                          spaceAfter=after, splitLongWords=1)


def phone(number: str) -> str:
    """A phone number's markup: escaped, and never broken across lines."""
    return markup(number).replace(" ", "\u00a0")


def text_width(text: str, size: float, bold: bool = False) -> float:
    """How wide ``text`` is on one line."""
    fonts.register()
    return stringWidth(text, fonts.BOLD if bold else fonts.REGULAR, size)


def fitting(text: str, size: float, width: float, bold: bool = True, floor: float = 20.0) -> float:
    """The size, at most ``size`` and at least ``floor``, at which ``text`` fits ``width`` on one line."""
    natural = text_width(text, size, bold)
    return size if natural <= width else max(floor, size * width / natural)


class Pen:
    """Draws on one page, y measured down from the page's top. A dry pen only measures, so a layout
    is written once and run twice: to measure, then to draw."""

    def __init__(self, canvas, page_height: float, dry: bool = False, balance: float = 0.6):
        self.canvas, self.page_height, self.dry, self.balance = canvas, page_height, dry, balance

    def measuring(self) -> Pen:
        """A dry pen like this one."""
        return Pen(self.canvas, self.page_height, dry=True, balance=self.balance)

    def paragraph(self, text: str, style: ParagraphStyle, x: float, top: float, width: float, raw: bool = False,
                  balance: float | None = None, role: str = "P") -> float:
        """Draw ``text`` (user text unless ``raw``) in ``width`` with its top at ``top``; its height.
        A text of several lines is balanced: set as narrow as it can be on as many lines (but no
        narrower than ``balance`` times the width, the pen's own unless given), so no line ends with
        one word left over. Tagged as ``role`` (a heading level, or P)."""
        # A narrow column is balanced freely; a wide measure keeps the pen's floor, so that a long
        # line is not squeezed into the middle of a slide.
        balance = (self.balance if width >= NARROW else min(self.balance, 0.6)) if balance is None else balance
        text = text if raw else markup(text)
        para = Paragraph(text, style)
        _w, height = para.wrap(width, 10_000)
        lines = len(para.blPara.lines)
        if balance and lines > 1 and style.alignment == TA_LEFT:
            low, high = width * balance, width
            while high - low > 2:
                middle = (low + high) / 2
                trial = Paragraph(text, style)
                trial.wrap(middle, 10_000)
                low, high = (low, middle) if len(trial.blPara.lines) == lines else (middle, high)
            para = Paragraph(text, style)
            _w, height = para.wrap(high, 10_000)
            if len(para.blPara.lines) != lines:  # no narrower width keeps the lines: use them all
                para = Paragraph(text, style)
                _w, height = para.wrap(width, 10_000)
        if not self.dry:
            with artifact(self.canvas) if role == ARTIFACT else marked(self.canvas, role, spoken(text)):
                para.drawOn(self.canvas, x, self.page_height - top - height)
        return height

    def rect(self, x: float, top: float, width: float, height: float, fill: str | None = None,
             stroke: str | None = None, line: float = 1.0, radius: float = 0.0) -> None:
        if self.dry or height <= 0:
            return
        with artifact(self.canvas):
            self._rect(x, top, width, height, fill, stroke, line, radius)

    def _rect(self, x, top, width, height, fill, stroke, line, radius) -> None:
        c = self.canvas
        c.saveState()
        if fill:
            c.setFillColor(colors.HexColor(fill))
        if stroke:
            c.setStrokeColor(colors.HexColor(stroke))
            c.setLineWidth(line)
        y = self.page_height - top - height
        if radius:
            c.roundRect(x, y, width, height, radius, stroke=1 if stroke else 0, fill=1 if fill else 0)
        else:
            c.rect(x, y, width, height, stroke=1 if stroke else 0, fill=1 if fill else 0)
        c.restoreState()

    def polygon(self, points: list[tuple[float, float]], fill: str) -> None:
        """A filled polygon through ``points`` (x, top)."""
        if self.dry:
            return
        with artifact(self.canvas):
            self._polygon(points, fill)

    def _polygon(self, points: list[tuple[float, float]], fill: str) -> None:
        c = self.canvas
        c.saveState()
        c.setFillColor(colors.HexColor(fill))
        path = c.beginPath()
        path.moveTo(points[0][0], self.page_height - points[0][1])
        for x, top in points[1:]:
            path.lineTo(x, self.page_height - top)
        path.close()
        c.drawPath(path, stroke=0, fill=1)
        c.restoreState()

    def tag(self, text: str, size: float, x: float, top: float, colour: str, most: float = 10_000
            ) -> tuple[float, float]:
        """An urgency label in capitals inside an outline: readable with no colour at all. At most
        ``most`` wide (a long label wraps). Its size."""
        leading = size * 1.1
        label = style(size, bold=True, colour=colour, leading=1.1)
        natural = text_width(text.upper(), size, bold=True)
        # Padding gives way before the label wraps.
        pad_x, pad_y = max(size * 0.2, min(size * 0.55, (most - natural) / 2)), size * 0.32
        inner = min(natural, most - 2 * pad_x)
        marked = markup(text.upper())
        lines = round(self.measuring().paragraph(marked, label, 0, 0, inner + 1, raw=True, balance=0) / leading)
        # Capitals stand CAP of the size above their baseline, and a paragraph's first baseline
        # sits its size below its top: centre the capitals, not the line boxes.
        width, height = inner + 2 * pad_x, 2 * pad_y + CAP * size + (lines - 1) * leading
        self.rect(x, top, width, height, stroke=colour, line=max(1.0, size / 9), radius=min(height / 2, size))
        self.paragraph(marked, label, x + pad_x, top + pad_y - (1 - CAP) * size, inner + 1, raw=True, balance=0)
        return width, height

    def arrow(self, x: float, top: float, bottom: float, width: float, colour: str = INK) -> None:
        """The urgency arrow: a wedge that widens downwards, from 'not urgent' to 'child at risk
        now', ending in a head. ``x`` is its centre line."""
        head = min(width * 1.1, (bottom - top) / 4)
        shaft_bottom = bottom - head
        thin, thick = width * 0.12, width * 0.62
        self.polygon([(x - thin / 2, top), (x + thin / 2, top), (x + thick / 2, shaft_bottom),
                      (x + width / 2, shaft_bottom), (x, bottom), (x - width / 2, shaft_bottom),
                      (x - thick / 2, shaft_bottom)], colour)


def build(doc: BaseDocTemplate, story: list) -> None:
    """Lay out ``story`` in ``doc`` as a tagged PDF."""
    doc.build(story, canvasmaker=TaggedCanvas)


def stripe(pen: Pen, x: float, top: float, width: float, height: float) -> None:
    """The three spot colours side by side: the materials' signature, under every title."""
    third = width / 3
    for n, colour in enumerate(("green", "amber", "red")):
        pen.rect(x + n * third, top, third, height, fill=PANELS[colour]["background"])


class Stripe(Flowable):
    """The signature stripe in a flowing document (the trainer's notes)."""

    def __init__(self, width: float, height: float):
        super().__init__()
        self.width, self.height = width, height

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self):
        stripe(Pen(self.canv, self.height), 0, 0, self.width, self.height)


def panel_colours(key_colour: str) -> tuple[str, str]:
    """A panel's fill and the ink on it."""
    panel = PANELS[key_colour]
    return panel["background"], panel["text"]


class WholePage(Flowable):
    """One page drawn by ``paint(pen, width, height)``; optionally a bookmark to it in the outline."""

    def __init__(self, paint, bookmark: str | None = None, key: str | None = None, balance: float = 0.6):
        super().__init__()
        self.paint, self.bookmark, self.key, self.balance = paint, bookmark, key, balance

    def wrap(self, available_width, available_height):
        self.size = (available_width, available_height)
        return available_width, available_height - 0.01

    def draw(self):
        canvas = self.canv
        if self.bookmark:
            canvas.bookmarkPage(self.key)
            canvas.addOutlineEntry(self.bookmark, self.key, level=0)
            canvas.showOutline()  # viewers open with the bookmarks shown
        width, height = self.size
        self.paint(Pen(canvas, height, balance=self.balance), width, height)


def document(buffer: io.BytesIO, pagesize, info: pdf.DocumentInfo, footer: pdf.Edges, margin: float, rise: float,
             duplex: bool = False) -> BaseDocTemplate:
    """A document of whole pages with the foundation's metadata, its title shown by viewers
    (DisplayDocTitle), printed on both sides turning on the long edge when ``duplex``; ``footer`` is
    drawn after each page's content (so it is read last), ``margin`` in from the sides and ``rise``
    above the foot."""
    # The page's frame is the whole page; the margins only place the footer (at 0.45 of the foot's).
    doc = pdf.document(buffer, pagesize, info, (margin, margin, margin, rise / 0.45))
    doc.displayDocTitle = True
    if duplex:
        doc.duplex = "DuplexFlipLongEdge"
    frame = Frame(0, 0, pagesize[0], pagesize[1], id="page", leftPadding=0, rightPadding=0, topPadding=0,
                  bottomPadding=0)
    doc.addPageTemplates([PageTemplate("page", [frame], onPageEnd=footer)])
    return doc


def pages(whole_pages: list[WholePage]) -> list:
    """Whole pages as a story, each on a page of its own."""
    story = []
    for page in whole_pages:
        story += [PageBreak(), page] if story else [page]
    return story
