"""The outcome report: the page, the PDF, the XLSX, the CSV and the JSON show the same numbers;
exports carry pseudonymous ids only; small numbers can be suppressed."""

import io
import json
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from cohorts import display, exports, services, tidy
from cohorts.models import Cohort, CohortMember, MashRecord
from core.models import ImportBatch


@pytest.fixture
def cohort(db_session, make_school, make_dsl):
    """A small cohort frozen by hand: 6 comparison and 3 treatment DSLs, MASH records in and out of the window."""
    schools = [make_school(pupils=200 + 100 * i, fsm_percent=10.0 + 3 * i, phase=("Primary", "Secondary")[i % 2])
               for i in range(3)]
    dsls = [make_dsl(school=schools[i % 3], email=f"person{i}@school.example.org", name=f"Person Named{i}") for i in range(9)]
    cohort = Cohort(name="autumn-test", courses=["induction", "refresher"], exposure_start=date(2020, 9, 1),
                    exposure_end=date(2020, 9, 30), outcome_start=date(2020, 9, 1), outcome_end=date(2020, 12, 31))
    db_session.add(cohort)
    db_session.flush()
    for i, dsl in enumerate(dsls):
        school = dsl.school
        db_session.add(CohortMember(cohort_id=cohort.id, dsl_id=dsl.id, group_name="treatment" if i < 3 else "comparison",
                                    reason="attended refresher on 2020-09-15" if i < 3 else None, school_urn=school.urn,
                                    pupils=school.pupils, fsm_percent=school.fsm_percent, phase=school.phase))
    batch = ImportBatch(kind="contacts", filename="=mash.csv", checksum="a" * 64, source="cli", rows=20, created=20,
                        updated=0, unchanged=0)
    db_session.add(batch)
    db_session.flush()
    plan = [(3, "contact", 3), (4, "contact", 2), (4, "referral", 1), (5, "contact", 1), (6, "referral", 2),
            (0, "contact", 1), (1, "referral", 1), (7, "contact", 4)]
    n = 0
    for index, classification, times in plan:
        for _ in range(times):
            n += 1
            db_session.add(MashRecord(contact_id=f"T-{n}", received_at=datetime(2020, 10, 1 + n, 10), source="School",
                                      method="Telephone", classification=classification,
                                      referrer_email=dsls[index].email, dsl_id=dsls[index].id, import_batch_id=batch.id))
    # Outside the window (1 January 2021 in London), and one linked to no one.
    db_session.add(MashRecord(contact_id="T-late", received_at=datetime(2021, 1, 1, 0, 30), source="School",
                              method="Telephone", classification="contact", dsl_id=dsls[3].id, import_batch_id=batch.id))
    db_session.add(MashRecord(contact_id="T-nobody", received_at=datetime(2020, 11, 3, 9), source="School",
                              method="Telephone", classification="contact", referrer_email="x@y.example.org",
                              import_batch_id=batch.id))
    db_session.commit()
    return cohort


def test_report_figures(cohort):
    figures = services.cohort_report(cohort).figures
    c, t = figures["groups"]["comparison"], figures["groups"]["treatment"]
    assert (c["n"], c["contacts"], c["referrals"], c["dsls_with_contact"]) == (6, 10, 3, 4)
    assert (t["n"], t["contacts"], t["referrals"], t["dsls_with_contact"]) == (3, 1, 1, 1)
    assert figures["linkage"] == {"records_in_window": 16, "linked": 15, "unlinked": 1, "linked_outside_cohort": 0,
                                  "stale_links": 0}
    assert [b["filename"] for b in figures["batches"]] == ["=mash.csv"]
    assert figures["effect"]["pct_decrease"] == pytest.approx(100 * (10 / 6 - 1 / 3) / (10 / 6))


def _texts(figures, leave_out=None):
    return [cell.text for table in display.outcome_tables(figures) if table.key != leave_out
            for row in table.rows for cell in row]


def download_every_format(client, cohort, query: str) -> dict:
    """The report of ``cohort`` downloaded as JSON, PDF, XLSX and CSV: bytes by format."""
    downloads = {}
    for fmt in ("json", "pdf", "xlsx", "csv"):
        response = client.get(f"/cohorts/{cohort.id}/report.{fmt}?{query}")
        assert response.status_code == 200, fmt
        downloads[fmt] = response.get_data()
        response.close()
    return downloads


