"""The PDF builders read back: words and their sizes by role, reading order, page sizes and counts,
metadata and bookmarks, the trainer's notes against the slides, the panels' colours and their
greyscale contrast in a rendering, the urgency arrow, and hostile content."""

import re
import socket
from datetime import date
from itertools import combinations

import pytest

from materials.content import DECKS, FOLLOW_UP, INDUCTION, KINDS, POSTER, REFRESHER, first_version, service
from materials.outline import SLIDE_WORDS, deck
from materials.pdf import Meta, build, notes
from materials.pdf.colours import (
    COLOUR_VISION,
    PANEL_CONTRAST,
    PANELS,
    WCAG_AA,
    contrast_ratio,
    fill_contrasts,
    panel_contrasts,
    relative_luminance,
    rgb,
    seen_fill_contrasts,
    seen_luminance,
)
from tests.materials.pdfread import (
    outline_titles,
    page_size,
    pieces,
    read,
    render,
    squashed,
    text_of,
    words,
)

META = Meta(number=1, published=date(2020, 9, 17), council="Demo County Council")
FOOTER = "Version 1 · published 17 September 2020"
A4_POINTS = (595.3, 841.9)
A3_POINTS = (841.9, 1190.6)
PHONES = ("01926 412412", "01926 418608", "01926 414144")


@pytest.fixture(scope="module")
def built():
    out = {kind: build(kind, first_version(kind), META) for kind in KINDS}
    out["poster-A3"] = build(POSTER, first_version(POSTER), META, size="A3")
    for kind in DECKS:
        out[f"{kind}-notes"] = notes(kind, first_version(kind), META)
    return out


def is_footer(piece) -> bool:
    return FOOTER in piece.text or piece.size < 14 and re.fullmatch(r"(Page )?\d+( of 2)?", piece.text) is not None


# -- the poster --------------------------------------------------------------------------------


def test_poster_is_one_a4_page_led_by_the_question_and_the_three_services(built):
    data = built[POSTER]
    assert len(read(data).pages) == 1 and page_size(data) == A4_POINTS
    runs = pieces(data)
    text = squashed(text_of(data))
    for expected in ("Which service is right for the child?", "EARLY HELP", "DSL INFOLINE", "MASH", *PHONES, "999",
                     "A child in immediate danger?", "Keep this line clear for children at risk now."):
        assert squashed(expected) in text, expected
    # REMEMBER is folded into the panels: no box of its own.
    assert "REMEMBER" not in text
    # The title breaks where its text does, never leaving a word alone on a line.
    title = [p.text for p in runs if p.size == max(r.size for r in runs)]
    assert title == ["THE RIGHT SUPPORT", "AT THE RIGHT TIME"]


def test_poster_sizes_by_role_and_its_word_count(built):
    runs = pieces(built[POSTER])
    title_size = max(p.size for p in runs)
    numbers = [p for p in runs if p.text in PHONES + ("999",)]
    assert len(numbers) == 4 and min(p.size for p in numbers) >= 24
    others = [p for p in runs if p.size < title_size and p not in numbers]
    # The numbers are the largest text after the title; the names smaller than their numbers.
    assert max(p.size for p in others) < min(p.size for p in numbers)
    body = [p for p in others if not is_footer(p)]
    assert min(p.size for p in body) >= 12, sorted({p.size for p in body})
    assert len(words(text_of(built[POSTER]))) <= 150


def test_poster_speaks_with_a_real_figure_and_the_greater_good_beside_mash(built):
    runs = pieces(built[POSTER])
    text = text_of(built[POSTER])
    assert re.search(r"\b\d{1,3}% of DSLs\b", text)
    y = {p.text: p.y for p in runs}
    # The greater-good line sits in the MASH panel: below MASH's name, above the danger line.
    assert y["MASH"] > y["children at risk now."] > y["A child in immediate danger?"]
    assert y["DSL INFOLINE"] > y["Not sure? Call here for advice."] > y["MASH"]


