"""What makes the materials the intervention: one advice route everywhere, a social-norm figure from
our own results (shown with its source, confirmed before publishing), every word of each PDF in its
HTML version, and the form's limits that keep the poster and slides readable."""

import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from cohorts.models import MashRecord
from core.models import ImportBatch
from materials import figures, services
from materials.content import (
    DECKS,
    FOLLOW_UP,
    INDUCTION,
    KINDS,
    POSTER,
    REFRESHER,
    advice_conflicts,
    advice_line,
    first_version,
    flatten,
    sentence_case,
)
from materials.pdf import Meta, build, notes
from tests.materials.pdfread import pieces, squashed, text_of, words

META = Meta(number=1, published=date(2020, 9, 17), council="Demo County Council")


# -- one advice route -------------------------------------------------------------------------------


def test_every_material_sends_advice_calls_to_the_one_advice_route():
    for kind in KINDS:
        content = first_version(kind)
        data = build(kind, content, META)
        lines = [p.text.upper() for p in pieces(data) if "advice" in p.text.lower()]
        assert lines, kind
        for line in lines:
            # No line about advice names Early Help or MASH without the DSL Infoline.
            assert "DSL INFOLINE" in line or not re.search(r"EARLY HELP|MASH", line), (kind, line)
        if kind != POSTER:
            assert squashed(advice_line(content)) in squashed(text_of(data)), kind
    # Choosing another advice route changes every material at once.
    for kind in KINDS:
        content = first_version(kind)
        content["advice_service"] = "early_help"
        text = squashed(text_of(build(kind, content, META)))
        if kind != POSTER:
            assert squashed("Not sure? Call EARLY HELP for advice: 01926 412412.") in text, kind
            assert squashed("Call DSL INFOLINE for advice") not in text, kind
        else:
            # On the poster the prompt moves into the Early Help panel, above the DSL Infoline's.
            y = {p.text: p.y for p in pieces(build(kind, content, META))}
            assert y["EARLY HELP"] > y["Not sure? Call here for advice."] > y["DSL INFOLINE"]


def test_a_text_that_sends_advice_elsewhere_is_refused():
    content = first_version(REFRESHER)
    said = {"changes": "Early Help now takes calls for advice as well as requests for support.",
            "outcomes": "Know where to get advice when you are unsure",
            "closing": "The DSL Infoline gives advice. Early Help gives support.",
            "intro": "For advice call MASH or the DSL Infoline."}
    assert advice_conflicts(content, said) == {"changes": "EARLY HELP"}


