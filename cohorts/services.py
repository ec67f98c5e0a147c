"""Cohorts, linkage and the outcome report. Functions flush, never commit.

Treatment comes from attendance recorded by the courses package.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pandas as pd
from flask import current_app
from sqlalchemy import and_, delete, func, select, update

from cohorts import analysis
from cohorts.models import Cohort, CohortMember, EarlyHelpConsultation, MashRecord
from core.bulk import bulk_insert
from core.extensions import db
from core.models import ImportBatch
from core.replica import read_connection
from core.timefmt import london_to_utc, uk_date, utcnow
from courses.models import Attendance, CourseSession, CourseType
from people.models import Dsl, School

NAME_LENGTH = 100
UNLINKED_SHOWN = 200


class CohortError(ValueError):
    """A cohort request that cannot be carried out, with a message for the person."""


def _frame(statement, columns: list[str], replica: bool = False) -> pd.DataFrame:
    """The rows of ``statement`` as a DataFrame. Read through a plain connection, without the ORM's
    per-row work, and built column by column: both several times faster on large results.

    ``replica``: a heavy aggregate over imported records, which may come from the read replica
    (REPORTS_DATABASE_URL). Anything a user writes and reads straight back (a cohort's definition,
    its frozen membership) stays on the primary."""
    with read_connection(replica) as connection:
        rows = connection.execute(statement).all()
    if not rows:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    return pd.DataFrame(dict(zip(columns, map(list, zip(*rows)))))


# -- linkage ----------------------------------------------------------------------------------


def relink() -> dict:
    """Link every MASH record and Early Help consultation to the DSL whose email matches, as the
    register stands now. Returns how many records are linked before and after."""
    before = linkage_counts()
    for model in (MashRecord, EarlyHelpConsultation):
        match = select(Dsl.id).where(Dsl.email == model.referrer_email).scalar_subquery()
        db.session.execute(update(model).values(dsl_id=match).execution_options(synchronize_session=False))
    db.session.flush()
    return {"before": before, "after": linkage_counts()}


def linkage_counts(replica: bool = False) -> dict:
    """Linked and unlinked MASH records; unlinked split by whether they carry a referrer email.
    ``replica``: for the linkage page, which may read them from the replica (relinking reads the
    primary, where it has just written)."""
    with read_connection(replica) as connection:
        total, linked, with_email = connection.execute(select(
            func.count(MashRecord.id), func.count(MashRecord.dsl_id), func.count(MashRecord.referrer_email))).one()
        unlinked_with_email = connection.scalar(select(func.count(MashRecord.id)).where(
            MashRecord.dsl_id.is_(None), MashRecord.referrer_email.is_not(None)))
        eh_total, eh_linked = connection.execute(select(func.count(EarlyHelpConsultation.id),
                                                        func.count(EarlyHelpConsultation.dsl_id))).one()
    return {"records": total, "linked": linked, "unlinked": total - linked,
            "unlinked_with_email": unlinked_with_email, "without_email": total - with_email,
            "early_help": eh_total, "early_help_linked": eh_linked}


def unlinked_referrers(limit: int = UNLINKED_SHOWN, replica: bool = False) -> list[dict]:
    """Referrer emails that match no DSL, most frequent first."""
    count = func.count(MashRecord.id).label("records")
    with read_connection(replica) as connection:
        rows = connection.execute(
            select(MashRecord.referrer_email, count, func.max(MashRecord.school_urn), func.max(MashRecord.received_at))
            .where(MashRecord.dsl_id.is_(None), MashRecord.referrer_email.is_not(None))
            .group_by(MashRecord.referrer_email).order_by(count.desc(), MashRecord.referrer_email).limit(limit)).all()
    return [{"email": email, "records": n, "school_urn": urn, "last_received_at": last} for email, n, urn, last in rows]


# -- membership -------------------------------------------------------------------------------


def course_codes() -> list[str]:
    """The course codes attendance can be recorded against."""
    return list(db.session.scalars(select(CourseType.code).order_by(CourseType.code)))


def population() -> pd.DataFrame:
    """Every DSL on the register with their school's figures."""
    return _frame(select(Dsl.id, School.urn, School.pupils, School.fsm_percent, School.phase)
                  .join(School, Dsl.school_id == School.id).order_by(Dsl.id),
                  ["dsl_id", "school_urn", "pupils", "fsm_percent", "phase"])