def test_urgency_runs_top_to_bottom_in_words_not_only_colour(built, tmp_path):
    runs = pieces(built[POSTER])
    labels = [p for p in runs if p.text in ("NOT URGENT", "UNSURE", "CHILD AT RISK NOW")]
    assert [p.text for p in sorted(labels, key=lambda p: -p.y)] == ["NOT URGENT", "UNSURE", "CHILD AT RISK NOW"]
    # The arrow: a dark wedge in the left margin beside the panels that widens as it goes down.
    image = render(built[POSTER], tmp_path, resolution=60, gray=True)
    width, height = image.size
    pixels = image.load()

    def dark_width(row: int) -> int:
        return sum(1 for x in range(int(width * 0.12)) if pixels[x, row] < 60)

    top, bottom = int(height * 0.40), int(height * 0.85)
    assert 0 < dark_width(top) < dark_width(bottom), (dark_width(top), dark_width(bottom))


def test_every_pair_of_panel_fills_differs_in_greyscale_and_text_meets_aa():
    for pair, ratio in fill_contrasts().items():
        assert ratio >= PANEL_CONTRAST, (pair, round(ratio, 2))
    assert len(fill_contrasts()) == 3
    for name, ratio in panel_contrasts().items():
        assert ratio >= WCAG_AA, (name, round(ratio, 2))
    # Light to dark as the services go from not urgent to a child at risk now.
    assert relative_luminance(PANELS["green"]["background"]) > relative_luminance(PANELS["amber"]["background"]) > \
        relative_luminance(PANELS["red"]["background"])


def test_the_html_versions_and_the_documented_contract_use_the_pdfs_fills():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    css = (root / "materials" / "static" / "materials.css").read_text()
    for name, panel in PANELS.items():
        rule = re.search(rf"\.app-panel--{name} {{ background: (#[0-9a-f]{{6}}); color: (#[0-9a-f]{{6}}); }}", css)
        assert rule and rule.groups() == (panel["background"], panel["text"]), name
    section = (root / "docs" / "formats.md").read_text().split("## The materials' panels in black and white")[1]
    documented = re.findall(r"^\| [^|]+ \| `(#[0-9a-f]{6})` \| `(#[0-9a-f]{6})` \(([\d.]+):1\) \| ([\d.]+) \|$",
                            section.split("\n## ")[0], re.M)
    assert [(fill, text) for fill, text, _c, _l in documented] == [(p["background"], p["text"]) for p in PANELS.values()]
    for (fill, text, ratio, luminance), name in zip(documented, PANELS):
        assert float(ratio) == pytest.approx(panel_contrasts()[name], abs=0.05)
        assert float(luminance) == pytest.approx(relative_luminance(fill), abs=0.0005)
    between = " ".join(section.split("\n## ")[0].split())
    for ratio in [*fill_contrasts().values(), *seen_fill_contrasts().values()]:
        assert f"{ratio:.2f}:1" in between


def test_panels_stay_apart_for_readers_with_red_green_colour_blindness():
    seen = seen_fill_contrasts()
    assert {vision for vision, _a, _b in seen} == {"deuteranopia", "protanopia"} and len(seen) == 6
    for key, ratio in seen.items():
        assert ratio >= PANEL_CONTRAST, (key, round(ratio, 2))
    # Greys are seen as they are; pure red loses most of its light to a protanope.
    for vision in COLOUR_VISION:
        assert seen_luminance("#767676", vision) == pytest.approx(relative_luminance("#767676"), abs=1e-5)
    assert seen_luminance("#ff0000", "protanopia") < relative_luminance("#ff0000") * 0.75


def test_contrast_ratio_matches_known_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    with pytest.raises(ValueError):
        rgb("#fff")


def _panel_boxes(image) -> dict:
    """Each panel found by its fill colour in a rendering: (left, top, right, bottom) of the rows
    where the colour fills over half the page's width (the thin rule under the title is a third)."""
    width, height = image.size
    pixels = image.load()
    boxes = {}
    for name, panel in PANELS.items():
        target = rgb(panel["background"])
        rows = {}
        for y in range(height):
            xs = [x for x in range(width) if all(abs(a - b) <= 6 for a, b in zip(pixels[x, y], target))]
            if len(xs) > width / 2:
                rows[y] = xs
        assert len(rows) > 10, f"no {name} panel found"
        boxes[name] = (min(min(xs) for xs in rows.values()), min(rows), max(max(xs) for xs in rows.values()), max(rows))
    return boxes


