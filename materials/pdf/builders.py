"""The four materials as PDF bytes: the poster (A4 or A3 portrait), the two 16:9 slide decks and the
follow-up sheet."""

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A3, A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepInFrame, PageBreak, Paragraph, Spacer, Table

from core.pdf import Edges, fonts, markup, page_template, plain, styled
from materials.content import (
    FOLLOW_UP,
    INDUCTION,
    POSTER,
    REFRESHER,
    SERVICE_COLOURS,
    TITLES,
    deck,
    scenario_answer,
    service,
)
from materials.pdf.colours import PANELS
from materials.pdf.layout import (
    Meta,
    Styles,
    document,
    panel_flowables,
    poster_story,
    remember_box,
    stacked_panel,
    texts,
)

# 16:9, the size of a widescreen presentation slide (13.33 by 7.5 inches).
SLIDE = (960.0, 540.0)
PAGE_SIZES = {"A4": A4, "A3": A3}


def poster(content: dict, meta: Meta, size: str = "A4") -> bytes:
    """The 'at a glance' poster on one portrait page, A4 or A3."""
    pagesize = PAGE_SIZES[size]
    scale = pagesize[0] / A4[0]
    margin = 14 * mm * scale
    buffer = io.BytesIO()
    doc = document(buffer, pagesize, content["title"], TITLES[POSTER], meta, margin)
    doc.addPageTemplates([page_template(doc, "poster", Edges(f"{meta.footer} \u00b7 {meta.council}", size=9 * scale))])
    styles = Styles(scale, panel=1.15)
    story = poster_story(content, styles, doc.width)
    doc.build([KeepInFrame(doc.width, doc.height, story, mode="shrink")])
    return buffer.getvalue()


class SlideStyles(Styles):
    def __init__(self):
        super().__init__(1.6)
        self.slide_heading = ParagraphStyle("slide-heading", parent=self.title, alignment=0, fontSize=30,
                                            leading=36, spaceAfter=14)
        self.slide_text = ParagraphStyle("slide-text", parent=self.body, fontSize=22, leading=29, spaceAfter=12)
        self.label = ParagraphStyle("slide-label", parent=self.body, fontName=fonts.BOLD, fontSize=18, leading=23,
                                    spaceAfter=4)


def _services_table(content: dict, styles: SlideStyles, width: float) -> Table:
    """'Which service when': the three services side by side with their numbers and WHEN."""
    gap = 12
    column = (width - 2 * gap) / 3
    small = Styles(1.25)
    cells = [panel_flowables(s, small, parts=("call", "when")) for s in content["services"]]
    table = Table([[cells[0], None, cells[1], None, cells[2]]], colWidths=[column, gap, column, gap, column])
    commands = [("VALIGN", (0, 0), (-1, -1), "TOP")]
    for index, s in enumerate(content["services"]):
        cell = (index * 2, 0)
        background = colors.HexColor(PANELS[SERVICE_COLOURS[s["key"]]]["background"])
        commands += [("BACKGROUND", cell, cell, background), ("LEFTPADDING", cell, cell, 10),
                     ("RIGHTPADDING", cell, cell, 10), ("TOPPADDING", cell, cell, 10), ("BOTTOMPADDING", cell, cell, 10)]
    styled(table, (commands))
    return table


def _service_slide(content: dict, key: str, width: float) -> Table:
    table = Table([[panel_flowables(service(content, key), Styles(1.6))]], colWidths=[width])
    background = colors.HexColor(PANELS[SERVICE_COLOURS[key]]["background"])
    styled(table, ([("BACKGROUND", (0, 0), (-1, -1), background), ("LEFTPADDING", (0, 0), (-1, -1), 16),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 16), ("TOPPADDING", (0, 0), (-1, -1), 12),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 12)]))
    return table


