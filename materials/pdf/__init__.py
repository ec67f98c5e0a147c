"""PDF builders for the materials: content in, bytes out. Nothing here knows of Flask or the database."""

from materials.pdf.builders import PAGE_SIZES, build, notes
from materials.pdf.layout import Meta

__all__ = ["PAGE_SIZES", "Meta", "build", "notes"]