@pytest.mark.parametrize("kind", [POSTER, "poster-A3", FOLLOW_UP])
def test_rendered_panels_stack_from_not_urgent_to_at_risk_and_print_as_three_greys(built, kind, tmp_path):
    image = render(built[kind], tmp_path)
    width, height = image.size
    boxes = _panel_boxes(image)
    green, amber, red = boxes["green"], boxes["amber"], boxes["red"]
    assert green[3] < amber[1] and amber[3] < red[1], boxes
    for box in boxes.values():
        # Each panel spans most of the page's width, a band of its height.
        assert box[2] - box[0] > width * 0.7 and box[3] - box[1] > height * 0.1
    # Photocopied: the same page in greyscale, each panel's grey measured where its fill is.
    grey = render(built[kind], tmp_path, gray=True).load()
    levels = {}
    for name, (left, top, right, bottom) in boxes.items():
        x, y = right - 3, (top + bottom) // 2
        levels[name] = grey[x, y]
        assert all(abs(grey[x, y + d] - levels[name]) <= 2 for d in (-6, 6)), name
    shades = {name: f"#{level:02x}{level:02x}{level:02x}" for name, level in levels.items()}
    for a, b in combinations(shades, 2):
        assert contrast_ratio(shades[a], shades[b]) >= PANEL_CONTRAST, (a, b, shades)


def _inked_rows(image) -> list[int]:
    """The rows of a greyscale rendering that hold anything darker than paper."""
    width, height = image.size
    pixels = image.load()
    return [y for y in range(height) if any(pixels[x, y] < 240 for x in range(width))]


@pytest.mark.parametrize("kind", [POSTER, "poster-A3"])
def test_poster_fills_its_page_without_an_empty_band(built, kind, tmp_path):
    image = render(built[kind], tmp_path, resolution=50, gray=True)
    height = image.size[1]
    inked = _inked_rows(image)
    # From the title under the top margin to the footer at the foot, with no band of white
    # between (the spare room goes into the panels, not under them).
    assert inked[0] < height * 0.06 and inked[-1] > height * 0.96, (inked[0], inked[-1], height)
    widest_gap = max(b - a for a, b in zip(inked, inked[1:]))
    assert widest_gap < height * 0.03, widest_gap