def treated(courses: list[str], start: date, end: date) -> pd.DataFrame:
    """DSLs who attended a session of ``courses`` whose first day lies in [start, end], with the
    first such attendance as the reason."""
    statement = (
        select(Attendance.dsl_id, CourseType.code, CourseSession.first_day)
        .join(CourseSession, Attendance.session_id == CourseSession.id)
        .join(CourseType, CourseSession.course_type_id == CourseType.id)
        .where(Attendance.status == "attended", CourseType.code.in_(courses),
               CourseSession.first_day >= start, CourseSession.first_day <= end)
    )
    frame = _frame(statement, ["dsl_id", "code", "first_day"])
    if frame.empty:
        return pd.DataFrame({"dsl_id": pd.Series(dtype="int64"), "reason": pd.Series(dtype=object)})
    frame["first_day"] = pd.to_datetime(frame["first_day"])
    first = frame.sort_values(["first_day", "code"]).drop_duplicates("dsl_id")
    reason = "attended " + first["code"] + " on " + first["first_day"].dt.strftime("%Y-%m-%d")
    return pd.DataFrame({"dsl_id": first["dsl_id"].astype("int64"), "reason": reason})


def compute_membership(courses: list[str], exposure: tuple[date, date]) -> pd.DataFrame:
    """Every DSL on the register in treatment or comparison, by the cohort definition."""
    members = population().merge(treated(courses, *exposure), on="dsl_id", how="left")
    members["group_name"] = members["reason"].notna().map({True: "treatment", False: "comparison"})
    return members


@dataclass
class Definition:
    name: str
    courses: list[str]
    exposure: tuple[date, date]
    outcome: tuple[date, date]


def check_definition(definition: Definition, known_courses: list[str] | None = None) -> None:
    name = (definition.name or "").strip()
    if not name:
        raise CohortError("Enter a name for the cohort")
    if len(name) > NAME_LENGTH:
        raise CohortError(f"The name must be {NAME_LENGTH} characters or fewer")
    if db.session.scalar(select(Cohort.id).where(Cohort.name == name)) is not None:
        raise CohortError(f"There is already a cohort called {name}")
    if not definition.courses:
        raise CohortError("Choose at least one course")
    known = course_codes() if known_courses is None else known_courses
    unknown = [c for c in definition.courses if c not in known]
    if unknown:
        raise CohortError(f"Unknown course code: {', '.join(unknown)}. Known codes: {', '.join(known) or 'none'}")
    for label, (start, end) in (("exposure", definition.exposure), ("outcome", definition.outcome)):
        if start > end:
            raise CohortError(f"The {label} window must start on or before its end")


def create_cohort(definition: Definition, user_id: int | None = None) -> Cohort:
    """Save the definition and freeze its membership as the register and attendance stand now."""
    check_definition(definition)
    cohort = Cohort(name=definition.name.strip(), courses=list(definition.courses),
                    exposure_start=definition.exposure[0], exposure_end=definition.exposure[1],
                    outcome_start=definition.outcome[0], outcome_end=definition.outcome[1], created_by_id=user_id)
    db.session.add(cohort)
    db.session.flush()
    _freeze(cohort, compute_membership(cohort.courses, (cohort.exposure_start, cohort.exposure_end)))
    return cohort


def _freeze(cohort: Cohort, members: pd.DataFrame) -> None:
    rows = members.assign(cohort_id=cohort.id, fsm_percent=members["fsm_percent"].astype(float))
    bulk_insert(CohortMember.__table__, rows, ["cohort_id", "dsl_id", "group_name", "reason", "school_urn", "pupils",
                                              "fsm_percent", "phase"])
    db.session.flush()


MEMBER_COLUMNS = ("dsl_id", "group_name", "reason", "school_urn", "pupils", "fsm_percent", "phase")
# What the outcome report needs of each member: the group and the school covariates.
REPORT_COLUMNS = ("dsl_id", "group_name", "pupils", "fsm_percent", "phase")


def frozen_members(cohort: Cohort, columns: tuple[str, ...] = MEMBER_COLUMNS) -> pd.DataFrame:
    return _frame(select(*(getattr(CohortMember, column) for column in columns))
                  .where(CohortMember.cohort_id == cohort.id).order_by(CohortMember.dsl_id), list(columns))


