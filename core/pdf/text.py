"""User text made safe for a ReportLab Paragraph. Pure.

Paragraph reads a small markup language (tags such as <img> would make it fetch a file or a URL),
so every character a person typed is escaped before it reaches one. ``safe`` does only that (and
keeps line breaks); ``markup`` also honours the materials' **bold** and breaks very long words.
"""

import re
from xml.sax.saxutils import escape

BOLD = re.compile(r"\*\*(.+?)\*\*")
# Break runs of characters longer than this with a zero-width space, so nothing overflows a panel.
LONGEST_WORD = 30
LONG_WORD = re.compile(r"\S{%d,}" % (LONGEST_WORD + 1))
ZERO_WIDTH_SPACE = "\u200b"


def safe(text) -> str:
    """Paragraph markup that shows ``text`` exactly as typed, line breaks included."""
    return escape("" if text is None else str(text)).replace("\n", "<br/>")


def breakable(text: str) -> str:
    """Insert break opportunities into words longer than LONGEST_WORD characters."""

    def split(match):
        word = match.group(0)
        return ZERO_WIDTH_SPACE.join(word[i:i + LONGEST_WORD] for i in range(0, len(word), LONGEST_WORD))

    return LONG_WORD.sub(split, text)


def markup(text: str) -> str:
    """Paragraph markup for one paragraph of user text: escaped, **bold** honoured, lines kept."""
    marked = escape(breakable(text or ""))
    marked = BOLD.sub(r"<b>\1</b>", marked)
    return marked.replace("\n", "<br/>")


def plain(text: str) -> str:
    """The text without the **bold** markers (for the PDF's metadata and headings)."""
    return BOLD.sub(r"\1", text or "")