@pytest.mark.parametrize("size", ["A4", "A3"])
def test_the_title_breaks_where_its_text_breaks(size):
    content = first_version(POSTER)
    content["title"] = "THE RIGHT\nSUPPORT AT THE RIGHT TIME"
    runs = pieces(build(POSTER, content, META, size=size))
    title_size = max(p.size for p in runs)
    assert [p.text for p in runs if p.size == title_size] == ["THE RIGHT", "SUPPORT AT THE RIGHT TIME"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_when_trigger_is_8_to_15_words_and_printed_whole(built, kind):
    from materials.content import WHEN_WORDS

    text = squashed(text_of(built[kind]))
    for item in first_version(kind)["services"]:
        assert WHEN_WORDS[0] <= len(words(item["when"])) <= WHEN_WORDS[1], item["when"]
        if kind != REFRESHER:  # the refresher recaps the services by their names and numbers
            assert squashed(item["when"]) in text, (kind, item["key"])


# -- the A3 poster: its own layout for a wall --------------------------------------------------


def test_a3_is_its_own_layout_for_a_wall(built):
    a3, a4 = built["poster-A3"], built[POSTER]
    assert len(read(a3).pages) == 1 and page_size(a3) == A3_POINTS
    runs = pieces(a3)
    numbers = [p for p in runs if p.text in PHONES + ("999",)]
    assert len(numbers) == 4 and min(p.size for p in numbers) >= 40
    body = [p for p in runs if p not in numbers and not is_footer(p)]
    assert min(p.size for p in body) >= 20, sorted({p.size for p in body})
    # Not the A4 scaled up by √2: the body grows more than the page, and the numbers move to the
    # right of each panel's top line instead of a column under the names.
    smallest_a4 = min(p.size for p in pieces(a4) if not is_footer(p))
    assert min(p.size for p in body) / smallest_a4 > 1.45
    a3_number = next(p for p in runs if p.text == PHONES[0])
    a3_name = next(p for p in runs if p.text == "EARLY HELP")
    assert a3_number.x > A3_POINTS[0] / 2 and a3_number.y == pytest.approx(a3_name.y, abs=1)
    a4_runs = pieces(a4)
    a4_number = next(p for p in a4_runs if p.text == PHONES[0])
    assert a4_number.x < A4_POINTS[0] / 2 < next(p for p in a4_runs if p.text.startswith("A child or family")).x
    assert text_of(a3).split() == text_of(a4).split() or set(words(text_of(a3))) == set(words(text_of(a4)))


# -- the decks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", DECKS)
def test_decks_can_be_projected(built, kind):
    data = built[kind]
    reader = read(data)
    slides = deck(kind, first_version(kind))
    assert len(reader.pages) == len(slides) == {INDUCTION: 17, REFRESHER: 13}[kind]
    runs = pieces(data)
    for number, page in enumerate(reader.pages):
        assert float(page.mediabox.width) / float(page.mediabox.height) == pytest.approx(16 / 9)
        on_slide = [p for p in runs if p.page == number and not is_footer(p)]
        assert min(p.size for p in on_slide) >= 20, (number + 1, sorted({p.size for p in on_slide}))
        count = len(words(" ".join(p.text for p in on_slide)))
        assert count <= SLIDE_WORDS, (number + 1, count)


@pytest.mark.parametrize("kind", DECKS)
def test_deck_content_fills_each_slide_rather_than_hanging_from_its_top(built, kind, tmp_path):
    for number in range(1, len(read(built[kind]).pages) + 1):
        image = render(built[kind], tmp_path, resolution=20, gray=True, page=number)
        width, height = image.size
        pixels = image.load()
        inked = [y for y in range(height) if any(pixels[x, y] < 200 for x in range(0, width, 2))]
        # Above the footer's band, the slide's lower third holds some of its content.
        footer_band = int(height * 0.09)
        assert any(height * 2 / 3 <= y < height - footer_band for y in inked), number


@pytest.mark.parametrize("kind", DECKS)
def test_decks_share_the_posters_visual_system(built, kind, tmp_path):
    """The slide that sets out the three services wears the poster's fills, in the poster's order,
    with the poster's urgency labels and the stripe under its heading."""
    slides = deck(kind, first_version(kind))
    number = next(n for n, s in enumerate(slides) if s.id == "services")
    image = render(built[kind], tmp_path, resolution=30, page=number + 1)
    width, height = image.size
    pixels = image.load()
    found = {}
    for name, panel in PANELS.items():
        target = rgb(panel["background"])
        xs = [x for x in range(width) for y in range(0, height, 3)
              if all(abs(a - b) <= 6 for a, b in zip(pixels[x, y], target))]
        assert len(xs) > width * height / 3 * 0.05, f"no {name} panel on the slide"
        found[name] = sum(xs) / len(xs)
    assert found["green"] < found["amber"] < found["red"], found
    on_slide = [p.text for p in pieces(built[kind]) if p.page == number]
    poster_labels = [p.text for p in pieces(built[POSTER]) if p.text in ("NOT URGENT", "UNSURE", "CHILD AT RISK NOW")]
    assert [t for t in on_slide if t in poster_labels] == poster_labels


@pytest.mark.parametrize("kind", DECKS)
def test_bookmarks_name_every_slide_and_each_slide_is_headed_with_its_title(built, kind):
    data = built[kind]
    titles = outline_titles(data)
    assert titles == [s.title for s in deck(kind, first_version(kind))]
    assert read(data).trailer["/Root"]["/PageMode"] == "/UseOutlines"
    runs = pieces(data)
    for number, title in enumerate(titles):
        top = max((p for p in runs if p.page == number), key=lambda p: p.y)
        heading = " ".join(p.text for p in runs if p.page == number and p.size == top.size and top.y - p.y < 100)
        assert squashed(heading) == squashed(title), number + 1


@pytest.mark.parametrize("kind", DECKS)
def test_every_worked_example_asks_first_and_answers_on_the_next_slide(built, kind):
    content = first_version(kind)
    slides = deck(kind, content)
    data = built[kind]
    asked = [n for n, s in enumerate(slides) if s.layout == "question"]
    assert len(asked) == len(content["scenarios"]) >= 3
    for n in asked:
        scenario = content["scenarios"][asked.index(n)]
        answer = service(content, scenario["service"])
        question_text, answer_text = text_of(data, n), text_of(data, n + 1)
        assert squashed(scenario["situation"]) in squashed(question_text)
        # The question shows the three services to choose from, with no number and no reason.
        assert "Why" not in question_text and not any(phone in question_text for phone in PHONES)
        assert answer["phone"] in answer_text and squashed(scenario["why"]) in squashed(answer_text)
        # The social norm where the decision is made.
        assert "95% of DSLs" in question_text


def test_the_behavioural_messages_sit_on_the_slides_where_the_decision_is_made(built):
    slides = {s.id: n for n, s in enumerate(deck(INDUCTION, first_version(INDUCTION)))}
    data = built[INDUCTION]
    assert "Help received, case resolved." in text_of(data, slides["service_early_help"])
    assert "Keep this line clear for children at risk now." in text_of(data, slides["service_mash"])
    assert "Not sure? Call DSL INFOLINE for advice: 01926 418608." in text_of(data, slides["services"])
    assert "95% of DSLs" in text_of(data, slides["why"]) and "Source:" in text_of(data, slides["why"])


def test_agenda_and_outcomes_and_a_shorter_quiz_led_refresher(built):
    induction, refresher = read(built[INDUCTION]), read(built[REFRESHER])
    assert len(refresher.pages) < len(induction.pages)
    assert "Agenda" in outline_titles(built[INDUCTION])
    assert "By the end of this session you can" in outline_titles(built[INDUCTION])
    titles = outline_titles(built[REFRESHER])
    assert titles[1] == "Today" and "The plan" in text_of(built[REFRESHER], 1) and "You will" in text_of(
        built[REFRESHER], 1)
    # Quiz-led: the questions come straight after what has changed, before the services are recapped.
    assert titles[2] == "What has changed" and titles[3] == "Question 1: which service?"
    assert sum(t.startswith("Question") and t.endswith("which service?") for t in titles) == 4
    assert titles.index("Which service is right for the child?") > titles.index("Question 4: the answer")
    changed = text_of(built[REFRESHER], 2)
    assert "95% of DSLs" in changed and "Source:" in changed
    assert squashed(text_of(built[INDUCTION])) != squashed(text_of(built[REFRESHER]))


@pytest.mark.parametrize("kind", DECKS)
def test_trainers_notes_have_one_numbered_section_per_slide_headed_with_its_title(built, kind):
    data = built[f"{kind}-notes"]
    assert page_size(data) == A4_POINTS
    slides = deck(kind, first_version(kind))
    runs = pieces(data)
    headings = [p.text for p in runs if p.size == 14]
    assert headings == [f"{n}. {s.title}" for n, s in enumerate(slides, start=1)]
    assert [squashed(t) for t in outline_titles(built[kind])] == [squashed(h.split(". ", 1)[1]) for h in headings]
    assert outline_titles(data) == headings
    text = squashed(text_of(data))
    for slide in slides:
        assert slide.note and squashed(slide.note) in text, slide.id
    assert read(data).metadata.title == f"Trainer's notes: {first_version(kind)['heading']}"


# -- the follow-up sheet ---------------------------------------------------------------------


def test_follow_up_is_one_double_sided_sheet_with_the_poster_on_the_front(built):
    data = built[FOLLOW_UP]
    reader = read(data)
    assert len(reader.pages) == 2 and page_size(data, 0) == page_size(data, 1) == A4_POINTS
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/Duplex"] == "/DuplexFlipLongEdge"
    poster = [(p.text, p.size) for p in pieces(built[POSTER]) if not is_footer(p)]
    front = [(p.text, p.size) for p in pieces(data) if p.page == 0 and not is_footer(p)]
    assert front == poster
    back = text_of(data, 1)
    for expected in ("After your DSL training", "After you call: what happens and when", "Examples: which service",
                     "Checklist", "Put the poster up where you make calls", *PHONES,
                     "MASH decides within one working day", "Source:", "Not sure? Call DSL INFOLINE for advice"):
        assert squashed(expected) in squashed(back), expected


def test_the_back_stays_above_its_footer_even_when_its_texts_are_long():
    from materials.pdf.sheet import back_fits

    content = first_version(FOLLOW_UP)
    for item in content["services"]:
        item["after"] = ("What happens next, and by when. " * 8)[:160]
    content["checklist"] = "\n".join(["Check the numbers on the poster by the phone"] * 6)
    assert back_fits(content)
    runs = pieces(build(FOLLOW_UP, content, META))
    footer = next(p for p in runs if p.page == 1 and FOOTER in p.text)
    body = [p for p in runs if p.page == 1 and not is_footer(p)]
    assert min(p.y for p in body) > footer.y + 12 and min(p.size for p in body) >= 12


def test_follow_up_splits_no_panel_across_pages(built):
    runs = pieces(built[FOLLOW_UP])
    content = first_version(FOLLOW_UP)
    for s in content["services"]:
        # Each panel whole on the front; each 'after you call' row whole on the back.
        assert {p.page for p in runs if p.text in (s["name"], s["phone"])} == {0, 1}
        front = " ".join(p.text for p in runs if p.page == 0)
        assert squashed(s["when"]) in squashed(front)
        assert squashed(s["after"]) in squashed(text_of(built[FOLLOW_UP], 1))
    # The examples table: each situation with the number to call on the same row.
    for scenario in content["scenarios"]:
        number = service(content, scenario["service"])["phone"]
        first_line = next(p for p in runs if p.page == 1 and scenario["situation"].startswith(p.text))
        assert any(p.text == number and abs(p.y - first_line.y) < 40 for p in runs if p.page == 1), scenario


# -- every material ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [*KINDS, "poster-A3", "induction-slides-notes"])
def test_metadata_reading_order_and_embedded_fonts(built, kind):
    data = built[kind]
    reader = read(data)
    root = reader.trailer["/Root"]
    assert reader.metadata.author == "Demo County Council" and reader.metadata.subject
    assert root["/Lang"] == "en-GB" and bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    title = reader.metadata.title
    # Sentence case: no shouting, only the first letter and acronyms capitalised.
    assert title[0].isupper() and not re.search(r"\b[A-Z]{2,}\b(?<!DSL)(?<!MASH)", title[1:]), title
    runs = pieces(data)
    for number in range(len(reader.pages)):
        on_page = [p for p in runs if p.page == number]
        # The footer is drawn last, so it is read last.
        assert is_footer(on_page[-1]) and not is_footer(on_page[0]), (number, on_page[-1])
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
            assert "/FontFile2" in font["/FontDescriptor"].get_object()
    assert fonts <= {"DejaVuSans", "DejaVuSans-Bold"}


def test_poster_title_in_metadata_is_sentence_case(built):
    assert read(built[POSTER]).metadata.title == "The right support at the right time"
    assert read(built[INDUCTION]).metadata.title == "Induction for designated safeguarding leads"


HOSTILE = "<img src=http://127.0.0.1:9/x> & <b> unclosed " + "W" * 300


def test_hostile_content_builds_and_fetches_nothing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"the PDF builder tried to connect to {args[1:]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    for kind in KINDS:
        content = first_version(kind)
        content["title"] = HOSTILE
        content["heading"] = HOSTILE
        content["social_norm"] = HOSTILE
        for item in content["services"]:
            item["name"] = "<i>" + item["name"]
            item["when"] = HOSTILE
            item["examples"] = "**unclosed bold"
            item["phone"] = "0&1926 <412412>"
        for scenario in content.get("scenarios", []):
            scenario["situation"] = HOSTILE
        data = build(kind, content, META)
        text = text_of(data)
        assert "<img src=http://127.0.0.1:9/x>" in text, kind
        assert "& <b> unclosed" in text, kind
        assert "W" * 300 in squashed(text), kind
        assert "0&1926<412412>" in squashed(text), kind
        if kind == POSTER:
            assert len(read(data).pages) == 1
        if kind in DECKS:
            assert "<img" in text_of(notes(kind, content, META))


def test_long_words_are_broken_to_fit_not_overflowing():
    content = first_version(POSTER)
    content["services"][0]["examples"] = "W" * 300
    runs = pieces(build(POSTER, content, META))
    long_runs = [p for p in runs if "WWWW" in p.text]
    assert long_runs
    for piece in long_runs:
        assert 0 <= piece.x < A4_POINTS[0] - 30, "the long word left the page"
        assert len(piece.text.replace("\u200b", "")) <= 40


def test_the_longest_texts_the_form_allows_still_fit_one_page_at_readable_sizes():
    from materials.content import CORE_FIELDS, SERVICE_FIELDS
    from materials.outline import POSTER_WORDS, poster_words

    content = first_version(POSTER)
    # Every text at its length limit, in long words so that the poster stays within its word limit.
    for field in CORE_FIELDS:
        if not field.choice and field.name not in ("title", "danger_phone"):
            content[field.name] = ("Safeguarding " * 40)[:field.limit].strip()
    for item in content["services"]:
        for field in SERVICE_FIELDS:
            if field.name not in ("phone",):
                item[field.name] = ("Safeguarding " * 40)[:field.limit].strip()
    while poster_words(content) > POSTER_WORDS - 10:  # as the form requires
        content["social_norm"] = content["social_norm"].rsplit(" ", 1)[0]
    assert len(content["social_norm"]) > 100
    for size, (smallest, numbers) in {"A4": (12, 24), "A3": (20, 40)}.items():
        data = build(POSTER, content, META, size=size)
        assert len(read(data).pages) == 1
        runs = [p for p in pieces(data) if not is_footer(p)]
        assert min(p.size for p in runs) >= smallest, size
        assert min(p.size for p in runs if p.text in PHONES) >= numbers, size
        # Nothing runs off the page's foot.
        assert min(p.y for p in runs) > 20, size


# -- tagged PDF ----------------------------------------------------------------------------------

PAINTING = {b"Tj", b"TJ", b"'", b'"', b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*", b"S", b"s", b"Do", b"sh"}


def structure(data: bytes) -> list[dict]:
    """The structure tree's elements in order: role, page, MCID and actual text."""
    reader = read(data)
    pages = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)}
    document = reader.trailer["/Root"]["/StructTreeRoot"]["/K"].get_object()
    assert document["/S"] == "/Document"
    return [{"role": e["/S"][1:], "page": pages[e.raw_get("/Pg").idnum], "mcid": e["/K"], "text": e.get("/ActualText")}
            for e in (k.get_object() for k in document["/K"])]