def test_the_form_refuses_a_contradictory_advice_route(client, login_as, published):
    login_as("admin")
    data = flatten(first_version(REFRESHER))
    data["changes"] = "Early Help now takes calls for advice as well as requests for support."
    response = client.post(f"/admin/materials/{REFRESHER}/edit", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "govuk-error-summary" in page
    assert "This text sends advice calls to EARLY HELP, but the advice route is DSL Infoline" in page
    assert services.draft_of(services.material_by_kind(REFRESHER)) is None
    data["advice_service"] = "early_help"
    data["notes_service_dsl_infoline"] = "The DSL Infoline is for complex cases."
    assert client.post(f"/admin/materials/{REFRESHER}/edit", data=data).status_code == 302


# -- readable by design -----------------------------------------------------------------------------


def test_the_form_keeps_slides_and_the_poster_short(client, login_as, published):
    login_as("admin")
    data = flatten(first_version(INDUCTION))
    data["scenario1_situation"] = " ".join(["a"] * 45)
    page = client.post(f"/admin/materials/{INDUCTION}/edit", data=data).get_data(as_text=True)
    assert re.search(r"Slide 10 \(Example 1: which service\?\) would have \d+ words; keep every slide to 60 or fewer",
                     page)
    data = flatten(first_version(POSTER))
    data["social_norm"] = " ".join(["Most"] * 19)
    for key in ("early_help", "dsl_infoline", "mash"):
        data[f"{key}_examples"] = " ".join(["For"] * 20)
    page = client.post("/admin/materials/poster/edit", data=data).get_data(as_text=True)
    assert re.search(r"The poster would say \d+ words before its version line; keep it to 140", page)


def test_sentence_case_titles():
    assert sentence_case("THE RIGHT SUPPORT\nAT THE RIGHT TIME") == "The right support at the right time"
    assert sentence_case("WHEN DSLS CALL THE MASH") == "When DSLs call the MASH"
    assert sentence_case("After your DSL training") == "After your DSL training"
    assert sentence_case("**Bold** start") == "Bold start"


# -- the HTML version carries every word ------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_word_of_each_pdf_is_in_its_html_version(client, login_as, published, kind):
    login_as("dsl")
    version = services.current_version(services.material_by_kind(kind))
    page = client.get(f"/materials/{kind}/").get_data(as_text=True)
    body = re.sub(r"<[^>]+>", " ", page).replace("&#39;", "'").replace("&amp;", "&")
    html_words = set(words(body))
    pdfs = [version.pdf] + ([version.notes_pdf] if kind in DECKS else [])
    missing = set()
    for data in pdfs:
        # Page numbers are the only thing a page need not repeat.
        printed = " ".join(p.text for p in pieces(data) if not re.fullmatch(r"(Page )?\d+( of 2)?", p.text))
        missing |= set(words(printed)) - html_words
    assert missing == set(), kind


# -- the figure from our own results ----------------------------------------------------------------


def cohort_figures(n: int, with_contact: int) -> dict:
    return {"groups": {"treatment": {"n": n, "dsls_with_contact": with_contact,
                                     "pct_without_contact": 100 * (n - with_contact) / n if n else None}}}


DEFINITION = {"courses": ["induction"], "exposure": ["2020-09-01", "2020-09-30"], "outcome": ["2020-09-01", "2020-12-31"]}


def test_the_figure_is_rounded_down_and_carries_its_source():
    figure = figures.figure_from("autumn-2020", DEFINITION, cohort_figures(165, 8), date(2021, 1, 12))
    # 157 of 165 is 95.15%: said as 95%, never rounded up.
    assert figure.text == "**95% of DSLs** trained in September 2020 made no non-urgent call to the MASH."
    assert figure.source == ("Our outcome report for the autumn-2020 cohort: 157 of 165 trained DSLs, MASH records "
                             "from 1 September 2020 to 31 December 2020; worked out 12 January 2021")
    assert figures.figure_from("x", DEFINITION, cohort_figures(40, 3), date(2021, 1, 12)).text.startswith("**92% ")
    assert figures.month_span(date(2020, 9, 1), date(2020, 10, 31)) == "September to October 2020"
    assert figures.month_span(date(2020, 12, 1), date(2021, 1, 31)) == "December 2020 to January 2021"


def test_no_figure_from_too_few_dsls_or_from_a_minority():
    with pytest.raises(figures.NoFigure, match="has 19 trained DSLs: too few"):
        figures.figure_from("small", DEFINITION, cohort_figures(19, 0), date(2021, 1, 12))
    with pytest.raises(figures.NoFigure, match="45% of trained DSLs made no non-urgent call"):
        figures.figure_from("poor", DEFINITION, cohort_figures(40, 22), date(2021, 1, 12))


@pytest.fixture
def trained_cohort(db_session, make_dsl, make_session, runner):
    """25 DSLs trained in September 2020, 3 of whom then made a non-urgent call; 5 untrained."""
    from courses.models import Attendance

    session = make_session("induction", first_day=date(2020, 9, 15), capacity=40)
    trained = [make_dsl() for _ in range(25)]
    untrained = [make_dsl() for _ in range(5)]
    for dsl in trained:
        db_session.add(Attendance(session_id=session.id, dsl_id=dsl.id, status="attended"))
    batch = ImportBatch(kind="contacts", filename="contacts.csv", checksum="0" * 64, user_id=None, source="cli",
                        rows=5, created=5, updated=0, unchanged=0)
    db_session.add(batch)
    db_session.flush()
    callers = trained[:3] + untrained[:2]
    for n, dsl in enumerate(callers):
        db_session.add(MashRecord(contact_id=f"C{n}", received_at=datetime(2020, 10, 5, 10), source="School",
                                  method="Telephone", classification="contact", referrer_email=dsl.email,
                                  dsl_id=dsl.id, import_batch_id=batch.id))
    # A referral (urgent) is not a non-urgent call.
    db_session.add(MashRecord(contact_id="R1", received_at=datetime(2020, 10, 6, 10), source="School",
                              method="Telephone", classification="referral", referrer_email=trained[5].email,
                              dsl_id=trained[5].id, import_batch_id=batch.id))
    db_session.commit()
    result = runner.invoke(args=["cohorts", "create", "autumn-2020", "--courses", "induction", "--exposure",
                                 "2020-09-01:2020-09-30", "--outcome", "2020-09-01:2020-12-31"])
    assert result.exit_code == 0, result.output
    return trained


def test_the_admin_fills_the_figure_from_the_latest_cohort_report_and_confirms_it(client, login_as, published,
                                                                                  trained_cohort, db_session):
    # Counted by hand: 22 of the 25 trained DSLs made no contact (a referral is not one), 88%.
    expected = "88% of DSLs trained in September 2020 made no non-urgent call to the MASH."
    login_as("admin")
    page = client.get("/admin/materials/poster/edit?figure=latest").get_data(as_text=True)
    assert expected in page and "Our outcome report for the autumn-2020 cohort: 22 of 25 trained DSLs" in page
    assert f'**{expected[:11]}**{expected[11:]}' in page  # the field holds it, figure in bold
    data = flatten(first_version(POSTER))
    data["social_norm"] = f"**{expected[:11]}**{expected[11:]}"
    data["social_norm_source"] = re.search(r'name="social_norm_source"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/admin/materials/poster/edit", data=data).status_code == 302
    preview = client.get("/admin/materials/poster/preview").get_data(as_text=True)
    assert expected in preview and "Source: Our outcome report for the autumn-2020 cohort" in preview
    # Publishing waits for the admin to confirm the figure and its source.
    refused = client.post("/admin/materials/poster/publish", data={})
    assert refused.status_code == 200 and "Confirm that you have checked the social-norm figure" in refused.get_data(
        as_text=True)
    assert services.current_version(services.material_by_kind(POSTER)).number == 1
    assert client.post("/admin/materials/poster/publish", data={"figure_checked": "y"}).status_code == 302
    current = services.current_version(services.material_by_kind(POSTER))
    assert current.number == 2 and squashed(expected) in squashed(text_of(current.pdf))


def test_without_a_cohort_the_form_says_why_no_figure_is_offered(client, login_as, published, db_session):
    from cohorts.models import Cohort

    assert db_session.scalar(select(Cohort)) is None
    login_as("admin")
    page = client.get("/admin/materials/poster/edit?figure=latest").get_data(as_text=True)
    assert "There is no cohort yet: create one under Cohorts to quote our own results." in page
    assert "95% of DSLs" in page  # the message as it was


def test_the_refreshers_what_has_changed_quotes_the_figure_with_its_source():
    content = first_version(REFRESHER)
    content["social_norm"] = "**88% of DSLs** trained in September 2020 made no non-urgent call to the MASH."
    content["social_norm_source"] = "Our outcome report for the autumn-2020 cohort"
    data = build(REFRESHER, content, META)
    assert "88% of DSLs" in text_of(data, 2) and "Source: Our outcome report" in text_of(data, 2)
    assert "Give the figure from our own latest results" in text_of(notes(REFRESHER, content, META))


def test_follow_up_back_quotes_the_figure_with_its_source():
    text = text_of(build(FOLLOW_UP, first_version(FOLLOW_UP), META), 1)
    assert "95% of DSLs" in text and "Source: Evaluation of the council's DSL training" in text


def test_the_accessibility_statement_says_what_the_pdfs_lack(client):
    page = client.get("/accessibility").get_data(as_text=True)
    assert "What the PDF files lack" in page
    assert "have not been checked against the PDF/UA standard" in page
    assert "lists and tables are tagged as plain paragraphs" in page
    assert "stay apart when printed in black and white and for readers with red-green colour blindness" in page


def test_the_form_refuses_a_sheet_whose_back_would_not_fit(client, login_as, published):
    from materials.pdf import sheet

    login_as("admin")
    data = flatten(first_version(FOLLOW_UP))
    for n in (1, 2, 3):
        data[f"scenario{n}_situation"] = ("A long situation that goes on " * 10)[:200]
        data[f"scenario{n}_why"] = ("Because it goes on and on " * 10)[:200]
    for key in ("early_help", "dsl_infoline", "mash"):
        data[f"{key}_after"] = ("What happens next, and when it happens " * 10)[:160]
    data["checklist"] = "\n".join(["Check the numbers on the poster by the phone"] * 8)
    assert not sheet.back_fits(first_version(FOLLOW_UP) | {"checklist": data["checklist"],
                                                           "scenarios": [{"situation": data["scenario1_situation"],
                                                                          "service": "mash", "why": data["scenario1_why"]}] * 3})
    page = client.post(f"/admin/materials/{FOLLOW_UP}/edit", data=data).get_data(as_text=True)
    assert "The back of the sheet would not fit one page at readable sizes" in page
    assert services.draft_of(services.material_by_kind(FOLLOW_UP)) is None


# -- trainer's notes are edited with the deck and published with its version ------------------------


def test_a_trainers_note_edited_in_the_form_is_published_with_the_version(client, login_as, published):
    login_as("admin")
    material = services.material_by_kind(INDUCTION)
    version_1 = services.current_version(material)
    old_notes = version_1.notes_pdf
    note = "Ask who in the room has called the MASH this term, and what happened next."
    data = flatten(first_version(INDUCTION))
    data["notes_why"] = note
    assert client.post(f"/admin/materials/{INDUCTION}/edit", data=data).status_code == 302
    assert note in client.get(f"/admin/materials/{INDUCTION}/preview").get_data(as_text=True)
    assert client.post(f"/admin/materials/{INDUCTION}/publish", data={"figure_checked": "y"}).status_code == 302
    current = services.current_version(material)
    assert current.number == 2 and current.content["notes"]["why"] == note
    # In the notes PDF under slide 4's heading, before slide 5's; the old version's notes unchanged.
    text = squashed(text_of(current.notes_pdf))
    assert squashed(f"4. Why this matters{note}5.") in text
    assert squashed(note) not in squashed(text_of(old_notes)) and version_1.notes_pdf == old_notes
    login_as("dsl")
    assert note in client.get(f"/materials/{INDUCTION}/").get_data(as_text=True)


def test_the_form_refuses_a_when_trigger_over_15_words(client, login_as, published):
    login_as("admin")
    data = flatten(first_version(POSTER))
    data["mash_when"] = "Only when a child is at risk of harm and needs urgent action right now today."
    page = client.post("/admin/materials/poster/edit", data=data).get_data(as_text=True)
    assert "The WHEN to call for MASH must be 8 to 15 words; it has 16" in page
    assert services.draft_of(services.material_by_kind(POSTER)) is None


@pytest.mark.parametrize("kind", [REFRESHER, INDUCTION, FOLLOW_UP])
def test_every_material_with_the_figure_can_take_it_from_the_latest_cohort(client, login_as, published,
                                                                             trained_cohort, kind):
    login_as("admin")
    page = client.get(f"/admin/materials/{kind}/edit").get_data(as_text=True)
    assert "Fill the social-norm figure from the latest cohort report" in page
    page = client.get(f"/admin/materials/{kind}/edit?figure=latest").get_data(as_text=True)
    assert "**88% of DSLs** trained in September 2020 made no non-urgent call to the MASH." in page
    assert "Our outcome report for the autumn-2020 cohort: 22 of 25 trained DSLs" in page
