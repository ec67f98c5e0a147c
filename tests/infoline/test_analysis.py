"""The Infoline page's figures against independent computations: the same random calls counted
here with plain pandas group-bys, written without the analysis module's helpers; and the page and
its CSV and XLSX exports showing them."""

import io
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert

from cohorts.models import MashRecord
from core.models import ImportBatch
from infoline import analysis
from infoline.models import InfolineCall

ON = date(2021, 8, 31)


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    schools = pd.DataFrame({"urn": np.arange(100, 130), "name": [f"School {n}" for n in range(30)],
                            "phase": rng.choice(["Primary", "Secondary", None], 30),
                            "district": rng.choice(["Rugby", "Warwick", None], 30)})
    dsls = pd.DataFrame({"dsl_id": np.arange(1, 81), "school_urn": rng.choice(schools["urn"], 80)})
    trained = rng.random(80) < 0.5
    dsls["trained_on"] = pd.to_datetime(np.where(trained, "2020-11-15", None))
    n = 600
    calls = pd.DataFrame({
        "received_at": pd.Timestamp("2020-09-01") + pd.to_timedelta(rng.integers(0, 365 * 24 * 60, n), unit="m"),
        "advice": rng.choice(["handled", "early-help", "mash", "other"], n),
        "topic": rng.choice(["Neglect", "Online safety", None], n),
        "dsl_id": pd.array(np.where(rng.random(n) < 0.85, rng.choice(dsls["dsl_id"], n), 0), dtype="Int64"),
        "duration_minutes": pd.array(rng.integers(1, 30, n), dtype="Int64")})
    calls.loc[calls["dsl_id"] == 0, "dsl_id"] = pd.NA
    calls["school_urn"] = pd.array(np.where(calls["dsl_id"].isna() & (rng.random(n) < 0.7),
                                            rng.choice(schools["urn"], n), 0), dtype="Int64")
    calls.loc[calls["school_urn"] == 0, "school_urn"] = pd.NA
    mash = pd.DataFrame({"school_urn": schools["urn"], "records": rng.integers(0, 5, 30)})
    return calls, dsls, schools, mash


def _independent(calls, dsls, schools):
    """Each call's school, phase, district, London day and trained flag, worked out step by step."""
    frame = calls.copy()
    school_of = dict(zip(dsls["dsl_id"], dsls["school_urn"]))
    frame["school"] = [school_of[d] if pd.notna(d) else (s if pd.notna(s) else None)
                       for d, s in zip(frame["dsl_id"], frame["school_urn"])]
    phase = dict(zip(schools["urn"], schools["phase"]))
    district = dict(zip(schools["urn"], schools["district"]))

    def known(value):
        return "Not known" if value is None or pd.isna(value) else value

    frame["phase"] = [known(phase.get(s)) for s in frame["school"]]
    frame["district"] = [known(district.get(s)) for s in frame["school"]]
    frame["day"] = [stamp.tz_localize("UTC").tz_convert("Europe/London").date() for stamp in frame["received_at"]]
    trained_on = dict(zip(dsls["dsl_id"], dsls["trained_on"]))
    frame["trained"] = [pd.notna(d) and pd.notna(trained_on[d]) and trained_on[d].date() <= day
                        for d, day in zip(frame["dsl_id"], frame["day"])]
    return frame


def test_counts_by_month_advice_topic_and_district(data):
    calls, dsls, schools, mash = data
    figures = analysis.figures(calls, dsls, schools, mash, ON)
    frame = _independent(calls, dsls, schools)
    months = frame.groupby(frame["day"].map(lambda d: f"{d.year}-{d.month:02d}"))
    assert [(m["month"], m["calls"], m["mash"]) for m in figures["by_month"]] == [
        (month, len(group), int((group["advice"] == "mash").sum())) for month, group in months]
    assert {r["advice"]: r["calls"] for r in figures["by_advice"]} == frame.groupby("advice").size().to_dict()
    topics = frame["topic"].fillna("No topic recorded").value_counts()
    assert {r["topic"]: r["calls"] for r in figures["by_topic"]} == topics.to_dict()
    assert sum(r["pct"] for r in figures["by_topic"]) == pytest.approx(100)
    districts = frame.groupby("district").agg(calls=("advice", "size"), schools=("school", "nunique"))
    assert {r["district"]: (r["calls"], r["schools"]) for r in figures["by_district"]} == {
        d: (int(row.calls), int(row.schools)) for d, row in districts.iterrows()}


