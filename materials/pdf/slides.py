"""The two 16:9 decks, drawn for projection: every text at least 20 pt, no slide over 60 words, the
content filling the slide under its title, and the poster's visual system (the three spot colours,
the urgency labels, the arrow from 'not urgent' to 'child at risk now'). Each slide is bookmarked
with its title. Pure."""

from __future__ import annotations

import io

from reportlab.lib.enums import TA_RIGHT

from core import pdf
from materials.content import SERVICE_COLOURS, TITLES, items
from materials.outline import Panel, Slide, deck
from materials.pdf.colours import INK, PAPER
from materials.pdf.draw import (
    ARTIFACT,
    Pen,
    WholePage,
    build,
    document,
    fitting,
    panel_colours,
    phone,
    stripe,
    style,
    text_width,
)
from materials.pdf.draw import pages as whole_pages
from materials.pdf.layout import Meta, info

# 16:9, the size of a widescreen presentation slide (13.33 by 7.5 inches).
SLIDE = (960.0, 540.0)
MARGIN = 48.0
TOP = 36.0
FOOT = 44.0  # the band at the foot kept for the footer
HEADING, BIG, LARGE, BODY, SMALLEST = 34.0, 30.0, 26.0, 24.0, 20.0
FOOTER = 12.0
GAP = 18.0


class Canvas:
    """A slide's drawing area under its heading, with the pen that draws it."""

    def __init__(self, pen: Pen, width: float, height: float, top: float):
        self.pen, self.width, self.height = pen, width, height
        self.x, self.top, self.bottom = MARGIN, top, height - FOOT
        self.inner = width - 2 * MARGIN

    @property
    def room(self) -> float:
        return self.bottom - self.top

    def measure(self) -> Pen:
        return self.pen.measuring()


def _heading(pen: Pen, title: str, width: float) -> float:
    """The slide's title and the three-colour rule under it; returns where the body starts."""
    y = TOP + pen.paragraph(title, style(HEADING, bold=True, leading=1.12), MARGIN, TOP, width - 2 * MARGIN, role="H2")
    stripe(pen, MARGIN, y + 8, 150, 6)
    return y + 8 + 6 + GAP


def _centred(area: Canvas, draw) -> None:
    """Draw ``draw(pen, top)`` (which returns its height) centred in the area's height."""
    height = draw(area.measure(), area.top)
    draw(area.pen, area.top + max(0.0, (area.room - height) / 2))


def _bulleted(pen: Pen, entries: list[str], x: float, top: float, width: float, size: float, numbered: bool,
              spacing: float) -> float:
    """A list: numbers (or squares) in bold beside each entry."""
    y = top
    marker_width = size * 1.6
    for n, entry in enumerate(entries, start=1):
        if numbered:
            pen.paragraph(f"{n}", style(size, bold=True), x, y, marker_width, balance=0, role=ARTIFACT)
        else:
            pen.rect(x + size * 0.15, y + size * 0.25, size * 0.55, size * 0.55, fill=INK)
        y += pen.paragraph(entry, style(size, leading=1.2), x + marker_width, y, width - marker_width) + spacing
    return y - top - spacing if entries else 0.0


def _list(area: Canvas, slide: Slide) -> None:
    entries = slide.texts["items"]
    numbered = slide.id == "agenda"
    size = BIG
    spare = area.room - _bulleted(area.measure(), entries, area.x, 0, area.inner, size, numbered, 0)
    if spare < 10 * len(entries):
        size = LARGE
        spare = area.room - _bulleted(area.measure(), entries, area.x, 0, area.inner, size, numbered, 0)
    spacing = min(30.0, max(8.0, spare / max(1, len(entries))))

    def draw(pen, top):
        return _bulleted(pen, entries, area.x, top, area.inner, size, numbered, spacing)

    _centred(area, draw)


def _today(area: Canvas, slide: Slide) -> None:
    column = (area.inner - 2 * GAP) / 2

    def draw(pen, top):
        heights = []
        for n, (label, key) in enumerate((("The plan", "agenda"), ("You will", "outcomes"))):
            x = area.x + n * (column + 2 * GAP)
            y = top + pen.paragraph(label, style(BIG, bold=True), x, top, column, role="H3")
            y += 14 + _bulleted(pen, slide.texts[key], x, y + 14, column, LARGE, key == "agenda", 14)
            heights.append(y - top)
        return max(heights)

    _centred(area, draw)