def _scenario(content: dict, number: int, styles: SlideStyles, width: float) -> list:
    scenario = content["scenarios"][number - 1]
    out = [Paragraph("The situation", styles.label)] + texts(scenario["situation"], styles.slide_text)
    answer = scenario_answer(content, scenario)
    known = {s["key"]: s for s in content["services"]}.get(scenario.get("service", ""))
    call = f"Call {answer}" + (f" on {known['phone']}" if known else "")
    if known:
        colour = PANELS[SERVICE_COLOURS[known["key"]]]
        answer_style = ParagraphStyle("answer", parent=styles.slide_text, fontName=fonts.BOLD,
                                      textColor=colors.HexColor(colour["text"]), spaceAfter=0)
        band = Table([[Paragraph(markup(call), answer_style)]], colWidths=[width])
        styled(band, ([("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(colour["background"])),
                                  ("LEFTPADDING", (0, 0), (-1, -1), 12), ("TOPPADDING", (0, 0), (-1, -1), 8),
                                  ("BOTTOMPADDING", (0, 0), (-1, -1), 10)]))
        out += [Paragraph("WHEN: which service?", styles.label), band, Spacer(1, 12)]
    else:
        out += [Paragraph("WHEN: which service?", styles.label), Paragraph(markup(call), styles.slide_text)]
    out += [Paragraph("WHY", styles.label)] + texts(scenario["why"], styles.slide_text)
    return out


def slides(kind: str, content: dict, meta: Meta) -> bytes:
    """A 16:9 deck, one slide per page, each slide shrunk to fit if its text is long."""
    margin = 36
    buffer = io.BytesIO()
    doc = document(buffer, SLIDE, content["heading"], TITLES[kind], meta, margin)
    footer = f"{meta.council} \u00b7 {plain(content['heading'])} \u00b7 {meta.footer}"
    doc.addPageTemplates([page_template(doc, "slide", Edges(footer, size=10))])
    styles = SlideStyles()
    width, height = doc.width, doc.height
    story = []
    for index, slide in enumerate(deck(kind, content)):
        body = [Paragraph(markup(slide.heading), styles.slide_heading)]
        for block, value in slide.blocks:
            if block == "text":
                body += texts(value, styles.slide_text)
            elif block == "services":
                body.append(_services_table(content, styles, width))
            elif block == "service":
                body.append(_service_slide(content, value, width))
            elif block == "scenario":
                body += _scenario(content, value, styles, width)
            elif block == "poster":
                body += poster_story(content, Styles(1.0, panel=1.1), width)
        if index:
            story.append(PageBreak())
        story.append(KeepInFrame(width, height, body, mode="shrink"))
    doc.build(story)
    return buffer.getvalue()


def follow_up(content: dict, meta: Meta) -> bytes:
    """The information sheet sent after training: A4 portrait, as many pages as it needs."""
    margin = 18 * mm
    buffer = io.BytesIO()
    doc = document(buffer, A4, content["heading"], TITLES[FOLLOW_UP], meta, margin)
    doc.addPageTemplates([page_template(doc, "sheet", Edges(f"{meta.footer} \u00b7 {meta.council}"))])
    styles = Styles(1.0)
    width = doc.width
    story = [Paragraph(markup(content["heading"]), styles.title)]
    story += texts(content["intro"], styles.body)
    story += [Spacer(1, 6), remember_box(content, styles, width), Spacer(1, 8),
              Paragraph(markup(content["question"]), styles.heading)]
    for s in content["services"]:
        if s["key"] == "mash":
            story.append(Paragraph(markup(content["mash_lead"]), styles.heading))
        story += [stacked_panel(s, styles, width), Spacer(1, 8)]
    story.append(Paragraph("Examples: when and why", styles.heading))
    for scenario in content["scenarios"]:
        story += texts(scenario["situation"], styles.body)
        story.append(Paragraph("<b>Call:</b> " + markup(scenario_answer(content, scenario)), styles.body))
        story.append(Paragraph("<b>Why:</b> " + markup(scenario["why"]), styles.body))
        story.append(Spacer(1, 4))
    story += [Paragraph("What other DSLs do", styles.heading)] + texts(content["social_norm"], styles.body)
    story += [Paragraph("What you gain", styles.heading)] + texts(content["gain_framing"], styles.body)
    story += [Paragraph("Keep the MASH line clear", styles.heading)] + texts(content["greater_good"], styles.body)
    story += [Paragraph("What to do next", styles.heading)] + texts(content["next_steps"], styles.body)
    story += texts(content["closing"], styles.body)
    doc.build(story)
    return buffer.getvalue()


def build(kind: str, content: dict, meta: Meta, size: str = "A4") -> bytes:
    """The PDF of one material version."""
    if kind == POSTER:
        return poster(content, meta, size)
    if kind in (INDUCTION, REFRESHER):
        return slides(kind, content, meta)
    if kind == FOLLOW_UP:
        return follow_up(content, meta)
    raise ValueError(f"unknown material {kind!r}")
