"""Certificates of attendance: content in, PDF bytes out (reportlab). Pure: no Flask, no database."""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

BRAND = colors.HexColor("#00594c")


@dataclass(frozen=True)
class CertificateContent:
    person: str
    school: str
    course: str
    dates: str  # e.g. "17 September 2020" or "17 and 18 September 2020"
    status_line: str  # e.g. "attended" or "attended in part"
    valid_until: str
    council: str
    reference: str


def build_certificate(content: CertificateContent) -> bytes:
    """A one-page A4 landscape certificate. Every piece of text is escaped before it reaches a Paragraph."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=25 * mm, rightMargin=25 * mm,
                            topMargin=25 * mm, bottomMargin=20 * mm, title=f"Certificate of attendance: {content.course}",
                            author=content.council, subject=f"{content.person}, {content.course}")
    title = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=30, leading=36, alignment=TA_CENTER,
                           textColor=BRAND)
    big = ParagraphStyle("big", fontName="Helvetica-Bold", fontSize=22, leading=28, alignment=TA_CENTER)
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=14, leading=20, alignment=TA_CENTER)
    small = ParagraphStyle("small", fontName="Helvetica", fontSize=10, leading=14, alignment=TA_CENTER,
                           textColor=colors.HexColor("#505a5f"))
    story = [
        Paragraph(escape(content.council), body),
        Spacer(1, 8 * mm),
        Paragraph("Certificate of attendance", title),
        Spacer(1, 10 * mm),
        Paragraph("This is to certify that", body),
        Spacer(1, 3 * mm),
        Paragraph(escape(content.person), big),
        Paragraph(escape(content.school), body),
        Spacer(1, 5 * mm),
        Paragraph(f"{escape(content.status_line)} the course", body),
        Spacer(1, 3 * mm),
        Paragraph(escape(content.course), big),
        Paragraph(f"on {escape(content.dates)}", body),
        Spacer(1, 8 * mm),
        Paragraph(f"Valid until {escape(content.valid_until)}", body),
        Spacer(1, 12 * mm),
        Paragraph(f"Reference {escape(content.reference)}", small),
    ]
    doc.build(story)
    return buffer.getvalue()
