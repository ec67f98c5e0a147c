"""What people read on the report page and in the exports: labels that say what they mean, months
and dates the UK way, a projection whose base, optimism bias and gates are stated and whose
negative result is a cost increase, and amounts typed as people write them."""

import html as html_module
import io
import re

import pandas as pd
from pypdf import PdfReader

from cohorts import analysis, display, exports, services
from tests.cohorts.test_reports import cohort  # noqa: F401 (a fixture)

ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _visible(page: str) -> str:
    """The text of a page a person reads: no tags, no attributes (links carry ISO dates in queries)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html_module.unescape(re.sub(r"<[^>]+>", " ", page))


def test_row_labels_say_what_they_mean(client, login_as, cohort):  # noqa: F811
    login_as("evaluator")
    text = _visible(client.get(f"/cohorts/{cohort.id}").get_data(as_text=True))
    for label in ("DSLs", "Made no non-urgent contact (%)", "Made at least one non-urgent contact (%)",
                  "Non-urgent contacts per DSL", "Urgent referrals per DSL",
                  "Non-urgent contacts for each urgent referral"):
        assert label in text, label
    for old in ("did not call MASH", "% who called with a contact", "contact-to-referral ratio"):
        assert old not in text
    assert not ISO_DAY.search(text)
    assert "December 2020" in text  # months are written out


def test_no_iso_date_in_what_a_person_reads(cohort):  # noqa: F811
    figures = services.cohort_report(cohort, 2150, 570825.0).figures
    pdf = exports.to_pdf(figures)
    pdf_text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert not ISO_DAY.search(pdf_text)
    for table in display.outcome_tables(figures):
        for row in table.rows:
            assert not ISO_DAY.search(" ".join(cell.text for cell in row)), row
    frame = pd.read_csv(io.BytesIO(exports.to_csv(figures)))
    assert not frame["measure"].str.contains(ISO_DAY).any()
    assert "September 2020" in " ".join(frame["measure"])


def test_the_import_preview_shows_dates_the_uk_way(client, login_as, db_session):
    login_as("evaluator")
    data = ("contact_id,received_at,source,method,classification\n"
            "M-1,2020-09-17 10:30,School,Telephone,contact\n").encode()
    page = client.post("/imports/", data={"kind": "contacts", "file": (io.BytesIO(data), "mash.csv")},
                       content_type="multipart/form-data").get_data(as_text=True)
    text = _visible(page)
    assert "17 September 2020 at 10:30am" in text and not ISO_DAY.search(text)


def test_a_negative_projection_is_a_cost_increase():
    exposure = {"treatment": {"dsls": 165}, "contacts_rate_ratio": 1.2, "contacts_ci95": [1.1, 1.3]}
    p = analysis.projection(2150, 570825, -10.0, exposure)
    assert p["saving_exposure_time"] < 0 and p["withheld"] is None
    table = display.outcome_tables({**_minimal(), "projection": p})[1]
    text = " ".join(cell.text for row in table.rows for cell in row)
    assert "a cost increase of £" in text and "£-" not in text and "more calls" in text
    assert display.money(-39559.5) == "\u2212£39,559.50"


def test_the_optimism_bias_is_stated_and_taken_off():
    exposure = {"treatment": {"dsls": 165}, "contacts_rate_ratio": 0.4, "contacts_ci95": [0.3, 0.55]}
    plain = analysis.projection(2150, 570825, 65.0, exposure)
    biased = analysis.projection(2150, 570825, 65.0, exposure, optimism_bias_pct=20)
    assert plain["optimism_bias_pct"] == 0 and biased["optimism_bias_pct"] == 20
    assert biased["calls_avoided_exposure_time"] == round(2150 * 0.6 * 0.8)
    assert plain["calls_avoided_exposure_time"] == round(2150 * 0.6)
    assert biased["calls_avoided"] == plain["calls_avoided"]  # the first evaluation's figure stays comparable


def test_the_projection_form_takes_amounts_as_people_write_them(client, login_as, cohort):  # noqa: F811
    login_as("evaluator")
    page = client.get(f"/cohorts/{cohort.id}", query_string={"annual_calls": "2,150", "annual_cost": "£570,825",
                                                              "optimism_bias": "20"})
    text = _visible(page.get_data(as_text=True))
    assert page.status_code == 200 and "There is a problem" not in text
    assert "£570,825.00" in text and "20.0%" in text
    assert "Non-urgent calls from schools to the MASH a year" in text
    assert "not every call from every source" in text.lower()
    assert "Projection withheld" in text  # three trained DSLs: the reason is shown
    wrong = _visible(client.get(f"/cohorts/{cohort.id}", query_string={"annual_calls": "2150", "annual_cost": "5",
                                                                       "optimism_bias": "150"}).get_data(as_text=True))
    assert "The optimism bias must be from 0% to 100%" in wrong


def test_the_command_takes_amounts_as_people_write_them(runner, cohort):  # noqa: F811
    result = runner.invoke(args=["cohorts", "report", "autumn-test", "--annual-calls", "2,150",
                                 "--annual-cost", "£570,825", "--optimism-bias", "10"])
    assert result.exit_code == 0, result.output
    assert '"annual_cost": 570825.0' in result.stdout and '"optimism_bias_pct": 10.0' in result.stdout
    bad = runner.invoke(args=["cohorts", "report", "autumn-test", "--annual-calls", "lots", "--annual-cost", "5"])
    assert bad.exit_code != 0 and "like 570,825" in bad.output


def _minimal() -> dict:
    """The smallest report dict the tables need."""
    group = {key: 1 for key in analysis.GROUP_KEYS}
    effect = {"mean_difference": 0.1, "pct_decrease": 10.0, "t": 1.0, "df": 10.0, "p_value": 0.3, "ci95": [0, 1],
              "hedges_g": 0.1, "hedges_g_ci95": [0, 1], "risk_ratio_with_contact": 1.0, "risk_ratio_ci95": [0.5, 2],
              "with_contact_test": None, "with_contact_p_value": 0.5, "test": "Welch two-sample t-test"}
    return {"cohort": "x", "definition": {"courses": ["induction"], "exposure": ["2020-09-01", "2020-09-30"],
                                          "outcome": ["2020-09-01", "2020-12-31"]},
            "groups": {"comparison": group, "treatment": group}, "effect": effect, "models": {}, "balance": [],
            "linkage": {"records_in_window": 0}, "notes": {}}
