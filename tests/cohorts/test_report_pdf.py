"""The outcome report's PDF: a plain-English first page, caveats raised by the data (and only by
it), methods with software versions, import checksums and the analysis plan, "Page n of N" with
the date and version on every page, no heading left at the foot of a page, DejaVu embedded; and its
charts: text of 9 points or more, whole-number ticks on counts, labels that never overlap, intervals
drawn as error bars, a table of the figures with each."""

import copy
import io
import math
import re
from datetime import date, datetime

import pytest
from pypdf import PdfReader
from reportlab.graphics.shapes import Line

from cohorts import caveats, charts, report_pdf, services
from cohorts.models import Cohort, CohortMember, MashRecord
from core import version
from core.models import ImportBatch
from tests.core.test_pdf import EMBEDDED_DEJAVU, fonts_of
from trials import services as trials

MADE = date(2021, 1, 15)
CONDITIONAL = {"imbalance": "The groups differ on some school characteristics", "few_clusters": "Few schools",
               "small_groups": "Small groups", "stale_linkage": "Some MASH records are linked out of date",
               "no_effect_in_interval": "The interval includes no effect",
               "no_estimate": "The main estimate was not made"}
CHECKSUM = "0123456789abcdef" * 4


@pytest.fixture
def small(db_session, make_school, make_dsl):
    """Three schools, 3 trained DSLs (all at the biggest school) and 6 untrained; one MASH record
    linked to a DSL other than the register now gives."""
    schools = [make_school(pupils=pupils, fsm_percent=fsm) for pupils, fsm in ((200, 10.0), (300, 12.0), (1500, 40.0))]
    dsls = [make_dsl(school=schools[2] if i < 3 else schools[i % 2], email=f"p{i}@school.example.org") for i in range(9)]
    cohort = Cohort(name="small-autumn", courses=["induction"], exposure_start=date(2020, 9, 1),
                    exposure_end=date(2020, 9, 30), outcome_start=date(2020, 9, 1), outcome_end=date(2020, 12, 31))
    db_session.add(cohort)
    db_session.flush()
    for i, dsl in enumerate(dsls):
        db_session.add(CohortMember(cohort_id=cohort.id, dsl_id=dsl.id, group_name="treatment" if i < 3 else "comparison",
                                    reason="attended induction" if i < 3 else None, school_urn=dsl.school.urn,
                                    pupils=dsl.school.pupils, fsm_percent=dsl.school.fsm_percent, phase=dsl.school.phase,
                                    at_risk_from=date(2020, 9, 16) if i < 3 else date(2020, 9, 1),
                                    at_risk_to=date(2020, 12, 31)))
    batch = ImportBatch(kind="contacts", filename="mash-autumn.csv", checksum=CHECKSUM, source="cli", rows=12,
                        created=12, updated=0, unchanged=0)
    db_session.add(batch)
    db_session.flush()
    for n, index in enumerate([0, 3, 3, 4, 4, 5, 5, 6, 7, 8, 8]):
        db_session.add(MashRecord(contact_id=f"S-{n}", received_at=datetime(2020, 10, 1 + n, 10), source="School",
                                  method="Telephone", classification="contact" if n % 3 else "referral",
                                  referrer_email=dsls[index].email, dsl_id=dsls[index].id, import_batch_id=batch.id))
    db_session.add(MashRecord(contact_id="S-stale", received_at=datetime(2020, 11, 20, 10), source="School",
                              method="Telephone", classification="contact", referrer_email=dsls[3].email,
                              dsl_id=dsls[4].id, import_batch_id=batch.id))
    db_session.commit()
    return cohort


def context(plan=None) -> report_pdf.Context:
    return report_pdf.Context(council="Test County Council", generated=MADE, app_version=version.app_version(),
                              software=version.software_versions(), plan=plan)