def membership_changes(cohort: Cohort) -> list[dict]:
    """Who would move if the membership were recomputed now, and why."""
    frozen = frozen_members(cohort)
    fresh = compute_membership(cohort.courses, (cohort.exposure_start, cohort.exposure_end))
    merged = frozen.merge(fresh, on="dsl_id", how="outer", suffixes=("_frozen", "_now"), indicator=True)
    changed = merged[(merged["_merge"] != "both") | (merged["group_name_frozen"] != merged["group_name_now"])]
    if changed.empty:
        return []
    emails = dict(db.session.execute(select(Dsl.id, Dsl.email).where(Dsl.id.in_(changed["dsl_id"].tolist()))).all())
    out = []
    for row in changed.to_dict("records"):
        if row["_merge"] == "left_only":
            why = "no longer on the DSL register"
        elif row["_merge"] == "right_only":
            why = "added to the DSL register since the cohort was created"
        elif row["group_name_now"] == "treatment":
            why = f"attendance now shows they {row['reason_now']}"
        else:
            why = f"attendance no longer shows what put them in treatment ({row['reason_frozen']})"
        out.append({"dsl_id": int(row["dsl_id"]), "email": emails.get(int(row["dsl_id"]), ""),
                    "from": row["group_name_frozen"] if isinstance(row["group_name_frozen"], str) else "not a member",
                    "to": row["group_name_now"] if isinstance(row["group_name_now"], str) else "not a member",
                    "why": why})
    return out


def recompute(cohort: Cohort) -> list[dict]:
    """Replace the frozen membership with one computed now; returns who moved and why."""
    changes = membership_changes(cohort)
    db.session.execute(delete(CohortMember).where(CohortMember.cohort_id == cohort.id))
    _freeze(cohort, compute_membership(cohort.courses, (cohort.exposure_start, cohort.exposure_end)))
    cohort.recomputed_at = utcnow()
    db.session.flush()
    return changes


def cohort_by_name(name: str) -> Cohort | None:
    return db.session.scalar(select(Cohort).where(Cohort.name == name))


def all_cohorts() -> list[tuple[Cohort, int, int]]:
    """Each cohort with the size of its comparison and treatment groups."""
    counts = dict(((cohort_id, group), n) for cohort_id, group, n in db.session.execute(
        select(CohortMember.cohort_id, CohortMember.group_name, func.count()).group_by(
            CohortMember.cohort_id, CohortMember.group_name)).all())
    cohorts = db.session.scalars(select(Cohort).order_by(Cohort.created_at.desc(), Cohort.id.desc())).all()
    return [(c, counts.get((c.id, "comparison"), 0), counts.get((c.id, "treatment"), 0)) for c in cohorts]


# -- the report -------------------------------------------------------------------------------


def pseudonym(dsl_id: int) -> str:
    """A stable pseudonymous id for exports: no name or email leaves the service."""
    return pseudonyms([dsl_id])[0]


def pseudonyms(dsl_ids) -> list[str]:
    """:func:`pseudonym` of each of ``dsl_ids`` (one-shot HMACs: a whole cohort in a fraction of a second)."""
    key = current_app.config["SECRET_KEY"].encode()
    return ["P" + hmac.digest(key, f"dsl:{dsl_id}".encode(), "sha256").hex()[:10] for dsl_id in dsl_ids]


def london_day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants (naive, as stored) at which Europe/London's ``start`` begins and the day after
    ``end`` begins: a time stamp's London date lies in [start, end] exactly when it falls in [low, high)."""
    return london_to_utc(start, time(0)), london_to_utc(end + timedelta(days=1), time(0))


def record_counts(start: date, end: date) -> pd.DataFrame:
    """MASH records whose London date lies in [start, end], counted in the database: one row per
    DSL (dsl_id null for records linked to no one) and import batch, with contacts and referrals.

    The window filters inside the counts rather than in a WHERE clause so that both databases read
    the table in one sequential pass: given the WHERE, SQLite walks the received_at index and fetches
    the rows one by one, several times slower when the window holds most of the table.
    """
    low, high = london_day_bounds(start, end)
    in_window = and_(MashRecord.received_at >= low, MashRecord.received_at < high)
    counted = {kind: func.count().filter(in_window, MashRecord.classification == kind)
               for kind in (analysis.CONTACT, analysis.REFERRAL)}
    frame = _frame(select(MashRecord.dsl_id, MashRecord.import_batch_id, counted[analysis.CONTACT],
                          counted[analysis.REFERRAL]).group_by(MashRecord.dsl_id, MashRecord.import_batch_id),
                   ["dsl_id", "import_batch_id", "contacts", "referrals"], replica=True)
    frame = frame.astype({"dsl_id": "Int64", "import_batch_id": "int64", "contacts": "int64", "referrals": "int64"})
    return frame[(frame["contacts"] + frame["referrals"]) > 0].reset_index(drop=True)


