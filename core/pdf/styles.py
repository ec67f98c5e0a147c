"""Paragraph and table styles every PDF starts from, all in the embedded DejaVu fonts. Pure."""

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Table, TableStyle

from core.pdf import fonts

INK = "#0b0c0c"  # GOV.UK text colour
SECONDARY_INK = "#505a5f"  # GOV.UK secondary text colour
BRAND = "#00594c"  # the service's colour, as the page header's
LEADING = 1.25  # line height as a multiple of the font size


class Styles:
    """The basic paragraph styles at a ``scale`` (1 for A4; larger for A3 posters and slides)."""

    def __init__(self, scale: float = 1.0):
        self.scale = scale
        self.title = self.make("title", 24, bold=True, align=TA_CENTER, after=10)
        self.heading = self.make("heading", 15, bold=True, after=6, before=6)
        self.body = self.make("body", 10.5, after=5)
        self.small = self.make("small", 8.5)

    def make(self, name: str, size: float, bold: bool = False, align: int = TA_LEFT, after: float = 0.0,
             before: float = 0.0, colour: str = INK, leading: float | None = None) -> ParagraphStyle:
        """A style in DejaVu Sans (bold or not) at ``size`` points times the scale; lines ``leading``
        points apart (times the scale), LEADING times the size unless given."""
        fonts.register()
        leading = (leading or size * LEADING) * self.scale
        size *= self.scale
        return ParagraphStyle(
            name, fontName=fonts.BOLD if bold else fonts.REGULAR, fontSize=size, leading=leading,
            alignment=align, spaceAfter=after * self.scale, spaceBefore=before * self.scale,
            textColor=colors.HexColor(colour), splitLongWords=1,
        )


def styled(table: Table, commands) -> Table:
    """Apply ``commands`` to ``table``, its cells in the embedded font (ReportLab's default is
    Helvetica, a standard font that would be referenced without being embedded)."""
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR)] + list(commands)))
    return table
