"""The outcome report counts MASH records in the database (GROUP BY over the outcome window): it must
give the same numbers as loading every record and counting in pandas, window edges and clock changes
included, and the whole report must match the analysis of the same trial done in memory."""

import hashlib
import hmac
from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import insert, select

from cohorts import analysis, services
from cohorts.models import Cohort, CohortMember, MashRecord
from core.models import ImportBatch
from people.models import Dsl, School
from tests.cohorts.test_analysis import DEFINITION, synthetic_trial

# (received_at in UTC as stored, London date) around the edges of the windows below.
STAMPS = [
    datetime(2020, 8, 31, 22, 59),  # 31 August 23:59 BST
    datetime(2020, 8, 31, 23, 0),  # 1 September 00:00 BST
    datetime(2020, 10, 24, 23, 30),  # 25 October 00:30 BST, the night the clocks go back
    datetime(2020, 10, 25, 0, 30),  # 01:30 BST
    datetime(2020, 10, 25, 1, 30),  # 01:30 GMT
    datetime(2020, 12, 31, 23, 59),  # 31 December 23:59 GMT
    datetime(2021, 1, 1, 0, 0),  # 1 January 00:00 GMT
    datetime(2021, 3, 28, 0, 59),  # 28 March 00:59 GMT, the night the clocks go forward
    datetime(2021, 3, 28, 22, 59),  # 28 March 23:59 BST
    datetime(2021, 3, 28, 23, 0),  # 29 March 00:00 BST
]
# Each window with the number of STAMPS whose London date lies inside it.
WINDOWS = [((date(2020, 9, 1), date(2020, 12, 31)), 5), ((date(2021, 1, 1), date(2021, 3, 28)), 3),
           ((date(2020, 10, 25), date(2020, 10, 25)), 3), ((date(2020, 9, 1), date(2021, 3, 29)), 9),
           ((date(2019, 1, 1), date(2019, 12, 31)), 0)]


@pytest.fixture
def records(db_session, make_school, make_dsl):
    """Three DSLs (two in a cohort) and no one each make a contact at every stamp, the first DSL a
    referral too: 5 records a stamp, from two import batches."""
    school = make_school()
    dsls = [make_dsl(school=school) for _ in range(3)]
    cohort = Cohort(name="edges", courses=["induction"], exposure_start=date(2020, 9, 1), exposure_end=date(2020, 9, 30),
                    outcome_start=date(2020, 9, 1), outcome_end=date(2020, 12, 31))
    db_session.add(cohort)
    db_session.flush()
    for dsl, group in zip(dsls[:2], ("comparison", "treatment")):
        db_session.add(CohortMember(cohort_id=cohort.id, dsl_id=dsl.id, group_name=group, school_urn=school.urn,
                                    pupils=school.pupils, fsm_percent=school.fsm_percent, phase=school.phase))
    batches = [ImportBatch(kind="contacts", filename=f"mash-{n}.csv", checksum=str(n) * 64, source="cli", rows=1,
                           created=1, updated=0, unchanged=0) for n in (1, 2)]
    db_session.add_all(batches)
    db_session.flush()
    rows = []
    for stamp in STAMPS:
        for dsl, classification in [(d, "contact") for d in dsls + [None]] + [(dsls[0], "referral")]:
            rows.append({"contact_id": f"E-{len(rows)}", "received_at": stamp, "source": "School", "method": "Telephone",
                         "classification": classification, "dsl_id": dsl.id if dsl else None,
                         "import_batch_id": batches[len(rows) % 2].id})
    db_session.execute(insert(MashRecord), rows)
    db_session.commit()
    return cohort


def _loaded_and_counted_in_pandas(start, end, members):
    """How the report counted before: every record loaded, London dates filtered in pandas."""
    frame = pd.DataFrame(services.db.session.execute(
        select(MashRecord.dsl_id, MashRecord.classification, MashRecord.received_at)).all(),
        columns=["dsl_id", "classification", "received_at"])
    inside = frame[analysis.in_window(analysis.london_dates(frame["received_at"]), start, end)]
    return analysis.per_dsl_counts(members, inside), analysis.linkage(inside, members["dsl_id"])


@pytest.mark.parametrize("window, stamps", WINDOWS, ids=lambda w: f"{w[0]}:{w[1]}" if isinstance(w, tuple) else str(w))
def test_counting_in_the_database_matches_counting_loaded_records(records, window, stamps):
    members = services.frozen_members(records, services.REPORT_COLUMNS).rename(columns={"group_name": "group"})
    counts = services.record_counts(*window)
    per_dsl = analysis.per_dsl_from_counts(members, counts)
    expected_per_dsl, expected_linkage = _loaded_and_counted_in_pandas(*window, members)
    pd.testing.assert_frame_equal(per_dsl, expected_per_dsl)
    linkage = analysis.linkage_from_counts(counts, members["dsl_id"])
    assert linkage == expected_linkage
    assert linkage == {"records_in_window": 5 * stamps, "linked": 4 * stamps, "unlinked": stamps,
                       "linked_outside_cohort": stamps}
    assert per_dsl[["contacts", "referrals"]].to_numpy().tolist() == [[stamps, stamps], [stamps, 0]]