def test_page_pdf_xlsx_csv_and_json_show_the_same_numbers(client, login_as, cohort):
    login_as("evaluator")
    query = "annual_calls=2150&annual_cost=570825"
    page = client.get(f"/cohorts/{cohort.id}?{query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    downloads = download_every_format(client, cohort, query)
    figures = json.loads(downloads["json"])
    assert figures == json.loads(exports.to_json(services.cohort_report(cohort, 2150, 570825.0).figures))
    assert figures["projection"]["annual_calls"] == 2150
    import html as html_module

    page_text = html_module.unescape(html)
    pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(downloads["pdf"])).pages)
    pdf_words = " ".join(pdf_text.split())
    for text in _texts(figures):
        assert text in page_text, text
    # The PDF lists the import batches among its methods, with whole checksums and times in words.
    for text in _texts(figures, leave_out="batches"):
        assert " ".join(text.split()) in pdf_words, text
    for batch in figures["batches"]:
        assert batch["filename"] in pdf_words and batch["checksum"] in "".join(pdf_text.split())
    expected = tidy.long_table(figures)
    from_csv = pd.read_csv(io.BytesIO(downloads["csv"]))
    from_xlsx = pd.read_excel(io.BytesIO(downloads["xlsx"]))
    for frame in (from_csv, from_xlsx):
        assert list(frame.columns) == list(tidy.COLUMNS)
        assert frame["measure"].tolist() == expected["measure"].tolist()
        for column in ("value", "low", "high"):
            assert pd.api.types.is_float_dtype(frame[column]) or pd.api.types.is_integer_dtype(frame[column])
            assert np.allclose(frame[column].astype(float), pd.to_numeric(expected[column]).astype(float),
                               rtol=1e-12, equal_nan=True)


def test_exports_carry_pseudonyms_not_names_or_emails(cohort):
    result = services.cohort_report(cohort)
    for data in (exports.to_csv(result.figures), exports.to_dsl_csv(result.per_dsl), exports.to_json(result.figures),
                 exports.to_xlsx(result.figures, result.per_dsl)):
        assert b"person0@" not in data and b"Named0" not in data
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(result.figures, result.per_dsl)), read_only=True)
    rows = list(workbook["Per DSL"].iter_rows(values_only=True))
    assert rows[0][:3] == ("dsl", "school", "group") and len(rows) == 10
    assert all(str(r[0]).startswith("D") and str(r[1]).startswith("S") and "@" not in str(r[0]) for r in rows[1:])
    batches = list(workbook["Import batches"].iter_rows(values_only=True))
    assert batches[1][2] == "'=mash.csv"  # a file name that looks like a formula stays text
    workbook.close()


def test_report_options_errors_are_summarised_not_500(client, login_as, cohort):
    login_as("evaluator")
    response = client.get(f"/cohorts/{cohort.id}?annual_calls=lots&annual_cost=5")
    assert response.status_code == 200
    assert "Enter the calls a year as a whole number" in response.get_data(as_text=True)
    assert client.get(f"/cohorts/{cohort.id}/report.exe").status_code == 404


def test_report_command_writes_each_format(runner, cohort, tmp_path):
    result = runner.invoke(args=["cohorts", "report", "autumn-test", "--format", "json",
                                 "--annual-calls", "2150", "--annual-cost", "570825"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["cohort"] == "autumn-test" and figures["projection"]["unit_cost"] == 265.5
    for fmt in ("csv", "xlsx", "pdf"):
        out = tmp_path / f"r.{fmt}"
        result = runner.invoke(args=["cohorts", "report", "autumn-test", "--format", fmt, "--output", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 100
    assert runner.invoke(args=["cohorts", "report", "nope"]).exit_code != 0


def test_demand_page(client, login_as, cohort):
    login_as("admin")
    html = client.get("/cohorts/demand").get_data(as_text=True)
    assert "Contacts and referrals by source" in html and "contacts per pupil" in html


def test_demand_page_before_any_record_is_imported(client, login_as, db_session):
    login_as("evaluator")
    response = client.get("/cohorts/demand")
    assert response.status_code == 200


def test_cohort_pages_list_and_membership(client, login_as, cohort):
    login_as("evaluator")
    assert "autumn-test" in client.get("/cohorts/").get_data(as_text=True)
    assert client.get("/cohorts/new").status_code == 200


def test_spreadsheet_cells_are_never_formulas_and_numbers_stay_numbers(cohort, db_session):
    import csv

    from core.spreadsheets import FORMULA_STARTS, PLAIN_NUMBER

    def runnable(value):
        return isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value)

    hostile = '=HYPERLINK("http://evil.example","open me")'
    cohort.name = hostile
    db_session.commit()
    result = services.cohort_report(cohort)
    for data in (exports.to_csv(result.figures), exports.to_dsl_csv(result.per_dsl)):
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert not [cell for row in rows for cell in row if runnable(cell)]

    workbook = load_workbook(io.BytesIO(exports.to_xlsx(result.figures, result.per_dsl)))
    values = [cell.value for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [value for value in values if runnable(value)]
    assert workbook["About"]["B2"].value == "'" + hostile
    assert "'=mash.csv" in values
    assert all(cell.data_type == "n" for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
               if isinstance(cell.value, (int, float)))

    # A negative figure is a number in XLSX and a plain number in CSV, never text behind an apostrophe.
    figures = json.loads(exports.to_json(result.figures))
    figures["effect"]["t"] = -2.5
    cells = [cell for row in csv.reader(io.StringIO(exports.to_csv(figures).decode("utf-8-sig"))) for cell in row]
    assert "-2.5" in cells and "'-2.5" not in cells
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(figures)))["Figures"]
    t_row = [row for row in sheet.iter_rows() if row[1].value == "Welch's t"][0]
    assert t_row[3].value == -2.5 and t_row[3].data_type == "n"
