"""Certificates of attendance: content in, PDF bytes out, on the service's PDF foundation (core.pdf).
Pure: no Flask, no database."""

from __future__ import annotations

import io
from dataclasses import dataclass

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from core.pdf import BRAND, SECONDARY_INK, DocumentInfo, Styles, built, document, page_template, safe


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


class CertificateStyles(Styles):
    def __init__(self):
        super().__init__()
        self.title = self.make("certificate-title", 30, bold=True, align=TA_CENTER, colour=BRAND, leading=36)
        self.big = self.make("certificate-big", 22, bold=True, align=TA_CENTER, leading=28)
        self.body = self.make("certificate-body", 14, align=TA_CENTER, leading=20)
        self.small = self.make("certificate-small", 10, align=TA_CENTER, colour=SECONDARY_INK, leading=14)


def build_certificate(content: CertificateContent) -> bytes:
    """A one-page A4 landscape certificate. Every piece of text is escaped before it reaches a Paragraph."""
    buffer = io.BytesIO()
    info = DocumentInfo(f"Certificate of attendance: {content.course}", content.council,
                        f"{content.person}, {content.course}")
    doc = document(buffer, landscape(A4), info, (25 * mm, 25 * mm, 25 * mm, 20 * mm))
    doc.addPageTemplates([page_template(doc, "certificate")])
    styles = CertificateStyles()
    story = [
        Paragraph(safe(content.council), styles.body),
        Spacer(1, 8 * mm),
        Paragraph("Certificate of attendance", styles.title),
        Spacer(1, 10 * mm),
        Paragraph("This is to certify that", styles.body),
        Spacer(1, 3 * mm),
        Paragraph(safe(content.person), styles.big),
        Paragraph(safe(content.school), styles.body),
        Spacer(1, 5 * mm),
        Paragraph(f"{safe(content.status_line)} the course", styles.body),
        Spacer(1, 3 * mm),
        Paragraph(safe(content.course), styles.big),
        Paragraph(f"on {safe(content.dates)}", styles.body),
        Spacer(1, 8 * mm),
        Paragraph(f"Valid until {safe(content.valid_until)}", styles.body),
        Spacer(1, 12 * mm),
        Paragraph(f"Reference {safe(content.reference)}", styles.small),
    ]
    return built(doc, buffer, story)