def _figure(area: Canvas, slide: Slide) -> None:
    """The social-norm figure large beside a rule, its source under it, then the slide's own text."""

    def draw(pen, top):
        y = top + pen.paragraph(slide.texts["figure"], style(HEADING, leading=1.2), area.x + 24, top, area.inner - 24)
        if slide.texts.get("source"):
            y += 10 + pen.paragraph("Source: " + slide.texts["source"], style(SMALLEST, leading=1.2),
                                    area.x + 24, y + 10, area.inner - 24)
        pen.rect(area.x, top, 8, y - top, fill=INK)
        if slide.texts.get("text"):
            y += 36 + pen.paragraph(slide.texts["text"], style(LARGE, leading=1.3), area.x, y + 36, area.inner)
        return y - top

    _centred(area, draw)


def _card(pen: Pen, panel: Panel, x: float, top: float, width: float, height: float) -> None:
    """A service as a coloured card: its urgency, name and number, centred in the card's height."""
    fill, ink = panel_colours(SERVICE_COLOURS[panel.key])
    pen.rect(x, top, width, height, fill=fill)
    pad = 18
    number = fitting(panel.phone, BIG, width - 2 * pad)
    name = fitting(panel.name, BIG, width - 2 * pad)

    def draw(p, y0):
        y = y0 + p.tag(panel.urgency, SMALLEST, x + pad, y0, ink, width - 2 * pad)[1] + 18
        y += p.paragraph(panel.name, style(name, bold=True, colour=ink, leading=1.1), x + pad, y, width - 2 * pad,
                         role="H3")
        return y + 8 + p.paragraph(phone(panel.phone), style(number, bold=True, colour=ink), x + pad, y + 8,
                                   width - 2 * pad, raw=True) - y0

    inside = draw(pen.measuring(), 0)
    draw(pen, top + max(pad, (height - inside) / 2))


def _services(area: Canvas, slide: Slide) -> None:
    """The three services side by side under an arrow from 'not urgent' to 'child at risk now'."""
    pen = area.pen
    arrow = 26
    advice_height = area.measure().paragraph(slide.texts["advice"], style(BODY, bold=True), 0, 0, area.inner)
    card_top = area.top + arrow + 14
    card_height = area.room - arrow - 14 - advice_height - GAP
    gap = 12
    column = (area.inner - 2 * gap) / 3
    _horizontal_arrow(pen, area.x, area.top, area.inner, arrow)
    for n, panel in enumerate(slide.panels):
        _card(pen, panel, area.x + n * (column + gap), card_top, column, card_height)
    pen.paragraph(slide.texts["advice"], style(BODY, bold=True), area.x, area.bottom - advice_height, area.inner)


def _horizontal_arrow(pen: Pen, x: float, top: float, width: float, height: float) -> None:
    """The poster's urgency arrow turned to run left to right: thin at 'not urgent', wide at 'child
    at risk now'."""
    middle = top + height / 2
    head = height * 1.1
    pen.polygon([(x, middle - 1.5), (x + width - head, middle - height * 0.3), (x + width - head, middle - height / 2),
                 (x + width, middle), (x + width - head, middle + height / 2),
                 (x + width - head, middle + height * 0.3), (x, middle + 1.5)], INK)


def _service(area: Canvas, slide: Slide) -> None:
    """One service filling the slide: urgency, name and number on the left, WHEN, examples and its
    behavioural line on the right."""
    (panel,) = slide.panels
    fill, ink = panel_colours(SERVICE_COLOURS[panel.key])
    pen = area.pen
    pen.rect(area.x, area.top, area.inner, area.room, fill=fill)
    pad = 26
    left = max(area.inner * 0.4, text_width(panel.phone, 44, bold=True) + 2 * pad)
    right_x, right_width = area.x + left + pad, area.inner - left - 2 * pad

    def name_and_number(pen, top):
        y = top + pen.tag(panel.urgency, SMALLEST, area.x + pad, top, ink, left - pad)[1] + 16
        y += pen.paragraph(panel.name, style(36, bold=True, colour=ink, leading=1.1), area.x + pad, y, left - pad)
        return y + 4 + pen.paragraph(phone(panel.phone), style(44, bold=True, colour=ink), area.x + pad, y + 4,
                                     left - pad, raw=True) - top

    def texts(pen, top):
        y = top + pen.paragraph(panel.when, style(BIG, bold=True, colour=ink, leading=1.2), right_x, top, right_width)
        y += 16 + pen.paragraph(panel.examples, style(BODY, colour=ink, leading=1.25), right_x, y + 16, right_width)
        for message in panel.messages:
            y += 14 + pen.paragraph(message, style(BODY, bold=True, colour=ink), right_x, y + 14, right_width)
        return y - top

    for draw in (name_and_number, texts):
        height = draw(area.measure(), 0)
        draw(pen, area.top + (area.room - height) / 2)


