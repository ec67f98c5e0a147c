"""What every material's PDF says about itself: its version line and its metadata. Pure."""

from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A3, A4

from core import pdf
from core.timefmt import uk_date
from materials.content import TITLES, sentence_case

PAGE_SIZES = {"A4": A4, "A3": A3}


@dataclass(frozen=True)
class Meta:
    """What a PDF says about itself besides its content."""

    number: int  # the version number
    published: date
    council: str

    @property
    def footer(self) -> str:
        return f"Version {self.number} \u00b7 published {uk_date(self.published)}"


def info(kind: str, title: str, meta: Meta) -> pdf.DocumentInfo:
    """The metadata of a material: its title in sentence case (as a screen reader announces it),
    the council as author, the material's name as subject."""
    return pdf.DocumentInfo(sentence_case(title), meta.council, TITLES[kind])
