"""The 'at a glance' poster: the question and the three services are the hero, stacked from 'not
urgent' to 'child at risk now' beside an arrow that says so without colour, each with its urgency,
name, number, WHEN trigger, examples and the behavioural line that belongs to it, then the line for
immediate danger. A4 for a desk and its own A3 layout for a wall. Pure."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace

from reportlab.lib.enums import TA_RIGHT
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate

from core import pdf
from core.pdf import markup
from materials.content import SERVICE_COLOURS, title_lines
from materials.outline import Panel, panels
from materials.pdf.colours import INK, PAPER
from materials.pdf.draw import Pen, document, panel_colours, phone, stripe, style, text_width
from materials.pdf.layout import PAGE_SIZES


@dataclass(frozen=True)
class PosterSpec:
    """The type sizes (points) and spacing of one paper size."""

    margin: float
    title: float
    question: float
    norm: float
    tag: float
    name: float
    phone: float
    when: float
    body: float  # examples and the behavioural lines: the smallest text but the footer
    danger: float
    footer: float
    rail: float  # the urgency arrow's width
    gap: float
    pad: float  # inside a panel
    left: float  # share of a panel's width for its name and number, when they sit beside its texts
    stacked: bool  # name and number on one line above the texts (for the wall)

    def smaller(self, factor: float, floor: PosterSpec) -> PosterSpec:
        """Every size ``factor`` times smaller, none below ``floor``'s."""
        sizes = ("title", "question", "norm", "tag", "name", "phone", "when", "body", "danger", "gap", "pad")
        return replace(self, **{k: max(getattr(self, k) * factor, getattr(floor, k)) for k in sizes})


# A desk, read at arm's length: body 12 pt, numbers 28 pt.
A4_SPEC = PosterSpec(margin=34, title=42, question=24, norm=14, tag=12, name=20, phone=28, when=14, body=12.5,
                     danger=16, footer=9, rail=30, gap=14, pad=14, left=0.45, stacked=False)
A4_FLOOR = replace(A4_SPEC, title=30, question=18, norm=12, tag=12, name=17, phone=24, when=12, body=12, danger=13,
                   gap=8, pad=9)
# A wall, read from two metres: body 20 pt, numbers 44 pt, the name and number across the panel's top.
A3_SPEC = PosterSpec(margin=46, title=52, question=30, norm=20, tag=20, name=30, phone=44, when=22, body=20,
                     danger=24, footer=13, rail=44, gap=13, pad=14, left=0.0, stacked=True)
A3_FLOOR = replace(A3_SPEC, title=44, question=24, norm=20, tag=20, name=24, phone=40, when=20, body=20, danger=20,
                   gap=7, pad=10)
SPECS = {"A4": (A4_SPEC, A4_FLOOR), "A3": (A3_SPEC, A3_FLOOR)}


def _title(pen: Pen, content: dict, spec: PosterSpec, x: float, top: float, width: float) -> float:
    """The title on the lines its text breaks into, as large as the widest line allows."""
    lines = title_lines(content["title"])
    widest = max(text_width(line.replace("**", ""), spec.title, bold=True) for line in lines)
    size = min(spec.title, spec.title * width / widest) if widest else spec.title
    marked_up = "<br/>".join(markup(line) for line in lines)
    return pen.paragraph(marked_up, style(size, bold=True, leading=1.08), x, top, width + 1, raw=True, balance=0,
                         role="H1")


def _name_and_number(pen: Pen, panel: Panel, spec: PosterSpec, ink: str, x: float, top: float, width: float) -> float:
    _w, tag_height = pen.tag(panel.urgency, spec.tag, x, top, ink, width)
    y = top + tag_height + spec.tag * 0.55
    name = style(spec.name, bold=True, colour=ink, leading=1.1)
    number = style(spec.phone, bold=True, colour=ink, leading=1.05)
    if not spec.stacked:
        y += pen.paragraph(panel.name, name, x, y, width, role="H3")
        return y + pen.paragraph(phone(panel.phone), number, x, y, width, raw=True) - top
    # Across the top: the name on the left, the number on the right, sharing a baseline (a
    # paragraph's first baseline sits its font size below its top).
    number_width = text_width(panel.phone, spec.phone, bold=True) + 2
    drop = spec.phone - spec.name
    name_height = pen.paragraph(panel.name, name, x, y + drop, width - number_width - spec.gap, role="H3")
    number_height = pen.paragraph(phone(panel.phone), style(spec.phone, bold=True, colour=ink, leading=1.05,
                                                            align=TA_RIGHT),
                                  x + width - number_width, y, number_width, raw=True)
    return y + max(name_height + drop, number_height) - top


def _texts(pen: Pen, panel: Panel, spec: PosterSpec, ink: str, x: float, top: float, width: float) -> float:
    y = top + pen.paragraph(panel.when, style(spec.when, bold=True, colour=ink, leading=1.2), x, top, width)
    y += spec.body * 0.45 + pen.paragraph(panel.examples, style(spec.body, colour=ink), x, y + spec.body * 0.45, width)
    for message in panel.messages:
        y += spec.body * 0.45
        y += pen.paragraph(message, style(spec.body, bold=True, colour=ink), x, y, width)
    return y - top


