"""The analyst's exports: the long CSV and the XLSX each load into pandas in one call with no
cleaning; the XLSX has numbers with formats, intervals as low and high, dates as dates, frozen
headers with filters and an About sheet; the per-DSL rows (unsuppressed only) carry the cohort's own
pseudonyms and banded school figures, from their own route and command option."""

import io
from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from cohorts import exports, services, tidy
from cohorts.models import Cohort, CohortMember
from tests.cohorts.test_reports import cohort  # noqa: F401 (a fixture)


def test_the_csv_is_one_long_table_pandas_reads_in_one_call(cohort):  # noqa: F811
    result = services.cohort_report(cohort, 2150, 570825.0)
    frame = pd.read_csv(io.BytesIO(exports.to_csv(result.figures)))
    assert list(frame.columns) == ["section", "measure", "group", "value", "low", "high", "unit"]
    assert frame["value"].dtype.kind == "f" and frame["low"].dtype.kind == "f"
    dsls = frame[(frame.section == "groups") & (frame.measure == "DSLs")].set_index("group")["value"]
    assert dsls.to_dict() == {"comparison": 6, "treatment": 3}
    ratio = frame[frame.measure.str.startswith("Risk ratio of making at least one")].iloc[0]
    assert (ratio["low"], ratio["high"]) == pytest.approx(tuple(result.figures["effect"]["risk_ratio_ci95"]))
    withheld = frame[frame.section == "projection"].iloc[0]
    assert withheld["measure"].startswith("Projection withheld: ") and pd.isna(withheld["value"])


def test_a_suppressed_csv_reads_as_numbers_with_c_as_missing(cohort):  # noqa: F811
    figures = services.cohort_report(cohort, suppress=True).figures
    frame = pd.read_csv(io.BytesIO(exports.to_csv(figures)), na_values=["c"])
    assert frame["value"].dtype.kind == "f"
    raw = pd.read_csv(io.BytesIO(exports.to_csv(figures)))
    assert "c" in set(raw["value"].dropna())


def test_the_xlsx_first_sheet_is_the_long_table_with_formats(cohort):  # noqa: F811
    result = services.cohort_report(cohort, 2150, 570825.0)
    data = exports.to_xlsx(result.figures, result.per_dsl)
    frame = pd.read_excel(io.BytesIO(data))
    assert list(frame.columns) == list(tidy.COLUMNS) and frame["value"].dtype.kind == "f"
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Figures", "About", "Per DSL", "Import batches"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.bold
    for name in ("Figures", "Per DSL", "Import batches"):
        assert book[name].auto_filter.ref
    figures = book["Figures"]
    formats = {row[6].value: row[3].number_format for row in figures.iter_rows(min_row=2)
               if isinstance(row[3].value, (int, float))}
    assert formats["DSLs"] == "#,##0" and formats["% of DSLs"] == "0.0" and formats["£"] == "£#,##0.00"
    about = {row[0].value: row[1].value for row in book["About"].iter_rows(min_row=2)}
    assert about["Exposure window starts"] == datetime(2020, 9, 1)
    assert book["About"]["B4"].number_format == "d mmmm yyyy"
    assert "Unit: % of DSLs" in about and "Column: trained_on" in about
    imported = book["Import batches"]["D2"]
    assert isinstance(imported.value, datetime) and imported.number_format == "d mmmm yyyy hh:mm"


def test_the_per_dsl_sheet_has_dates_as_dates_and_bands(cohort):  # noqa: F811
    result = services.cohort_report(cohort)
    book = load_workbook(io.BytesIO(exports.to_xlsx(result.figures, result.per_dsl)))
    rows = list(book["Per DSL"].iter_rows(values_only=True))
    head = rows[0]
    assert head == ("dsl", "school", "group", "trained_on", "days_at_risk", "contacts", "referrals",
                    "contacts_at_risk", "referrals_at_risk", "pupils_band", "fsm_band", "phase", "role")
    frame = pd.read_excel(io.BytesIO(exports.to_xlsx(result.figures, result.per_dsl)), sheet_name="Per DSL")
    assert set(frame["pupils_band"]) <= {band for _edge, band in services.PUPIL_BANDS}
    assert set(frame["fsm_band"]) <= {band for _edge, band in services.FSM_BANDS}
    assert frame["school"].nunique() == 3 and frame["dsl"].nunique() == 9