def _danger(area: Canvas, slide: Slide) -> None:
    pen = area.pen
    pen.rect(area.x, area.top, area.inner, area.room, fill=INK)
    number_width = text_width(slide.texts["phone"], 96, bold=True) + 4
    words_width = area.inner - number_width - 3 * 30
    longest = max(items(slide.texts["text"]) or [""], key=lambda line: text_width(line, 36, bold=True))
    words = style(fitting(longest, 36, words_width, floor=26), bold=True, colour=PAPER, leading=1.2)
    height = area.measure().paragraph(slide.texts["text"], words, 0, 0, words_width)
    pen.paragraph(slide.texts["text"], words, area.x + 30, area.top + (area.room - height) / 2, words_width)
    pen.paragraph(phone(slide.texts["phone"]), style(96, bold=True, colour=PAPER, align=TA_RIGHT, leading=1.0),
                  area.x + area.inner - 30 - number_width, area.top + (area.room - 96) / 2 - 4, number_width, raw=True)


def _question(area: Canvas, slide: Slide) -> None:
    """A worked example's question: the situation large in a frame, the three services to choose
    from (no answer shown), and the social norm where the decision is made."""
    pen = area.pen
    norm_height = area.measure().paragraph(slide.texts["norm"], style(SMALLEST, leading=1.2), 0, 0, area.inner - 20)
    choices = 64
    frame_bottom = area.bottom - norm_height - GAP - choices - GAP
    situation = style(HEADING, leading=1.3)
    height = area.measure().paragraph(slide.texts["situation"], situation, 0, 0, area.inner - 60)
    pen.rect(area.x, area.top, area.inner, frame_bottom - area.top, stroke=INK, line=3)
    pen.paragraph(slide.texts["situation"], situation, area.x + 30,
                  area.top + (frame_bottom - area.top - height) / 2, area.inner - 60)
    column = (area.inner - 2 * GAP) / 3
    for n, panel in enumerate(slide.panels):
        fill, ink = panel_colours(SERVICE_COLOURS[panel.key])
        x = area.x + n * (column + GAP)
        pen.rect(x, frame_bottom + GAP, column, choices, fill=fill)
        pen.paragraph(panel.name, style(LARGE, bold=True, colour=ink, leading=1.0), x + 16,
                      frame_bottom + GAP + (choices - LARGE) / 2, column - 32)
    pen.rect(area.x, area.bottom - norm_height, 6, norm_height, fill=INK)
    pen.paragraph(slide.texts["norm"], style(SMALLEST, leading=1.2), area.x + 20, area.bottom - norm_height,
                  area.inner - 20)


def _answer(area: Canvas, slide: Slide) -> None:
    """A worked example's answer: the service and its number in its colour, why, and the line that
    belongs beside it."""
    pen = area.pen
    why = style(HEADING, leading=1.25)
    if not slide.panels:
        _centred(area, lambda p, top: p.paragraph(slide.texts["why"], why, area.x, top, area.inner))
        return
    (panel,) = slide.panels
    fill, ink = panel_colours(SERVICE_COLOURS[panel.key])
    band = 96
    pen.rect(area.x, area.top, area.inner, band, fill=fill)
    pen.paragraph(panel.name, style(40, bold=True, colour=ink, leading=1.0), area.x + 26, area.top + (band - 40) / 2,
                  area.inner / 2)
    number_width = text_width(panel.phone, 40, bold=True) + 4
    pen.paragraph(phone(panel.phone), style(40, bold=True, colour=ink, align=TA_RIGHT, leading=1.0),
                  area.x + area.inner - 26 - number_width, area.top + (band - 40) / 2, number_width, raw=True)
    below = Canvas(pen, area.width, area.height, area.top + band + GAP)

    def draw(p, top):
        y = top + p.paragraph("Why: " + slide.texts["why"], why, area.x, top, area.inner)
        for message in panel.messages:
            y += 20 + p.paragraph(message, style(LARGE, bold=True), area.x, y + 20, area.inner)
        return y - top

    _centred(below, draw)