def _panel(pen: Pen, content: dict, panel: Panel, spec: PosterSpec, x: float, top: float, width: float,
           extra: float) -> float:
    """One service's panel, ``extra`` points taller than its text needs; its height."""
    fill, ink = panel_colours(SERVICE_COLOURS[panel.key])
    pad = spec.pad
    measure = pen.measuring()
    if spec.stacked:
        heading = _name_and_number(measure, panel, spec, ink, 0, 0, width - 2 * pad)
        texts = _texts(measure, panel, spec, ink, 0, 0, width - 2 * pad)
        height = heading + spec.gap + texts + 2 * pad + extra
        pen.rect(x, top, width, height, fill=fill)
        y = top + pad + extra / 2
        _name_and_number(pen, panel, spec, ink, x + pad, y, width - 2 * pad)
        _texts(pen, panel, spec, ink, x + pad, y + heading + spec.gap, width - 2 * pad)
        return height
    # The numbers line up in one column, as wide as the longest needs.
    widest = max(text_width(p.phone, spec.phone, bold=True) for p in panels(content))
    left = max(width * spec.left, widest + pad + 4)
    left_height = _name_and_number(measure, panel, spec, ink, 0, 0, left - pad)
    right_width = width - left - 2 * pad
    right_height = _texts(measure, panel, spec, ink, 0, 0, right_width)
    height = max(left_height, right_height) + 2 * pad + extra
    pen.rect(x, top, width, height, fill=fill)
    _name_and_number(pen, panel, spec, ink, x + pad, top + (height - left_height) / 2, left - pad)
    _texts(pen, panel, spec, ink, x + left + pad, top + (height - right_height) / 2, right_width)
    return height


def _danger(pen: Pen, content: dict, spec: PosterSpec, x: float, top: float, width: float) -> float:
    """Immediate danger: white on black, the number as large as the services'."""
    pad = spec.pad
    number_width = text_width(content["danger_phone"], spec.phone, bold=True) + 2
    text_width_ = width - 3 * pad - number_width
    words = style(spec.danger, bold=True, colour=PAPER, leading=1.15)
    number = style(spec.phone, bold=True, colour=PAPER, leading=1.0, align=TA_RIGHT)
    measure = pen.measuring()
    words_height = measure.paragraph(content["danger"], words, 0, 0, text_width_)
    height = max(words_height, spec.phone) + 1.3 * pad
    pen.rect(x, top, width, height, fill=INK)
    pen.paragraph(content["danger"], words, x + pad, top + (height - words_height) / 2, text_width_)
    pen.paragraph(phone(content["danger_phone"]), number, x + width - pad - number_width,
                  top + (height - spec.phone) / 2 - spec.phone * 0.04, number_width, raw=True)
    return height


def _layout(pen: Pen, content: dict, spec: PosterSpec, width: float, extra: float) -> float:
    """Lay the poster out from the top; returns where it ends. ``extra`` is shared among the panels."""
    m = spec.margin
    inner = width - 2 * m
    y = m + _title(pen, content, spec, m, m, inner)
    stripe(pen, m, y + spec.gap * 0.5, inner, spec.gap * 0.45)
    y += spec.gap * 1.6
    y += pen.paragraph(content["question"], style(spec.question, bold=True, leading=1.15), m, y, inner, role="H2")
    y += spec.gap * 0.35
    y += pen.paragraph(content["social_norm"], style(spec.norm, leading=1.25), m, y, inner)
    y += spec.gap
    panels_top = y
    x = m + spec.rail + spec.gap * 0.7
    for panel in panels(content):
        y += _panel(pen, content, panel, spec, x, y, width - m - x, extra / 3) + spec.gap * 0.5
    danger_height = _danger(pen, content, spec, x, y, width - m - x)
    pen.arrow(m + spec.rail / 2, panels_top, y + danger_height / 2 + spec.rail * 0.45, spec.rail)
    return y + danger_height


def page_document(buffer: io.BytesIO, size: str, info: pdf.DocumentInfo, footer: str, number: str | None = None,
                  duplex: bool = False) -> BaseDocTemplate:
    """A document of poster-sized pages with ``footer`` (the version line) at each page's foot."""
    spec = SPECS[size][0]
    edges = pdf.Edges(footer, number=number, size=spec.footer)
    return document(buffer, PAGE_SIZES[size], info, edges, spec.margin, spec.margin * 0.45, duplex=duplex)


def footer_room(size: str = "A4") -> float:
    """How far above the page's foot the poster stops, leaving room for its footer."""
    spec = SPECS[size][0]
    return spec.margin * 0.45 + spec.footer * 2.2


def sized(pen: Pen, content: dict, size: str, width: float, bottom: float) -> tuple[PosterSpec, float]:
    """The sizes at which the poster fits above ``bottom`` (made smaller only as far as the size's
    floor), and where it then ends."""
    spec, floor = SPECS[size]
    measure = pen.measuring()
    for _step in range(12):
        natural = _layout(measure, content, spec, width, 0)
        if natural <= bottom or spec == spec.smaller(0.95, floor):
            break
        spec = spec.smaller(0.95, floor)
    return spec, natural


def fits(content: dict, size: str) -> bool:
    """Whether the poster fits its page at readable sizes."""
    width, height = PAGE_SIZES[size]
    bottom = height - footer_room(size)
    return sized(Pen(Canvas(io.BytesIO()), height, dry=True), content, size, width, bottom)[1] <= bottom


def paint(pen: Pen, content: dict, size: str, width: float, height: float, footer_room: float) -> PosterSpec:
    """Draw the poster on ``pen``'s page, filling the page down to ``footer_room`` above its foot:
    measured first, the room left over shared among the panels; type made smaller, never below
    the size's floor, only if the text would not fit. Returns the sizes used."""
    bottom = height - footer_room
    spec, natural = sized(pen, content, size, width, bottom)
    _layout(pen, content, spec, width, max(0.0, bottom - natural))
    return spec