@pytest.mark.parametrize("kind", [*KINDS, "poster-A3", "induction-slides-notes", "refresher-slides-notes"])
def test_every_pdf_is_tagged_all_its_content_marked_and_read_in_order(built, kind):
    from pypdf.generic import ContentStream

    data = built[kind]
    reader = read(data)
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] is True or bool(root["/MarkInfo"]["/Marked"])
    elements = structure(data)
    marked = []
    for number, page in enumerate(reader.pages):
        assert page["/StructParents"] == number and page["/Tabs"] == "/S"
        depth = 0
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator in (b"BDC", b"BMC"):
                depth += 1
                assert depth == 1, "marked content is never nested"
                if operator == b"BDC":
                    marked.append((number, operands[1]["/MCID"]))
            elif operator == b"EMC":
                depth -= 1
            elif operator in PAINTING:
                # Everything drawn is either part of an element or marked as an artifact.
                assert depth == 1, (number, operator)
    # Each element owns exactly one marked sequence on its page, in drawing order.
    assert [(e["page"], e["mcid"]) for e in elements] == marked
    tree = root["/StructTreeRoot"]["/ParentTree"]["/Nums"]
    assert [tree[i] for i in range(0, len(tree), 2)] == list(range(len(reader.pages)))
    first, last = elements[0], elements[-1]
    assert first["role"] == "H1" and last["role"] == "P" and FOOTER in last["text"]
    roles = {e["role"] for e in elements}
    assert roles <= {"H1", "H2", "H3", "P"} and "P" in roles


