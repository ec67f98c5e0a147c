"""The PDF builders read back: texts, page sizes, slide counts, metadata, embedded fonts, the poster's
panels found by colour in a rendering, the contrast of every panel's text, and hostile content."""

import io
import os
import socket
import subprocess
from datetime import date

import pytest
from pypdf import PdfReader

from materials.content import FOLLOW_UP, INDUCTION, KINDS, POSTER, REFRESHER, first_version
from materials.pdf import Meta, build
from materials.pdf.colours import PANELS, WCAG_AA, contrast_ratio, panel_contrasts, rgb

META = Meta(number=1, published=date(2020, 9, 17), council="Demo County Council")
A4_POINTS = (595.3, 841.9)
A3_POINTS = (841.9, 1190.6)
PDFTOPPM = "/usr/bin/pdftoppm"


def read(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def text_of(reader: PdfReader) -> str:
    # Words split to wrap come back with zero-width spaces or line ends; join them for searching.
    return " ".join(page.extract_text() for page in reader.pages).replace("\u200b", "").replace("\u00a0", " ")


def squashed(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def built():
    return {kind: build(kind, first_version(kind), META) for kind in KINDS}


def test_poster_is_one_a4_portrait_page_with_the_reports_text_and_numbers(built):
    reader = read(built[POSTER])
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width), 1), round(float(box.height), 1)) == A4_POINTS
    text = text_of(reader)
    for expected in ("THE RIGHT SUPPORT AT THE RIGHT", "REMEMBER", "Which service is right for the child?",
                     "EARLY HELP", "DSL INFOLINE", "MASH", "Only call MASH...", "01926 412412", "01926 418608",
                     "01926 414144", "WHEN", "WHY", "Version 1 · published 17 September 2020"):
        assert squashed(expected) in squashed(text), expected


def test_poster_builds_at_a3_too():
    reader = read(build(POSTER, first_version(POSTER), META, size="A3"))
    box = reader.pages[0].mediabox
    assert len(reader.pages) == 1
    assert (round(float(box.width), 1), round(float(box.height), 1)) == A3_POINTS


@pytest.mark.parametrize("kind", [INDUCTION, REFRESHER])
def test_decks_are_16_by_9_with_at_least_8_slides(built, kind):
    reader = read(built[kind])
    assert len(reader.pages) >= 8
    for page in reader.pages:
        assert float(page.mediabox.width) / float(page.mediabox.height) == pytest.approx(16 / 9)
    text = squashed(text_of(reader))
    for expected in ("Which service is right for the child?", "Worked example 1: when and why",
                     "What other DSLs do", "What you gain", "The poster: keep it by your phone",
                     "01926 412412", "01926 418608", "01926 414144"):
        assert squashed(expected) in text, expected
    # The poster slide carries the poster's title and all three panels.
    poster_slide = squashed(reader.pages[-2].extract_text())
    assert squashed("THE RIGHT SUPPORT AT THE RIGHT TIME") in poster_slide and "01926414144" in poster_slide


def test_follow_up_sheet(built):
    reader = read(built[FOLLOW_UP])
    box = reader.pages[0].mediabox
    assert (round(float(box.width), 1), round(float(box.height), 1)) == A4_POINTS
    text = squashed(text_of(reader))
    assert squashed("After your DSL training") in text and "01926418608" in text
    assert squashed("What to do next") in text


@pytest.mark.parametrize("kind", KINDS)
def test_metadata_and_embedded_fonts(built, kind):
    reader = read(built[kind])
    assert reader.metadata.author == "Demo County Council"
    assert reader.metadata.title and reader.metadata.subject
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[font["/BaseFont"]] = font
    assert fonts and all("DejaVuSans" in name for name in fonts)
    for font in fonts.values():
        descriptor = font["/FontDescriptor"].get_object() if "/FontDescriptor" in font else \
            font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, f"{font['/BaseFont']} is not embedded"