def test_who_calls_by_phase(data):
    calls, dsls, schools, mash = data
    figures = analysis.figures(calls, dsls, schools, mash, ON)
    frame = _independent(calls, dsls, schools)
    register = dsls.merge(schools, left_on="school_urn", right_on="urn")
    register["phase"] = register["phase"].fillna("Not known")
    register["trained"] = register["trained_on"].notna()
    register["called"] = register["dsl_id"].isin(set(calls["dsl_id"].dropna()))
    rows = {r["phase"]: r for r in figures["who_calls"]}
    for phase, people in register.groupby("phase"):
        row = rows[phase]
        assert row["trained_dsls"] == people["trained"].sum()
        assert row["trained_callers"] == (people["trained"] & people["called"]).sum()
        assert row["untrained_callers"] == (~people["trained"] & people["called"]).sum()
        phase_calls = frame[frame["phase"] == phase]
        assert row["calls_trained"] == (phase_calls["dsl_id"].notna() & phase_calls["trained"]).sum()
        assert row["calls_untrained"] == (phase_calls["dsl_id"].notna() & ~phase_calls["trained"]).sum()
        assert row["calls_not_on_register"] == phase_calls["dsl_id"].isna().sum()
    everyone = rows["All phases"]
    assert everyone["calls_trained"] + everyone["calls_untrained"] + everyone["calls_not_on_register"] == len(calls)
    assert everyone["trained_dsls"] + everyone["untrained_dsls"] == len(dsls)


def test_months_without_a_call_are_shown_as_none():
    calls = pd.DataFrame({"received_at": [pd.Timestamp("2020-09-30 23:30"), pd.Timestamp("2020-12-01 10:00")],
                          "advice": ["handled", "mash"]})
    # 23:30 UTC on 30 September is 00:30 on 1 October in London.
    assert [(m["month"], m["calls"]) for m in analysis.by_month(calls)] == [
        ("2020-10", 1), ("2020-11", 0), ("2020-12", 1)]


def test_register_share_repeat_callers_and_schools_that_only_call_the_mash(data):
    calls, dsls, schools, mash = data
    figures = analysis.figures(calls, dsls, schools, mash, ON)
    frame = _independent(calls, dsls, schools)
    linked = calls["dsl_id"].notna()
    assert figures["register"]["on_register"] == linked.sum()
    assert figures["register"]["pct_on_register"] == pytest.approx(100 * linked.mean())
    assert figures["register"]["callers_on_register"] == calls["dsl_id"].nunique()
    per_caller = calls.groupby("dsl_id").size()
    assert figures["repeat"]["repeat_callers"] == (per_caller >= 2).sum()
    assert figures["repeat"]["calls_by_repeat_callers"] == per_caller[per_caller >= 2].sum()
    assert sum(b["callers"] for b in figures["repeat"]["bands"]) == len(per_caller)
    calling = set(frame["school"].dropna())
    expected = mash[(mash["records"] > 0) & ~mash["school_urn"].isin(calling)]
    assert sorted(r["urn"] for r in figures["mash_not_infoline"]) == sorted(expected["school_urn"])
    records = [r["mash_records"] for r in figures["mash_not_infoline"]]
    assert records == sorted(records, reverse=True)


def test_the_page_and_its_exports_show_the_stored_calls(client, login_as, db_session, make_dsl, make_school):
    login_as("evaluator")
    quiet = make_school(name="Quiet School")
    dsl = make_dsl(name="Caller One")
    batch = ImportBatch(kind="contacts", filename="m.csv", checksum="m" * 64, source="cli", rows=1, created=1,
                        updated=0, unchanged=0)
    db_session.add(batch)
    db_session.flush()
    db_session.execute(insert(MashRecord), [{"contact_id": "M-1", "received_at": datetime(2020, 10, 1, 9),
                                             "source": "School", "method": "Telephone", "classification": "contact",
                                             "school_urn": quiet.urn, "import_batch_id": batch.id}])
    db_session.add_all([InfolineCall(received_at=datetime(2020, 10, 2, 9), advice="handled", dsl_id=dsl.id,
                                     school_urn=dsl.school.urn, topic="=cmd()"),
                        InfolineCall(received_at=datetime(2020, 11, 2, 9), advice="mash", dsl_id=dsl.id,
                                     school_urn=dsl.school.urn)])
    db_session.commit()
    page = client.get("/infoline/").get_data(as_text=True)
    assert "2 calls from 2 October 2020 to 2 November 2020" in page
    assert "Quiet School" in page and "Schools whose DSLs call the MASH but never the Infoline" in page
    csv = client.get("/infoline/figures.csv")
    text = csv.get_data().decode("utf-8-sig")
    assert csv.status_code == 200 and "Calls by topic" in text and "'=cmd()" in text
    assert "Caller One" not in text and dsl.email not in text
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(client.get("/infoline/figures.xlsx").get_data()))
    sheet = workbook["by_advice"]
    assert [row for row in sheet.iter_rows(min_row=3, max_row=3, max_col=2, values_only=True)] == [
        ("Answered on the call", 1)]
    assert client.get("/infoline/figures.pdf").status_code == 404
    november = client.get("/infoline/?start=01/11/2020&end=2020-11-30").get_data(as_text=True)
    assert "1 call from 2 November 2020 to 2 November 2020" in november
    assert "Quiet School" not in november  # its MASH record came in October
    export = client.get("/infoline/figures.csv?start=01/11/2020&end=2020-11-30")
    assert "infoline-calls-2020-11-01-2020-11-30.csv" in export.headers["Content-Disposition"]
    wrong = client.get("/infoline/?start=2020-12-01&end=2020-11-30").get_data(as_text=True)
    assert "govuk-error-summary" in wrong and "The period must end on or after its start" in wrong
    demand = client.get("/cohorts/demand").get_data(as_text=True)
    assert "DSL Infoline calls" in demand and "October 2020" in demand