def test_tags_read_paragraphs_with_their_spaces_and_headings_in_levels(built):
    elements = structure(built[POSTER])
    assert [e["text"] for e in elements[:3]] == [
        "THE RIGHT SUPPORT AT THE RIGHT TIME", "Which service is right for the child?",
        "95% of DSLs trained in autumn 2020 made no non-urgent call to the MASH."]
    assert [e["role"] for e in elements[:2]] == ["H1", "H2"]
    assert [e["text"] for e in elements if e["role"] == "H3"] == ["EARLY HELP", "DSL INFOLINE", "MASH"]
    deck_roles = [(e["page"], e["role"], e["text"]) for e in structure(built[INDUCTION]) if e["role"] != "P"]
    assert deck_roles[0] == (0, "H1", "Induction for designated safeguarding leads")
    assert (1, "H2", "Agenda") in deck_roles


def test_poppler_reads_the_tags(built, tmp_path):
    import shutil
    import subprocess

    if shutil.which("pdfinfo") is None:
        pytest.skip("poppler's pdfinfo is not installed")
    path = tmp_path / "poster.pdf"
    path.write_bytes(built[POSTER])
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Tagged:\s+yes", info)
    tree = subprocess.run(["pdfinfo", "-struct", str(path)], capture_output=True, text=True, check=True).stdout
    assert tree.splitlines()[:3] == ["Document", "  H1 (block)", "  H2 (block)"]