def pages_of(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def clean(figures: dict) -> dict:
    """``figures`` as a large, balanced cohort with a clear effect would give them."""
    out = copy.deepcopy(figures)
    for group in ("comparison", "treatment"):
        out["groups"][group]["n"] = 400
        if out.get("school_level"):
            out["school_level"][group]["schools"] = 60
    for row in out["balance"]:
        row["smd"] = 0.02
    out["linkage"]["stale_links"] = 0
    out["exposure_time"].update(contacts_rate_ratio=0.6, contacts_ci95=[0.4, 0.9], clusters=120, note=None)
    return out


def test_every_page_is_numbered_of_the_whole_dated_and_versioned(small):
    pages = pages_of(report_pdf.build(services.cohort_report(small).figures, context()))
    assert len(pages) >= 4
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Made on 15 January 2021" in text and f"Right Support {version.app_version()}" in text
        assert "Outcome report: small-autumn" in text


def test_the_first_page_says_what_was_done_the_main_finding_and_what_it_does_not_show(small):
    figures = clean(services.cohort_report(small).figures)
    first = pages_of(report_pdf.build(figures, context()))[0]
    for heading in ("What was done", "The main finding", "What it does not show"):
        assert heading in first
    assert "Trained DSLs made 40% fewer non-urgent MASH contacts per day at risk than untrained DSLs " \
           "(95% CI 10% to 60% fewer)" in first
    assert "0.60 (95% confidence interval 0.40 to 0.90)" in first
    assert "does not show that the training caused the difference" in first
    assert "In numbers Untrained DSLs Trained DSLs DSLs with days at risk" in first
    assert "Contacts per 1,000 days at risk" in first


def test_the_methods_give_the_design_windows_rule_models_software_batches_and_plan(small):
    figures = services.cohort_report(small).figures
    text = " ".join(pages_of(report_pdf.build(figures, context())))
    for heading in ("Methods", "Design", "Windows", "Days at risk", "Models", "Software", "Import batches",
                    "Analysis plan"):
        assert heading in text
    assert "1 September 2020 to 30 September 2020" in text and "1 September 2020 to 31 December 2020" in text
    assert "the day after the last day of their first qualifying session" in text
    for name, installed in version.software_versions():
        assert f"{name} {installed}" in text
    assert "mash-autumn.csv" in text and CHECKSUM in "".join(text.split())
    assert "No analysis plan was registered for this cohort" in text


def test_a_small_lopsided_cohort_raises_its_caveats_and_the_pdf_shows_each(small):
    figures = services.cohort_report(small).figures
    found = {caveat.key for caveat in caveats.caveats(figures)}
    assert {"self_selection", "imbalance", "few_clusters", "small_groups", "stale_linkage"} <= found
    assert found & {"no_effect_in_interval", "no_estimate"}
    text = " ".join(pages_of(report_pdf.build(figures, context())))
    assert "The groups chose themselves" in text
    for key in found - {"self_selection"}:
        assert CONDITIONAL[key] in text, key
    assert "1 schools" not in text and "3 DSLs in the trained (treatment) group" in text


def test_a_large_balanced_cohort_with_a_clear_effect_raises_only_self_selection(small):
    figures = clean(services.cohort_report(small).figures)
    assert [caveat.key for caveat in caveats.caveats(figures)] == ["self_selection"]
    text = " ".join(pages_of(report_pdf.build(figures, context())))
    assert "The groups chose themselves" in text
    for title in CONDITIONAL.values():
        assert title not in text


@pytest.mark.parametrize(("interval", "raised"), [([0.8, 1.2], True), ([1.0, 1.5], True), ([0.4, 0.99], False)])
def test_an_interval_that_includes_1_is_a_caveat(small, interval, raised):
    figures = clean(services.cohort_report(small).figures)
    figures["exposure_time"]["contacts_ci95"] = interval
    assert (caveats.no_effect_in_interval(figures) is not None) == raised


def test_suppressed_counts_count_as_small_and_print_as_c_with_a_footnote(small):
    figures = services.cohort_report(small, suppress=True).figures
    assert figures["suppressed"]
    found = {caveat.key for caveat in caveats.caveats(figures)}
    assert {"small_groups", "stale_linkage"} <= found  # 3 DSLs and 1 stale link: both shown as c
    text = " ".join(pages_of(report_pdf.build(figures, context())))
    assert "c: a count from 1 to 4, or a figure that would let one be worked out, is suppressed" in text
    assert "small numbers are suppressed (shown as c)" in text


@pytest.mark.parametrize("shape", ["small", "clean", "suppressed"])
def test_no_page_ends_with_a_heading(small, shape):
    figures = services.cohort_report(small, suppress=shape == "suppressed").figures
    figures = clean(figures) if shape == "clean" else figures
    _, layout = report_pdf.build_with_layout(figures, context())
    assert sum(heading for _, heading in layout.placed) > 20  # the layout saw the headings
    last = layout.last_on_each_page()
    assert len(last) >= 4
    assert not any(last.values()), [page for page, heading in last.items() if heading]


def test_the_pdf_embeds_dejavu_and_no_other_font(small):
    reader = PdfReader(io.BytesIO(report_pdf.build(services.cohort_report(small).figures, context())))
    found = fonts_of(reader)
    assert found and all(name.lstrip("/").partition("+")[2] in EMBEDDED_DEJAVU for name in found)
    assert all("/FontFile2" in font["/FontDescriptor"].get_object() for font in found.values())


def test_the_download_names_a_locked_plan_with_the_cohorts_windows(small, client, login_as, runner, db_session,
                                                                  make_school):
    login_as("evaluator")
    assert "No analysis plan was registered" in " ".join(pages_of(client.get(f"/cohorts/{small.id}/report.pdf").data))
    for n in range(4):
        make_school(urn=510000 + n)
    assert runner.invoke(args=["trials", "allocate", "plan-trial", "--strata", "phase", "--seed", "7"]).exit_code == 0
    allocation = trials.allocation_by_name("plan-trial")
    fields = {"primary_outcome": "contacts", "secondary_outcomes": ["referrals"], "pre_window": None,
              "model": "exposure-time", "covariates": ["pupils"], "min_dsls_per_arm": 30, "min_schools_per_arm": 5}
    other = trials.create_plan("another window", allocation.id,
                               {**fields, "outcome_window": (date(2021, 1, 1), date(2021, 3, 31))})
    trials.lock_plan(other)
    db_session.commit()
    assert "No analysis plan was registered" in " ".join(pages_of(client.get(f"/cohorts/{small.id}/report.pdf").data))
    plan = trials.create_plan("autumn plan", allocation.id,
                              {**fields, "outcome_window": (date(2020, 9, 1), date(2020, 12, 31))})
    trials.lock_plan(plan)
    db_session.commit()
    text = " ".join(pages_of(client.get(f"/cohorts/{small.id}/report.pdf").data))
    assert "the locked analysis plan autumn plan, version 1, has this cohort's windows" in text
    assert plan.sha256 in "".join(text.split()) and "MASH contacts per DSL" in text and "plan-trial" in text


# -- charts -----------------------------------------------------------------------------------


def svg_of(chart: charts.Chart) -> str:
    import base64

    return base64.b64decode(chart.svg_data_uri().split(",", 1)[1]).decode()


def test_every_chart_is_printed_at_its_size_with_text_of_9_points_or_more(small):
    figures = services.cohort_report(small).figures
    for chart in charts.outcome_charts(figures):
        assert chart.drawing.width <= report_pdf.FRAME_WIDTH, chart.key  # never scaled down to fit the page
        sizes = [float(size) for size in re.findall(r"font-size: ([\d.]+)px", svg_of(chart))]
        assert sizes and min(sizes) >= 9, chart.key
        assert chart.head and chart.rows and all(len(row) == len(chart.head) for row in chart.rows), chart.key


def test_a_chart_of_counts_has_whole_number_ticks():
    for counts in ([1, 2, 3], [7, 0, 4, 9], [155, 144, 136, 156], [2, 3]):
        months = [{"month": f"2020-{m:02d}", "consultations": c} for m, c in zip(range(9, 13), counts)]
        chart = charts._early_help_chart({"per_month": months})
        axis = chart.drawing.contents[0].valueAxis
        assert axis.valueStep >= 1 and axis.valueStep == int(axis.valueStep) and axis.valueMax == int(axis.valueMax)
        texts = re.findall(r">([^<]+)</text>", svg_of(chart))
        numbers = [text for text in texts if re.fullmatch(r"[\d.,]+", text)]
        assert numbers and all(re.fullmatch(r"\d+", text) for text in numbers), numbers


def test_ticks_are_steps_of_1_2_or_5():
    assert charts.nice_step(3.3) == 1 and charts.nice_step(0.9) == 1
    assert charts.nice_step(160) == 50 and charts.nice_step(11) == 5
    assert charts.nice_step(0.9, whole=False) == 0.2 and charts.tick_format(0.25) == "%.2f"


@pytest.mark.parametrize("months", [4, 12, 24, 36])
def test_month_labels_never_overlap(months):
    per_month = [{"month": f"{2020 + (8 + m) // 12}-{(8 + m) % 12 + 1:02d}", "consultations": m} for m in range(months)]
    chart = charts._early_help_chart({"per_month": per_month})
    bars = chart.drawing.contents[0]
    slot = bars.width / months
    labels = bars.categoryAxis.categoryNames
    size = bars.categoryAxis.labels.fontSize
    assert size >= 9
    shown = [index for index, text in enumerate(labels) if text]
    assert shown[0] == 0 and len(shown) >= min(months, 6)
    if bars.categoryAxis.labels.angle == 0:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        assert all(stringWidth(labels[i], "DejaVuSans", size) < slot for i in shown)
    else:  # turned 45 degrees: the gap between two labels' starts clears a line of text
        gaps = [(b - a) * slot * math.sqrt(0.5) for a, b in zip(shown, shown[1:])]
        assert min(gaps) >= size * 1.25
    assert chart.rows[0][0] == "September 2020" and len(chart.rows) == months


def test_rate_ratios_are_drawn_with_their_intervals_as_error_bars(small):
    figures = clean(services.cohort_report(small).figures)
    chart = next(chart for chart in charts.outcome_charts(figures) if chart.key == "rate-ratios")
    estimated = [row for row in charts.rate_ratio_rows(figures) if row[1] is not None and row[2] is not None]
    bars = [shape for shape in chart.drawing.contents
            if isinstance(shape, Line) and shape.y1 == shape.y2 and shape.strokeColor == charts.TREATMENT_COLOUR]
    assert len(bars) == len(estimated) >= 1
    assert chart.rows[0] == ["Contacts per day at risk", "0.60", "0.40 to 0.90"]


def test_the_page_gives_each_chart_its_figures_as_a_table(small, client, login_as):
    login_as("evaluator")
    page = client.get(f"/cohorts/{small.id}").get_data(as_text=True)
    for chart in charts.outcome_charts(services.cohort_report(small).figures):
        figure = page[page.index(f'id="chart-{chart.key}"'):]
        figure = figure[:figure.index("</figure>")]
        assert "Figures in this chart" in figure and "<table" in figure
        for cell in chart.head + chart.rows[0]:
            assert cell in figure.replace("&#39;", "'"), (chart.key, cell)


def test_a_suppressed_figure_is_drawn_as_no_bar_labelled_c(small):
    figures = services.cohort_report(small).figures
    figures["groups"]["treatment"]["pct_with_contact"] = "c"
    chart = next(chart for chart in charts.outcome_charts(figures) if chart.key == "dsls-contacting")
    bars = chart.drawing.contents[0]
    assert bars.data[0][1] == 0 and bars.barLabelArray[0][1] == "c"
    assert chart.rows[1] == ["Treatment group", "c"]
    assert ">c</text>" in svg_of(chart)


def test_the_page_lists_the_same_caveats_as_the_pdf(small, client, login_as):
    login_as("evaluator")
    page = client.get(f"/cohorts/{small.id}").get_data(as_text=True).replace("&#39;", "'")
    for caveat in caveats.caveats(services.cohort_report(small).figures):
        assert f'id="caveat-{caveat.key}"' in page and caveat.title in page
    assert 'id="caveat-small_groups"' in page and 'id="caveat-self_selection"' in page


@pytest.mark.parametrize(("months", "labelled"), [(4, True), (12, True), (24, False), (36, False)])
def test_figures_over_bars_are_left_off_rather_than_overlap(months, labelled):
    per_month = [{"month": f"{2020 + (8 + m) // 12}-{(8 + m) % 12 + 1:02d}", "consultations": 150 + m}
                 for m in range(months)]
    bars = charts._early_help_chart({"per_month": per_month}).drawing.contents[0]
    assert (bars.barLabelFormat == "values") == labelled
    if labelled:
        from reportlab.pdfbase.pdfmetrics import stringWidth

        assert max(stringWidth(text, "DejaVuSans", 9) for text in bars.barLabelArray[0]) < bars.width / months


def test_a_chart_whose_table_is_not_shown_still_appears(small, monkeypatch):
    figures = services.cohort_report(small).figures
    made = charts.outcome_charts(figures)
    for chart in made:
        chart.after = "a table that is not shown"
    monkeypatch.setattr(report_pdf, "outcome_charts", lambda report: made)
    data, layout = report_pdf.build_with_layout(figures, context())
    text = " ".join(pages_of(data))
    assert all(f"Figure {n}: {chart.title}" in text for n, chart in enumerate(made, start=1))
    assert not any(layout.last_on_each_page().values())
