"""The follow-up sheet (one A4 sheet printed on both sides: the poster on the front; on the back what
happens after a call and when, the examples with their numbers, a checklist and the social norm
with its source) and the trainer's notes of each deck. Pure."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, PageTemplate, Paragraph, Spacer
from reportlab.platypus.frames import Frame

from core import pdf
from core.pdf import markup
from core.pdf.tagged import TaggedParagraph
from materials.content import FOLLOW_UP, SERVICE_COLOURS, advice_line, items, paragraphs, service
from materials.outline import deck, panels
from materials.pdf import poster as poster_layout
from materials.pdf.colours import INK
from materials.pdf.draw import (
    Pen,
    Stripe,
    WholePage,
    build,
    fitting,
    pages,
    panel_colours,
    phone,
    stripe,
    style,
    text_width,
)
from materials.pdf.layout import Meta, info

SPEC = poster_layout.A4_SPEC


@dataclass(frozen=True)
class BackSpec:
    """The type sizes and spacing of the sheet's back (points)."""

    heading: float = 28.0
    section: float = 17.0
    label: float = 14.0
    body: float = 12.5
    gap: float = 12.0
    pad: float = 9.0  # above and below the text of a row

    def smaller(self, factor: float) -> BackSpec:
        """Every size ``factor`` times smaller, none below BACK_FLOOR's."""
        return replace(self, **{k: max(getattr(self, k) * factor, getattr(BACK_FLOOR, k)) for k in
                                ("heading", "section", "label", "body", "gap", "pad")})


BACK = BackSpec()
BACK_FLOOR = BackSpec(heading=22, section=14, label=12.5, body=12, gap=5, pad=4)


def _section(pen: Pen, spec: BackSpec, text: str, x: float, top: float, width: float) -> float:
    return pen.paragraph(text, style(spec.section, bold=True, leading=1.2), x, top, width, role="H3") + 6


def _after(pen: Pen, spec: BackSpec, content: dict, x: float, top: float, width: float, spare: float) -> float:
    """What happens after a call to each service: name and number in its colour, then what to expect."""
    label = max(max(text_width(p.name, spec.label, True), text_width(p.phone, spec.label, True)) for p in panels(content))
    label = min(max(label + 24, 140), width / 3)
    y = top
    for panel in panels(content):
        fill, ink = panel_colours(SERVICE_COLOURS[panel.key])
        measure = pen.measuring()
        name = style(fitting(panel.name, spec.label, label - 20, floor=spec.body), bold=True, colour=ink,
                     leading=1.15)
        number = style(spec.label, bold=True, colour=ink)
        left = measure.paragraph(panel.name, name, 0, 0, label - 20) + measure.paragraph(
            phone(panel.phone), number, 0, 0, label - 20, raw=True)
        text = style(spec.body, leading=1.3)
        right = measure.paragraph(panel.after, text, 0, 0, width - label - 28)
        row = max(left, right) + 2 * spec.pad + spare
        pen.rect(x, y, label, row, fill=fill)
        pen.rect(x + label, y, width - label, row, stroke=fill, line=2.5)
        inner = y + (row - left) / 2
        inner += pen.paragraph(panel.name, name, x + 10, inner, label - 20)
        pen.paragraph(phone(panel.phone), number, x + 10, inner, label - 20, raw=True)
        pen.paragraph(panel.after, text, x + label + 14, y + (row - right) / 2, width - label - 28)
        y += row + 6
    return y - 6 - top


