"""Pieces every material shares, on the service's PDF foundation (core.pdf): the document, its
styles, the REMEMBER box and the service panels."""

import io
from dataclasses import dataclass
from datetime import date

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import BaseDocTemplate, Paragraph, Spacer, Table

from core import pdf
from core.pdf import markup, styled
from core.timefmt import uk_date
from materials.content import SERVICE_COLOURS, paragraphs
from materials.pdf.colours import PANELS, REMEMBER_BORDER


@dataclass(frozen=True)
class Meta:
    """What a PDF says about itself besides its content."""

    number: int  # the version number
    published: date
    council: str

    @property
    def footer(self) -> str:
        return f"Version {self.number} \u00b7 published {uk_date(self.published)}"


def document(buffer: io.BytesIO, pagesize, title: str, subject: str, meta: Meta, margin: float) -> BaseDocTemplate:
    """A document with the metadata every material carries: title, author (the council), subject, en-GB."""
    return pdf.document(buffer, pagesize, pdf.DocumentInfo(title, meta.council, subject), margin)


class Styles(pdf.Styles):
    """The foundation's styles, with the poster's strap line, the REMEMBER heading and the panels'."""

    def __init__(self, scale: float = 1.0, panel: float = 1.0):
        super().__init__(scale)
        self.panel_scale = panel
        self.strap = self.make("strap", 12, bold=True, align=TA_CENTER, after=4)
        self.remember_heading = self.make("remember-heading", 14, bold=True, after=4)

    def panel(self, colour: str) -> dict[str, ParagraphStyle]:
        """Styles for the text of a panel of ``colour`` (green, amber or red)."""
        ink, k = PANELS[colour]["text"], self.panel_scale
        return {
            "name": self.make(f"{colour}-name", 17 * k, bold=True, after=4, colour=ink),
            "label": self.make(f"{colour}-label", 10 * k, bold=True, before=4, after=1, colour=ink),
            "phone": self.make(f"{colour}-phone", 15 * k, bold=True, after=4, colour=ink),
            "text": self.make(f"{colour}-text", 9.5 * k, after=3, colour=ink),
        }


def texts(text: str, style: ParagraphStyle) -> list[Paragraph]:
    """One Paragraph per paragraph of user text, each escaped."""
    return [Paragraph(markup(p), style) for p in paragraphs(text)]


def remember_box(content: dict, styles: Styles, width: float) -> Table:
    cell = [Paragraph("REMEMBER", styles.remember_heading)] + texts(content["remember"], styles.body)
    box = Table([[cell]], colWidths=[width])
    pad = 8 * styles.scale
    styled(box, ([
        ("BOX", (0, 0), (-1, -1), 2 * styles.scale, colors.HexColor(REMEMBER_BORDER)),
        ("LEFTPADDING", (0, 0), (-1, -1), pad), ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), pad), ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
    ]))
    return box


def panel_flowables(service: dict, styles: Styles, parts=("call", "when", "why")) -> list:
    """The text of one service's panel: name, Call number, WHEN and WHY."""
    style = styles.panel(SERVICE_COLOURS[service["key"]])
    out = [Paragraph(markup(service["name"]), style["name"])]
    if "call" in parts:
        phone = markup(service["phone"]).replace(" ", "\u00a0")  # a number never breaks across lines
        out += [Paragraph("Call:", style["label"]), Paragraph(phone, style["phone"])]
    if "when" in parts:
        out += [Paragraph("WHEN", style["label"])] + texts(service["when"], style["text"])
    if "why" in parts:
        out += [Paragraph("WHY", style["label"])] + texts(service["why"], style["text"])
    return out


def service_panels(content: dict, styles: Styles, width: float, gap: float = 8) -> Table:
    """The three panels side by side, 'Only call MASH...' above the red one."""
    gap *= styles.scale
    column = (width - 2 * gap) / 3
    services = content["services"]
    lead = ParagraphStyle("mash-lead", parent=styles.heading, textColor=colors.HexColor(PANELS["red"]["background"]))
    cells = [panel_flowables(s, styles) for s in services]
    table = Table(
        [[None, None, None, None, Paragraph(markup(content["mash_lead"]), lead)],
         [cells[0], None, cells[1], None, cells[2]]],
        colWidths=[column, gap, column, gap, column],
    )
    commands = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, 0), 0),
                ("LEFTPADDING", (0, 0), (-1, 0), 0)]
    pad = 7 * styles.scale
    for index, service in enumerate(services):
        background = colors.HexColor(PANELS[SERVICE_COLOURS[service["key"]]]["background"])
        commands += [("BACKGROUND", (index * 2, 1), (index * 2, 1), background),
                     ("LEFTPADDING", (index * 2, 1), (index * 2, 1), pad),
                     ("RIGHTPADDING", (index * 2, 1), (index * 2, 1), pad),
                     ("TOPPADDING", (index * 2, 1), (index * 2, 1), pad),
                     ("BOTTOMPADDING", (index * 2, 1), (index * 2, 1), pad)]
    styled(table, (commands))
    return table


def stacked_panel(service: dict, styles: Styles, width: float) -> Table:
    """One service's panel at full width, one row per paragraph so it may split across pages."""
    rows = [[flowable] for flowable in panel_flowables(service, styles)]
    table = Table(rows, colWidths=[width])
    colour = PANELS[SERVICE_COLOURS[service["key"]]]["background"]
    pad = 8 * styles.scale
    styled(table, ([
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(colour)),
        ("LEFTPADDING", (0, 0), (-1, -1), pad), ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ("TOPPADDING", (0, 0), (-1, 0), pad), ("BOTTOMPADDING", (0, -1), (-1, -1), pad),
    ]))
    return table


def poster_story(content: dict, styles: Styles, width: float) -> list:
    """The poster's flowables, top to bottom, for a frame ``width`` wide."""
    return [
        Paragraph(markup(content["title"]), styles.title),
        Spacer(1, 4 * styles.scale),
        remember_box(content, styles, width),
        Spacer(1, 10 * styles.scale),
        Paragraph(markup(content["question"]), styles.heading),
        service_panels(content, styles, width),
        Spacer(1, 10 * styles.scale),
        *texts(content["gain_framing"], styles.strap),
    ]