def test_london_day_bounds():
    assert services.london_day_bounds(date(2020, 9, 1), date(2020, 12, 31)) == (datetime(2020, 8, 31, 23, 0),
                                                                                 datetime(2021, 1, 1, 0, 0))
    assert services.london_day_bounds(date(2021, 1, 1), date(2021, 3, 28)) == (datetime(2021, 1, 1, 0, 0),
                                                                                datetime(2021, 3, 28, 23, 0))


def test_report_traces_both_batches_and_counts_each_record_once(records):
    figures = services.cohort_report(records).figures
    assert [b["filename"] for b in figures["batches"]] == ["mash-1.csv", "mash-2.csv"]
    groups = figures["groups"]
    linkage = figures["linkage"]
    assert linkage["linked"] == groups["comparison"]["calls"] + groups["treatment"]["calls"] + linkage["linked_outside_cohort"]
    assert linkage["records_in_window"] == linkage["linked"] + linkage["unlinked"]


def test_synthetic_trial_through_the_database_gives_the_in_memory_report(db_session):
    """The reference report's trial stored as DSLs, a frozen cohort and MASH records: the report read
    from the database equals the analysis of the same per-DSL frame in memory."""
    trial = synthetic_trial()
    school = School(urn=990001, name="Trial School", pupils=300, fsm_percent=15.0, phase="Primary")
    db_session.add(school)
    db_session.flush()
    db_session.execute(insert(Dsl), [{"email": f"trial{i}@school.example.org", "name": f"Trial {i}", "role": "DSL",
                                      "school_id": school.id} for i in trial["dsl_id"]])
    ids = dict(db_session.execute(select(Dsl.email, Dsl.id).where(Dsl.school_id == school.id)).all())
    trial["dsl_id"] = [ids[f"trial{i}@school.example.org"] for i in trial["dsl_id"]]
    cohort = Cohort(name="synthetic-trial", courses=DEFINITION["courses"],
                    exposure_start=date(2020, 9, 1), exposure_end=date(2020, 9, 30),
                    outcome_start=date(2020, 9, 1), outcome_end=date(2020, 12, 31))
    batch = ImportBatch(kind="contacts", filename="trial.csv", checksum="t" * 64, source="cli", rows=1004,
                        created=1004, updated=0, unchanged=0)
    db_session.add_all([cohort, batch])
    db_session.flush()
    db_session.execute(insert(CohortMember), [
        {"cohort_id": cohort.id, "dsl_id": row.dsl_id, "group_name": row.group, "school_urn": school.urn,
         "pupils": int(row.pupils), "fsm_percent": float(row.fsm_percent),
         "phase": row.phase if isinstance(row.phase, str) else None} for row in trial.itertuples()])
    rows = []
    emails = {dsl_id: email for email, dsl_id in ids.items()}
    for row in trial.itertuples():
        for classification, times in (("contact", row.contacts), ("referral", row.referrals)):
            for _ in range(times):
                n = len(rows)
                rows.append({"contact_id": f"TR-{n}", "received_at": datetime(2020, 9, 1) + (n % 120) * pd.Timedelta("1D"),
                             "source": "School", "method": "Telephone", "classification": classification,
                             "referrer_email": emails[row.dsl_id], "dsl_id": row.dsl_id, "import_batch_id": batch.id})
    db_session.execute(insert(MashRecord), rows)
    db_session.commit()

    figures = services.cohort_report(cohort).figures
    expected = analysis.outcome_report(trial.astype({"pupils": "int64"}), cohort=cohort.name,
                                       definition=cohort.definition, linkage_counts={})
    assert figures["groups"] == expected["groups"]
    assert figures["groups"]["comparison"]["contacts"] == 563 and figures["groups"]["treatment"]["referrals"] == 37
    assert figures["linkage"] == {"records_in_window": 1004, "linked": 1004, "unlinked": 0, "linked_outside_cohort": 0,
                                  "stale_links": 0}
    _assert_close(figures["effect"], expected["effect"], rel=1e-12)
    _assert_close(figures["balance"], expected["balance"], rel=1e-12)
    _assert_close(figures["models"], expected["models"], rel=1e-6)


def _assert_close(actual, expected, rel):
    """Equal nested figures: floats to within ``rel``, everything else exactly."""
    actual, expected = _flat(actual), _flat(expected)
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, float):
            assert actual[key] == pytest.approx(value, rel=rel), key
        else:
            assert actual[key] == value, key


def _flat(value, key=""):
    """Nested dicts and lists as one flat mapping, for pytest.approx."""
    if isinstance(value, dict):
        return {k: v for name, item in value.items() for k, v in _flat(item, f"{key}.{name}").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _flat(item, f"{key}[{i}]").items()}
    return {key: value}


def test_pseudonyms_are_the_ids_exports_always_carried(app):
    with app.app_context():
        key = app.config["SECRET_KEY"].encode()
        assert services.pseudonyms([5, 12]) == [
            "P" + hmac.new(key, f"dsl:{i}".encode(), hashlib.sha256).hexdigest()[:10] for i in (5, 12)]
        assert services.pseudonym(5) == services.pseudonyms([5])[0]