def _examples(pen: Pen, spec: BackSpec, content: dict, x: float, top: float, width: float, spare: float) -> float:
    """The worked examples as a table: the situation, who to call with their number, and why."""
    columns = (width * 0.46, width * 0.24, width * 0.30)
    head = style(spec.body, bold=True)
    y = top
    for n, title in enumerate(("The situation", "Call", "Why")):
        pen.paragraph(title, head, x + sum(columns[:n]) + 8, y, columns[n] - 16)
    y += spec.body * 1.3 + 4
    pen.rect(x, y - 2, width, 2, fill=INK)
    text = style(spec.body, leading=1.3)
    bold = style(spec.body, bold=True)
    for scenario in content.get("scenarios", []):
        chosen = service(content, scenario.get("service", "")) or {"key": "", "name": scenario.get("service", ""),
                                                                    "phone": ""}
        measure = pen.measuring()
        call = [chosen["name"], chosen["phone"]]
        heights = (measure.paragraph(scenario["situation"], text, 0, 0, columns[0] - 16),
                   sum(measure.paragraph(t, bold, 0, 0, columns[1] - 16) for t in call),
                   measure.paragraph(scenario["why"], text, 0, 0, columns[2] - 16))
        row = max(heights) + 2 * spec.pad - 4 + spare
        fill, ink = panel_colours(SERVICE_COLOURS[chosen["key"]]) if chosen["key"] else (None, INK)
        pen.rect(x + columns[0], y, columns[1], row, fill=fill)
        pen.paragraph(scenario["situation"], text, x + 8, y + spec.pad - 2, columns[0] - 16)
        inner = y + (row - heights[1]) / 2
        inner += pen.paragraph(call[0], style(spec.body, bold=True, colour=ink), x + columns[0] + 8, inner,
                               columns[1] - 16)
        pen.paragraph(phone(call[1]), style(spec.body, bold=True, colour=ink), x + columns[0] + 8, inner,
                      columns[1] - 16, raw=True)
        pen.paragraph(scenario["why"], text, x + columns[0] + columns[1] + 8, y + spec.pad - 2, columns[2] - 16)
        y += row
        pen.rect(x, y, width, 0.8, fill=INK)
    return y - top


def _checklist(pen: Pen, spec: BackSpec, content: dict, x: float, top: float, width: float) -> float:
    """The checklist, each item with a box to tick."""
    y = top
    box = spec.body * 1.1
    for item in items(content.get("checklist", "")):
        pen.rect(x, y + 1, box, box, stroke=INK, line=1.4)
        y += pen.paragraph(item, style(spec.body, leading=1.3), x + box + 10, y, width - box - 10) + spec.pad * 0.6
    return y - top


def _norm(pen: Pen, spec: BackSpec, content: dict, x: float, top: float, width: float) -> float:
    """The social norm with its source, and the one advice route."""
    y = top + pen.paragraph(content["social_norm"], style(spec.label, leading=1.3), x + 16, top, width - 16)
    if content.get("social_norm_source"):
        y += pen.paragraph("Source: " + content["social_norm_source"], style(spec.body, leading=1.3), x + 16, y + 2,
                           width - 16) + 2
    pen.rect(x, top, 5, y - top, fill=INK)
    y += spec.gap
    return y + pen.paragraph(advice_line(content), style(spec.label, bold=True), x, y, width) - top


def _back(pen: Pen, spec: BackSpec, content: dict, width: float, spare: float = 0.0) -> float:
    """The back of the sheet from the top; returns where it ends. ``spare`` points are shared among
    its rows."""
    m = SPEC.margin
    inner = width - 2 * m
    y = m + pen.paragraph(content["heading"], style(spec.heading, bold=True, leading=1.1), m, m, inner, role="H2")
    stripe(pen, m, y + 8, inner, 6)
    y += 8 + 6 + spec.gap
    y += pen.paragraph(content.get("intro", ""), style(spec.body, leading=1.3), m, y, inner) + spec.gap
    y += _section(pen, spec, "After you call: what happens and when", m, y, inner)
    y += _after(pen, spec, content, m, y, inner, spare / 6) + spec.gap * 1.4
    y += _section(pen, spec, "Examples: which service, and why", m, y, inner)
    y += _examples(pen, spec, content, m, y, inner, spare / 6) + spec.gap * 1.4
    y += _section(pen, spec, "Checklist", m, y, inner)
    y += _checklist(pen, spec, content, m, y, inner) + spec.gap
    return y + _norm(pen, spec, content, m, y, inner)