def test_suppressed_exports_have_no_per_dsl_rows(cohort):  # noqa: F811
    result = services.cohort_report(cohort, suppress=True)
    assert "Per DSL" not in load_workbook(io.BytesIO(exports.to_xlsx(result.figures, result.per_dsl))).sheetnames


def test_pseudonyms_belong_to_one_cohort(cohort, db_session):  # noqa: F811
    other = Cohort(name="spring-test", courses=["induction"], exposure_start=date(2020, 9, 1),
                   exposure_end=date(2020, 9, 30), outcome_start=date(2020, 9, 1), outcome_end=date(2020, 12, 31))
    db_session.add(other)
    db_session.flush()
    for member in db_session.query(CohortMember).filter_by(cohort_id=cohort.id):
        db_session.add(CohortMember(cohort_id=other.id, dsl_id=member.dsl_id, group_name=member.group_name,
                                    school_urn=member.school_urn, pupils=member.pupils,
                                    fsm_percent=member.fsm_percent, phase=member.phase))
    db_session.commit()
    assert cohort.pseudonym_salt and other.pseudonym_salt and cohort.pseudonym_salt != other.pseudonym_salt
    first, second = services.cohort_report(cohort).per_dsl, services.cohort_report(other).per_dsl
    assert not set(first["dsl"]) & set(second["dsl"]) and not set(first["school"]) & set(second["school"])
    assert list(first["dsl"]) == list(services.cohort_report(cohort).per_dsl["dsl"])  # stable for one cohort


def test_per_dsl_csv_route_and_command(client, login_as, runner, cohort, tmp_path):  # noqa: F811
    login_as("evaluator")
    response = client.get(f"/cohorts/{cohort.id}/dsls.csv")
    assert response.status_code == 200 and "autumn-test-per-dsl.csv" in response.headers["Content-Disposition"]
    frame = pd.read_csv(io.BytesIO(response.get_data()))
    assert len(frame) == 9 and frame["dsl"].str.match(r"^D[0-9a-f]{10}$").all()
    assert pd.to_datetime(frame["trained_on"]).notna().sum() == 0 or frame["trained_on"].notna().any()
    refused = client.get(f"/cohorts/{cohort.id}/dsls.csv?suppress=y", follow_redirects=True)
    assert refused.status_code == 200 and "has no per-DSL rows" in refused.get_data(as_text=True)
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert f"/cohorts/{cohort.id}/dsls.csv" in page
    assert f"/cohorts/{cohort.id}/dsls.csv" not in client.get(f"/cohorts/{cohort.id}?suppress=y").get_data(as_text=True)

    out = tmp_path / "dsls.csv"
    result = runner.invoke(args=["cohorts", "report", "autumn-test", "--per-dsl", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out).equals(frame)
    refused = runner.invoke(args=["cohorts", "report", "autumn-test", "--per-dsl", "--suppress"])
    assert refused.exit_code != 0 and "--suppress" in refused.output


def test_the_documented_example_is_a_long_table_pandas_reads_in_one_call():
    from pathlib import Path

    frame = pd.read_csv(Path(__file__).parents[2] / "docs" / "examples" / "outcome-report.csv")
    assert list(frame.columns) == list(tidy.COLUMNS)
    assert frame["value"].dtype.kind == "f" and set(frame["section"]) >= {"groups", "effect", "projection"}
    assert all(tidy.cell_of(s, m, g) for s, m, g in frame[["section", "measure", "group"]].itertuples(index=False)
               if s != "balance" and "standardised mean difference" not in m)