def test_every_panel_text_colour_meets_wcag_aa():
    contrasts = panel_contrasts()
    assert set(contrasts) == {"green", "amber", "red"}
    for name, ratio in contrasts.items():
        assert ratio >= WCAG_AA, f"{name}: {ratio:.2f}"


def test_contrast_ratio_matches_known_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    with pytest.raises(ValueError):
        rgb("#fff")


def _require_pdftoppm():
    if os.path.exists(PDFTOPPM):
        return
    message = "poster rendering test skipped: poppler's pdftoppm is not at /usr/bin/pdftoppm (sudo apt-get install poppler-utils)"
    if os.environ.get("RIGHT_SUPPORT_REQUIRE_BROWSER") == "1":
        pytest.fail(message.replace("skipped", "cannot run"))
    pytest.skip(message)


def test_rendered_poster_shows_three_coloured_panels_left_to_right(built, tmp_path):
    _require_pdftoppm()
    from PIL import Image

    (tmp_path / "poster.pdf").write_bytes(built[POSTER])
    subprocess.run([PDFTOPPM, "-r", "40", "-png", "-singlefile", str(tmp_path / "poster.pdf"), str(tmp_path / "poster")],
                   check=True, timeout=60)
    image = Image.open(tmp_path / "poster.png").convert("RGB")
    width, height = image.size
    pixels = image.load()
    boxes = {}
    for name, panel in PANELS.items():
        target = rgb(panel["background"])
        xs, ys = [], []
        for y in range(0, height, 2):
            for x in range(0, width, 2):
                if all(abs(a - b) <= 6 for a, b in zip(pixels[x, y], target)):
                    xs.append(x)
                    ys.append(y)
        assert len(xs) > 500, f"no {name} panel found"
        boxes[name] = (min(xs), min(ys), max(xs), max(ys))
    green, amber, red = boxes["green"], boxes["amber"], boxes["red"]
    assert green[2] < amber[0] and amber[2] < red[0], boxes
    for box in boxes.values():
        # Each panel is a tall column in the lower part of the page, about a third of its width.
        assert box[1] > height * 0.25 and 0.2 * width < box[2] - box[0] < 0.4 * width
        assert box[3] - box[1] > height * 0.2


HOSTILE = "<img src=http://127.0.0.1:9/x> & <b> unclosed " + "W" * 300


def test_hostile_content_builds_and_fetches_nothing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"the PDF builder tried to connect to {args[1:]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    for kind in KINDS:
        content = first_version(kind)
        content["title"] = HOSTILE
        content["remember"] = HOSTILE
        content["heading"] = HOSTILE
        content["mash_lead"] = "Only call <b>MASH"
        for service in content["services"]:
            service["name"] = "<i>" + service["name"]
            service["when"] = HOSTILE
            service["why"] = HOSTILE + "\n\n**unclosed bold"
            service["phone"] = "0&1926 <412412>"
        for scenario in content.get("scenarios", []):
            scenario["situation"] = HOSTILE
        data = build(kind, content, META)
        reader = read(data)
        text = text_of(reader)
        assert "<img src=http://127.0.0.1:9/x>" in text.replace("\n", " "), kind
        assert "& <b> unclosed" in text.replace("\n", " "), kind
        assert "W" * 300 in squashed(text), kind
        assert "0&1926<412412>" in squashed(text), kind
        if kind == POSTER:
            assert len(reader.pages) == 1


def test_long_words_are_broken_to_fit_not_overflowing():
    from reportlab.lib.pagesizes import A4

    content = first_version(POSTER)
    content["services"][0]["when"] = "W" * 300
    reader = read(build(POSTER, content, META))
    page_width = A4[0]
    positions = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            positions.append((tm[4], text))

    reader.pages[0].extract_text(visitor_text=visit)
    long_runs = [(x, t) for x, t in positions if "WWWW" in t]
    assert long_runs
    for x, text in long_runs:
        assert 0 <= x < page_width / 3, "the long word left its panel"
        assert len(text.strip().replace("\u200b", "")) <= 60