def back_spec(pen: Pen, content: dict, width: float, bottom: float) -> tuple[BackSpec, float]:
    """The sizes at which the back fits above ``bottom`` (made smaller only as far as the floor), and
    where it then ends."""
    spec = BACK
    for _step in range(12):
        end = _back(pen.measuring(), spec, content, width)
        if end <= bottom or spec == spec.smaller(0.94):
            return spec, end
        spec = spec.smaller(0.94)
    return spec, end


def back_fits(content: dict) -> bool:
    """Whether the back of the sheet fits its page at readable sizes."""
    pen = Pen(Canvas(io.BytesIO()), A4[1], dry=True)
    return back_spec(pen, content, A4[0], A4[1] - poster_layout.footer_room())[1] <= A4[1] - poster_layout.footer_room()


def follow_up(content: dict, meta: Meta) -> bytes:
    """The sheet: the poster on the front, the back after it; set to print on both sides."""
    buffer = io.BytesIO()
    doc = poster_layout.page_document(buffer, "A4", info(FOLLOW_UP, content["heading"], meta),
                                      f"{meta.footer} \u00b7 {meta.council}", number="{page} of 2", duplex=True)
    room = poster_layout.footer_room()

    def front(pen, width, height):
        poster_layout.paint(pen, content, "A4", width, height, room)

    def back(pen, width, height):
        spec, end = back_spec(pen, content, width, height - room)
        _back(pen, spec, content, width, max(0.0, height - room - end))

    build(doc, pages([WholePage(front), WholePage(back)]))
    return buffer.getvalue()


# -- the trainer's notes -------------------------------------------------------------------------


def notes_pdf(kind: str, content: dict, meta: Meta) -> bytes:
    """A deck's trainer's notes on A4: one numbered section per slide, headed with its title."""
    buffer = io.BytesIO()
    margin = 50
    doc = pdf.document(buffer, A4, info(kind, f"Trainer's notes: {content['heading']}", meta), margin)
    doc.displayDocTitle = True
    frame = Frame(margin, margin, A4[0] - 2 * margin, A4[1] - 2 * margin, leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)
    footer = pdf.Edges(f"{meta.council} \u00b7 {meta.footer}", number="Page {page}", size=9)
    doc.addPageTemplates([PageTemplate("notes", [frame], onPageEnd=footer)])
    title = style(22, bold=True, leading=1.2, after=6)
    heading = style(14, bold=True, leading=1.25, after=4)
    body = style(12, leading=1.4, after=6)
    story = [TaggedParagraph(markup(f"Trainer's notes: {content['heading']}"), title, "H1"), Stripe(150, 6),
             Spacer(1, 8), TaggedParagraph(markup(meta.footer), body), Spacer(1, 8)]
    for n, slide in enumerate(deck(kind, content), start=1):
        section = [Bookmark(f"{n}. {slide.title}", f"note-{n}"),
                   TaggedParagraph(markup(f"{n}. {slide.title}"), heading, "H2")]
        section += [TaggedParagraph(markup(p), body) for p in paragraphs(slide.note)] or [
            TaggedParagraph("No notes.", body)]
        story.append(KeepTogether(section + [Spacer(1, 6)]))
    build(doc, story)
    return buffer.getvalue()


class Bookmark(Paragraph):
    """An empty marker that bookmarks the place it lands, so a section can be found in the outline."""

    def __init__(self, title: str, key: str):
        super().__init__("", style(1, leading=0.01))
        self.bookmark_title, self.key = title, key

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self):
        self.canv.bookmarkHorizontal(self.key, 0, 0)
        self.canv.addOutlineEntry(self.bookmark_title, self.key, level=0)
