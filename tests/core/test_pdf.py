"""Every kind of PDF the service makes stands on one foundation (core.pdf): DejaVu embedded and no
other font, the same metadata, and any Latin name read back exactly as it was typed."""

import io
import shutil
import socket
import subprocess
from datetime import date

import pytest
from pypdf import PdfReader

from core.pdf import safe
from courses.certificate import CertificateContent, build_certificate
from materials.content import INDUCTION, KINDS, POSTER, first_version
from materials.pdf import Meta, build

NAME = "Łukasz Wójcik Nguyễn Siân Ŵyn"
COUNCIL = "Demo County Council"
EMBEDDED_DEJAVU = ("DejaVuSans", "DejaVuSans-Bold")


def certificate(person=NAME, course="DSL refresher") -> bytes:
    return build_certificate(CertificateContent(person=person, school="Millbrook Primary School", course=course,
                                                dates="17 September 2020", status_line="attended",
                                                valid_until="17 September 2022", council=COUNCIL,
                                                reference="RS-1-2"))


def outcome_report(runner, formats, tmp_path, name=NAME) -> bytes:
    """The PDF ``cohorts report`` writes for a cohort called ``name`` over the example files."""
    for kind in ("schools", "dsls", "attendance", "contacts", "early-help"):
        result = runner.invoke(args=["import", kind, str(formats / f"{kind}.csv")])
        assert result.exit_code == 0, result.output
    result = runner.invoke(args=["cohorts", "create", name, "--courses", "induction,refresher",
                                 "--exposure", "2020-09-01:2020-09-30", "--outcome", "2020-09-01:2020-12-31"])
    assert result.exit_code == 0, result.output
    output = tmp_path / "report.pdf"
    result = runner.invoke(args=["cohorts", "report", name, "--format", "pdf", "--output", str(output),
                                 "--annual-calls", "2150", "--annual-cost", "570825"])
    assert result.exit_code == 0, result.output
    return output.read_bytes()


@pytest.fixture
def every_kind(app, runner, formats, tmp_path):
    meta = Meta(number=1, published=date(2020, 9, 17), council=COUNCIL)
    kinds = {kind: build(kind, first_version(kind), meta) for kind in KINDS}
    kinds["poster-A3"] = build(POSTER, first_version(POSTER), meta, size="A3")
    kinds["certificate"] = certificate()
    with app.app_context():
        app.config["COUNCIL_NAME"] = COUNCIL
        kinds["outcome-report"] = outcome_report(runner, formats, tmp_path)
    return kinds


def fonts_of(reader: PdfReader) -> dict:
    """Every font any page uses, by its PDF name, looking inside form XObjects too."""
    found = {}

    def visit(resources):
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            found[str(font["/BaseFont"])] = font
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                visit(xobject.get("/Resources"))

    for page in reader.pages:
        visit(page.get("/Resources"))
    return found


def test_every_pdf_embeds_a_dejavu_subset_and_no_other_font(every_kind):
    assert set(every_kind) == {*KINDS, "poster-A3", "certificate", "outcome-report"}
    for kind, data in every_kind.items():
        fonts = fonts_of(PdfReader(io.BytesIO(data)))
        assert fonts, kind
        for name, font in fonts.items():
            prefix, _, family = name.lstrip("/").partition("+")
            # A subset's name is six capital letters, '+', and the font's name.
            assert len(prefix) == 6 and prefix.isalpha() and prefix.isupper(), (kind, name)
            assert family in EMBEDDED_DEJAVU, (kind, name)
            assert font["/Subtype"] == "/TrueType" and "/FontFile2" in font["/FontDescriptor"].get_object(), (kind, name)


def test_every_pdf_says_what_it_is_who_made_it_and_its_language(every_kind):
    for kind, data in every_kind.items():
        reader = PdfReader(io.BytesIO(data))
        info = reader.metadata
        assert info.title and info.subject and info.author == COUNCIL, kind
        assert info.creator == "Right Support", kind
        assert reader.trailer["/Root"]["/Lang"] == "en-GB", kind
    assert PdfReader(io.BytesIO(every_kind["outcome-report"])).metadata.title == f"Outcome report: {NAME}"
    assert PdfReader(io.BytesIO(every_kind["certificate"])).metadata.subject == f"{NAME}, DSL refresher"


def _pdftotext(data: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler's pdftotext is not installed")
    path = tmp_path / "read.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("kind", ["certificate", "outcome-report"])
def test_a_name_in_any_latin_script_reads_back_exactly(every_kind, kind, tmp_path):
    data = every_kind[kind]
    by_pypdf = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert NAME in by_pypdf
    if kind == "certificate":  # the name alone on its line: nothing added, nothing lost
        assert NAME in [line.strip() for line in by_pypdf.splitlines()]
    assert NAME in _pdftotext(data, tmp_path)
    # On every page of the report, its head names the cohort.
    if kind == "outcome-report":
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) > 1
        assert all(f"Outcome report: {NAME}" in page.extract_text() for page in reader.pages)
        assert [f"Page {n}" in page.extract_text() for n, page in enumerate(reader.pages, start=1)] == \
            [True] * len(reader.pages)


HOSTILE = "<img src=http://127.0.0.1:9/x> & <b>unclosed <font name=Helvetica>"


def test_user_text_is_shown_as_typed_and_fetches_nothing(app, runner, formats, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a PDF builder tried to connect to {args[1:]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    assert safe("a <b> & c\nd") == "a &lt;b&gt; &amp; c<br/>d"
    for data in (certificate(person=HOSTILE, course=HOSTILE), outcome_report(runner, formats, tmp_path, HOSTILE)):
        reader = PdfReader(io.BytesIO(data))
        assert HOSTILE in " ".join(reader.pages[0].extract_text().split())
        assert all(name.endswith(EMBEDDED_DEJAVU) for name in fonts_of(reader))


def test_a_long_deck_keeps_its_footer_and_numbers_on_every_slide(every_kind):
    reader = PdfReader(io.BytesIO(every_kind[INDUCTION]))
    for number, page in enumerate(reader.pages, start=1):
        lines = page.extract_text().splitlines()
        assert any(COUNCIL in line and "Version 1" in line for line in lines), number
        assert str(number) in lines[-1].split() or any(line.strip().endswith(str(number)) for line in lines)


def test_charts_on_the_page_are_in_the_pages_typeface():
    import base64
    import re
    from xml.etree import ElementTree

    from cohorts.charts import outcome_charts

    group = {"mean_contacts": 0.5, "pct_calls_contacts": 60.0, "pct_calls_referrals": 40.0, "pct_with_contact": 20.0}
    charts = outcome_charts({"groups": {"comparison": group, "treatment": group},
                             "early_help": {"per_month": [{"month": "2020-09", "consultations": 3}]}})
    assert len(charts) == 4
    for chart in charts:
        svg = base64.b64decode(chart.svg_data_uri().split(",", 1)[1]).decode()
        ElementTree.fromstring(svg)  # still well-formed with the font names quoted inside a style attribute
        families = set(re.findall(r"font-family: ([^;]+);", svg))
        assert families == {"'Helvetica Neue', Helvetica, Arial, sans-serif"}, chart.key
        assert "font-weight: bold" in svg  # the chart's title
