"""One foundation for every PDF the service makes (the materials, certificates, the outcome report
and its charts): DejaVu fonts embedded, paragraph and table styles, documents with their metadata,
page templates with header, footer and page numbers, and user text made safe for a Paragraph.
Pure: no Flask, no database."""

from core.pdf.document import CREATOR, DocumentInfo, Edges, built, document, page_template
from core.pdf.styles import BRAND, INK, SECONDARY_INK, Styles, styled
from core.pdf.text import markup, plain, safe

__all__ = ["BRAND", "CREATOR", "INK", "SECONDARY_INK", "DocumentInfo", "Edges", "Styles", "built", "document", "markup",
           "page_template", "plain", "safe", "styled"]