def _after(area: Canvas, slide: Slide) -> None:
    """What happens after a call to each service, one coloured row each, filling the slide."""
    pen = area.pen
    row = (area.room - 2 * 10) / 3
    label = max(230, max(text_width(p.name, LARGE, bold=True) for p in slide.panels) + 36)
    for n, panel in enumerate(slide.panels):
        fill, ink = panel_colours(SERVICE_COLOURS[panel.key])
        top = area.top + n * (row + 10)
        pen.rect(area.x, top, label, row, fill=fill)
        name = style(LARGE, bold=True, colour=ink, leading=1.1)
        height = area.measure().paragraph(panel.name, name, 0, 0, label - 32)
        pen.paragraph(panel.name, name, area.x + 16, top + (row - height) / 2, label - 32)
        pen.rect(area.x + label, top, area.inner - label, row, stroke=fill, line=3)
        text = style(BODY, leading=1.25)
        height = area.measure().paragraph(panel.after, text, 0, 0, area.inner - label - 40)
        pen.paragraph(panel.after, text, area.x + label + 20, top + (row - height) / 2, area.inner - label - 40)


def _close(area: Canvas, slide: Slide) -> None:
    def draw(pen, top):
        y = top + pen.paragraph(slide.texts["text"], style(BIG, leading=1.3), area.x, top, area.inner)
        y += 28
        pen.rect(area.x, y, area.inner, 6, fill=INK)
        return y + 6 + 22 + pen.paragraph(slide.texts["advice"], style(BODY, bold=True), area.x, y + 28,
                                          area.inner) - top

    _centred(area, draw)


def _title(pen: Pen, slide: Slide, width: float, height: float) -> None:
    """The opening slide: the deck's title and subtitle, over the three colours."""
    inner = width - 2 * MARGIN
    heading = style(48, bold=True, leading=1.12)
    subtitle = style(BIG, leading=1.2)
    measure = pen.measuring()
    block = measure.paragraph(slide.title, heading, 0, 0, inner) + 20 + measure.paragraph(
        slide.texts.get("subtitle", ""), subtitle, 0, 0, inner)
    bar = 40
    top = (height - FOOT - bar - block) / 2
    y = top + pen.paragraph(slide.title, heading, MARGIN, top, inner, role="H1") + 20
    pen.paragraph(slide.texts.get("subtitle", ""), subtitle, MARGIN, y, inner)
    stripe(pen, 0, height - FOOT - bar, width, bar)


LAYOUTS = {"list": _list, "today": _today, "figure": _figure, "services": _services, "service": _service,
           "danger": _danger, "question": _question, "answer": _answer, "after": _after, "close": _close}


def _painter(slide: Slide):
    def paint(pen: Pen, width: float, height: float) -> None:
        if slide.layout == "title":
            _title(pen, slide, width, height)
            return
        top = _heading(pen, slide.title, width)
        LAYOUTS[slide.layout](Canvas(pen, width, height, top), slide)

    return paint


def deck_pdf(kind: str, content: dict, meta: Meta) -> bytes:
    """A 16:9 deck, one slide a page, each bookmarked with its title."""
    buffer = io.BytesIO()
    footer = pdf.Edges(f"{meta.council} \u00b7 {meta.footer}", number="{page}", size=FOOTER)
    doc = document(buffer, SLIDE, info(kind, content["heading"], meta), footer, MARGIN, 18)
    # Slides are set wide: a balanced line is never narrower than 85% of its measure.
    pages = [WholePage(_painter(slide), bookmark=slide.title, key=f"slide-{n}", balance=0.85)
             for n, slide in enumerate(deck(kind, content), start=1)]
    build(doc, whole_pages(pages))
    return buffer.getvalue()


__all__ = ["SLIDE", "TITLES", "deck_pdf"]