def consultation_counts(start: date, end: date) -> pd.DataFrame:
    """Early Help consultations dated in [start, end], counted by date and import batch."""
    consultations = func.count().label("consultations")
    frame = _frame(select(EarlyHelpConsultation.date, EarlyHelpConsultation.import_batch_id, consultations)
                   .where(EarlyHelpConsultation.date >= start, EarlyHelpConsultation.date <= end)
                   .group_by(EarlyHelpConsultation.date, EarlyHelpConsultation.import_batch_id),
                   ["date", "import_batch_id", "consultations"], replica=True)
    return frame.astype({"import_batch_id": "int64", "consultations": "int64"})


def batches(ids) -> list[dict]:
    """The import batches behind counted records, read where the records were counted."""
    ids = sorted({int(i) for i in ids})
    if not ids:
        return []
    with read_connection(replica=True) as connection:
        rows = connection.execute(select(ImportBatch.id, ImportBatch.kind, ImportBatch.filename, ImportBatch.checksum,
                                         ImportBatch.imported_at, ImportBatch.rows)
                                  .where(ImportBatch.id.in_(ids)).order_by(ImportBatch.id)).all()
    return [{"id": b.id, "kind": b.kind, "filename": b.filename, "checksum": b.checksum,
             "imported_at": b.imported_at.isoformat(timespec="seconds") + "Z", "rows": b.rows} for b in rows]


@dataclass
class Report:
    figures: dict  # the JSON report
    per_dsl: pd.DataFrame  # pseudonymous per-DSL counts (empty when suppressed)


def cohort_report(cohort: Cohort, annual_calls: int | None = None, annual_cost: float | None = None,
                  suppress: bool = False) -> Report:
    """The outcome report of ``cohort``: every figure, traced to the import batches behind it."""
    members = frozen_members(cohort, REPORT_COLUMNS).rename(columns={"group_name": "group"})
    records = record_counts(cohort.outcome_start, cohort.outcome_end)
    per_dsl = analysis.per_dsl_from_counts(members, records)
    consultations = consultation_counts(cohort.outcome_start, cohort.outcome_end)
    figures = analysis.outcome_report(
        per_dsl, cohort=cohort.name, definition=cohort.definition,
        linkage_counts=analysis.linkage_from_counts(records, members["dsl_id"]),
        early_help_dates=consultations["date"], early_help_counts=consultations["consultations"],
        annual_calls=annual_calls, annual_cost=annual_cost)
    figures["membership"] = {"frozen_at": cohort.created_at.isoformat(timespec="seconds") + "Z",
                             "recomputed_at": cohort.recomputed_at.isoformat(timespec="seconds") + "Z"
                             if cohort.recomputed_at else None}
    figures["batches"] = batches(list(records["import_batch_id"]) + list(consultations["import_batch_id"]))
    if suppress:
        return Report(analysis.suppressed(figures), per_dsl.iloc[0:0])
    pseudonymous = pd.DataFrame({
        "pseudonym": pseudonyms(per_dsl["dsl_id"].tolist()), "group": per_dsl["group"], "contacts": per_dsl["contacts"],
        "referrals": per_dsl["referrals"], "pupils": per_dsl["pupils"], "fsm_percent": per_dsl["fsm_percent"],
        "phase": per_dsl["phase"]}).sort_values("pseudonym")
    return Report(figures, pseudonymous)


# -- demand -----------------------------------------------------------------------------------


def demand() -> dict:
    """Contacts and referrals by source and method, schools' share of telephone contacts and
    contacts per pupil by school, over every MASH record imported."""
    kinds = (MashRecord.source, MashRecord.method, MashRecord.classification)
    # Counted in the database: a few dozen rows by source and method, one row per school.
    by_kind = _frame(select(*kinds, func.count()).group_by(*kinds), ["source", "method", "classification", "records"],
                     replica=True)
    by_school = _frame(select(MashRecord.school_urn, func.count())
                       .where(MashRecord.classification == analysis.CONTACT, MashRecord.school_urn.is_not(None))
                       .group_by(MashRecord.school_urn), ["school_urn", "records"], replica=True)
    schools = _frame(select(School.urn, School.name, School.pupils), ["urn", "name", "pupils"], replica=True)
    with read_connection(replica=True) as connection:
        span = connection.execute(select(func.min(MashRecord.received_at), func.max(MashRecord.received_at))).one()
    return {"records": int(by_kind["records"].sum()), "first": span[0], "last": span[1],
            **analysis.by_source_and_method(by_kind),
            "telephone": analysis.telephone_share(by_kind),
            "per_pupil": analysis.contacts_per_pupil(by_school.assign(classification=analysis.CONTACT), schools)}


def uk_window(start: date, end: date) -> str:
    return f"{uk_date(start)} to {uk_date(end)}"

