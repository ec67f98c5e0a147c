"""Reading the materials' PDFs back: every piece of text with its size and place, in the order the
content stream gives it (the order a screen reader meets it), words per page, bookmarks, and pages
rendered by poppler for looking at colours."""

import io
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

PDFTOPPM = "/usr/bin/pdftoppm"


@dataclass(frozen=True)
class Piece:
    """One run of text as drawn: its page (from 0), text, size in points and position (from the
    page's bottom left)."""

    page: int
    text: str
    size: float
    x: float
    y: float


def read(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def pieces(data: bytes) -> list[Piece]:
    """Every run of text, page by page, in content-stream order."""
    out = []
    for number, page in enumerate(read(data).pages):
        def visit(text, cm, tm, font_dict, font_size, number=number):
            if text.strip():
                scale = (tm[0] ** 2 + tm[1] ** 2) ** 0.5 * (cm[0] ** 2 + cm[1] ** 2) ** 0.5
                out.append(Piece(number, text.strip(), round(font_size * scale, 2), cm[4] + tm[4], cm[5] + tm[5]))

        page.extract_text(visitor_text=visit)
    return out


def plain(text: str) -> str:
    return text.replace("\u200b", "").replace("\u00a0", " ")


def text_of(data: bytes, page: int | None = None) -> str:
    """The text of every page (or one), its words joined by single spaces."""
    return " ".join(plain(p.text) for p in pieces(data) if page is None or p.page == page).replace("\n", " ")


def squashed(text: str) -> str:
    return "".join(plain(text).split())


WORD = re.compile(r"[\w£%'’-]*\w[\w%'’-]*")


def words(text: str) -> list[str]:
    """Words as a reader counts them: runs holding a letter or a digit, lower case."""
    return [w.lower().strip("'’-") for w in WORD.findall(plain(text))]


def page_size(data: bytes, page: int = 0) -> tuple[float, float]:
    box = read(data).pages[page].mediabox
    return round(float(box.width), 1), round(float(box.height), 1)


def outline_titles(data: bytes) -> list[str]:
    reader = read(data)
    return [item.title for item in reader.outline]


def require_poppler():
    if os.path.exists(PDFTOPPM):
        return
    message = "rendering test skipped: poppler's pdftoppm is not at /usr/bin/pdftoppm (sudo apt-get install poppler-utils)"
    if os.environ.get("RIGHT_SUPPORT_REQUIRE_BROWSER") == "1":
        pytest.fail(message.replace("skipped", "cannot run"))
    pytest.skip(message)


def render(data: bytes, tmp_path: Path, resolution: int = 40, gray: bool = False, page: int = 1):
    """One page rendered by poppler, as a Pillow image (RGB, or L when ``gray``)."""
    require_poppler()
    from PIL import Image

    source = tmp_path / "render.pdf"
    source.write_bytes(data)
    stem = tmp_path / f"page{page}{'-gray' if gray else ''}"
    options = ["-gray"] if gray else []
    subprocess.run([PDFTOPPM, "-r", str(resolution), *options, "-png", "-f", str(page), "-l", str(page), "-singlefile",
                    str(source), str(stem)], check=True, timeout=60)
    image = Image.open(f"{stem}.png")
    return image.convert("L" if gray else "RGB")
