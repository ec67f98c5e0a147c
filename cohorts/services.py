"""Cohorts, linkage and the outcome report. Functions flush, never commit.

Treatment comes from attendance recorded by the courses package.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property

import pandas as pd
from flask import current_app
from sqlalchemy import and_, delete, func, select, update

from cohorts import analysis, timezero
from cohorts.models import Cohort, CohortMember, EarlyHelpConsultation, MashRecord
from core.bulk import bulk_insert
from core.extensions import db
from core.models import ImportBatch
from core.timefmt import london_to_utc, uk_date, utcnow
from courses.models import Attendance, CourseSession, CourseType, SessionPart
from people.models import Dsl, School

NAME_LENGTH = 100
UNLINKED_SHOWN = 200


class CohortError(ValueError):
    """A cohort request that cannot be carried out, with a message for the person and the form
    field it is about."""

    def __init__(self, message: str, field: str = "name") -> None:
        super().__init__(message)
        self.field = field


def _frame(statement, columns: list[str]) -> pd.DataFrame:
    """The rows of ``statement`` as a DataFrame. Read through the session's connection, without the
    ORM's per-row work, and built column by column: both several times faster on large results."""
    db.session.flush()
    rows = db.session.connection().execute(statement).all()
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


def linkage_counts() -> dict:
    """Linked and unlinked MASH records; unlinked split by whether they carry a referrer email."""
    total, linked, with_email = db.session.execute(select(
        func.count(MashRecord.id), func.count(MashRecord.dsl_id), func.count(MashRecord.referrer_email))).one()
    unlinked_with_email = db.session.scalar(select(func.count(MashRecord.id)).where(
        MashRecord.dsl_id.is_(None), MashRecord.referrer_email.is_not(None)))
    eh_total, eh_linked = db.session.execute(select(func.count(EarlyHelpConsultation.id),
                                                    func.count(EarlyHelpConsultation.dsl_id))).one()
    return {"records": total, "linked": linked, "unlinked": total - linked,
            "unlinked_with_email": unlinked_with_email, "without_email": total - with_email,
            "early_help": eh_total, "early_help_linked": eh_linked}


def unlinked_referrers(limit: int = UNLINKED_SHOWN) -> list[dict]:
    """Referrer emails that match no DSL, most frequent first."""
    count = func.count(MashRecord.id).label("records")
    rows = db.session.execute(
        select(MashRecord.referrer_email, count, func.max(MashRecord.school_urn), func.max(MashRecord.received_at))
        .where(MashRecord.dsl_id.is_(None), MashRecord.referrer_email.is_not(None))
        .group_by(MashRecord.referrer_email).order_by(count.desc(), MashRecord.referrer_email).limit(limit)).all()
    return [{"email": email, "records": n, "school_urn": urn, "last_received_at": last} for email, n, urn, last in rows]


# -- membership -------------------------------------------------------------------------------


def course_codes() -> list[str]:
    """The course codes attendance can be recorded against."""
    return list(db.session.scalars(select(CourseType.code).order_by(CourseType.code)))


def population() -> pd.DataFrame:
    """Every DSL on the register with their role and their school's figures."""
    return _frame(select(Dsl.id, Dsl.role, School.urn, School.pupils, School.fsm_percent, School.phase)
                  .join(School, Dsl.school_id == School.id).order_by(Dsl.id),
                  ["dsl_id", "role", "school_urn", "pupils", "fsm_percent", "phase"])


def qualifying_sessions(courses: list[str], start: date) -> pd.DataFrame:
    """Sessions of ``courses`` whose first day is on or after ``start``, one row per DSL who
    attended, with the session's first and last days (London dates)."""
    statement = (
        select(Attendance.dsl_id, CourseType.code, CourseSession.first_day, func.max(SessionPart.starts_at))
        .join(CourseSession, Attendance.session_id == CourseSession.id)
        .join(CourseType, CourseSession.course_type_id == CourseType.id)
        .outerjoin(SessionPart, SessionPart.session_id == CourseSession.id)
        .where(Attendance.status == "attended", CourseType.code.in_(courses), CourseSession.first_day >= start)
        .group_by(Attendance.dsl_id, CourseSession.id, CourseType.code, CourseSession.first_day)
    )
    frame = _frame(statement, ["dsl_id", "code", "first_day", "last_part_starts_at"])
    frame["last_day"] = [timezero.last_day(first, last) for first, last
                         in zip(frame["first_day"], frame["last_part_starts_at"])]
    return frame.drop(columns="last_part_starts_at").astype({"dsl_id": "int64"})


def treated(courses: list[str], start: date, end: date, sessions: pd.DataFrame | None = None) -> pd.DataFrame:
    """DSLs who attended a session of ``courses`` whose first day lies in [start, end], with the
    first such attendance as the reason and its last day as ``trained_on``."""
    sessions = qualifying_sessions(courses, start) if sessions is None else sessions
    frame = sessions[pd.to_datetime(sessions["first_day"]) <= pd.Timestamp(end)]
    if frame.empty:
        return pd.DataFrame({"dsl_id": pd.Series(dtype="int64"), "reason": pd.Series(dtype=object),
                             "trained_on": pd.Series(dtype=object)})
    first = frame.assign(first_day=pd.to_datetime(frame["first_day"])).sort_values(["first_day", "code"]) \
        .drop_duplicates("dsl_id")
    reason = "attended " + first["code"] + " on " + first["first_day"].dt.strftime("%Y-%m-%d")
    return pd.DataFrame({"dsl_id": first["dsl_id"].astype("int64"), "reason": reason, "trained_on": first["last_day"]})


def compute_membership(courses: list[str], exposure: tuple[date, date], outcome: tuple[date, date]) -> pd.DataFrame:
    """Every DSL on the register in treatment or comparison, by the cohort definition, with their
    time zero and days at risk in ``outcome`` (cohorts/timezero.py)."""
    sessions = qualifying_sessions(courses, exposure[0])
    members = population().merge(treated(courses, *exposure, sessions=sessions), on="dsl_id", how="left")
    members["group_name"] = members["reason"].notna().map({True: "treatment", False: "comparison"})
    # A comparison DSL's own later training ends their time at risk (treatment DSLs trained in the
    # exposure window, so theirs is irrelevant and left null).
    later = sessions.groupby("dsl_id")["first_day"].min().rename("next_session_on")
    members = members.merge(later, left_on="dsl_id", right_index=True, how="left")
    members["next_session_on"] = members["next_session_on"].where(members["group_name"] == "comparison", None)
    members = timezero.days_at_risk(members, outcome)
    members["at_risk_low"], members["at_risk_high"] = timezero.utc_bounds(members["at_risk_from"], members["at_risk_to"])
    members["days_at_risk"] = timezero.person_days(members["at_risk_from"], members["at_risk_to"])
    return members


@dataclass
class Definition:
    name: str
    courses: list[str]
    exposure: tuple[date, date]
    outcome: tuple[date, date]
    pre: tuple[date, date] | None = None


def check_definition(definition: Definition, known_courses: list[str] | None = None) -> None:
    _check_name((definition.name or "").strip())
    if not definition.courses:
        raise CohortError("Choose at least one course", "courses")
    known = course_codes() if known_courses is None else known_courses
    unknown = [c for c in definition.courses if c not in known]
    if unknown:
        raise CohortError(f"Unknown course code: {', '.join(unknown)}. Known codes: {', '.join(known) or 'none'}",
                          "courses")
    _check_windows(definition)


def _check_name(name: str) -> None:
    if not name:
        raise CohortError("Enter a name for the cohort")
    if len(name) > NAME_LENGTH:
        raise CohortError(f"The name must be {NAME_LENGTH} characters or fewer")
    if db.session.scalar(select(Cohort.id).where(Cohort.name == name)) is not None:
        raise CohortError(f"There is already a cohort called {name}")


def _check_windows(definition: Definition) -> None:
    windows = [("exposure", definition.exposure), ("outcome", definition.outcome)]
    if definition.pre is not None:
        windows.append(("pre", definition.pre))
    for label, (start, end) in windows:
        if start > end:
            raise CohortError(f"The {label} window must start on or before its end", f"{label}_end")
    exposure_start, outcome_end = definition.exposure[0], definition.outcome[1]
    if outcome_end < exposure_start:
        raise CohortError(f"The outcome window ends ({uk_date(outcome_end)}) before the exposure window starts "
                          f"({uk_date(exposure_start)}): there would be no days after training to count",
                          "outcome_end")
    if definition.pre is not None and definition.pre[1] >= min(exposure_start, definition.outcome[0]):
        raise CohortError("The pre-period must end before both the exposure window and the outcome window start",
                          "pre_end")


def check_groups(members: pd.DataFrame, courses: list[str]) -> None:
    """Refuse a membership with an empty group: there would be nothing to compare."""
    sizes = members["group_name"].value_counts()
    if not sizes.get("treatment", 0):
        raise CohortError(f"No DSL attended {' or '.join(courses)} with a first day in the exposure window, so the "
                          "treatment group would be empty", "exposure_start")
    if not sizes.get("comparison", 0):
        raise CohortError("Every DSL on the register would be in the treatment group, so there would be no one "
                          "to compare them with", "exposure_start")


def create_cohort(definition: Definition, user_id: int | None = None) -> Cohort:
    """Save the definition and freeze its membership as the register and attendance stand now."""
    check_definition(definition)
    members = compute_membership(definition.courses, definition.exposure, definition.outcome)
    check_groups(members, definition.courses)
    pre_start, pre_end = definition.pre or (None, None)
    cohort = Cohort(name=definition.name.strip(), courses=list(definition.courses),
                    exposure_start=definition.exposure[0], exposure_end=definition.exposure[1],
                    outcome_start=definition.outcome[0], outcome_end=definition.outcome[1],
                    pre_start=pre_start, pre_end=pre_end, created_by_id=user_id)
    db.session.add(cohort)
    db.session.flush()
    _freeze(cohort, members)
    return cohort


def _membership(cohort: Cohort) -> pd.DataFrame:
    return compute_membership(cohort.courses, (cohort.exposure_start, cohort.exposure_end),
                              (cohort.outcome_start, cohort.outcome_end))


def _freeze(cohort: Cohort, members: pd.DataFrame) -> None:
    rows = members.assign(cohort_id=cohort.id, fsm_percent=members["fsm_percent"].astype(float))
    bulk_insert(CohortMember.__table__, rows, list(FROZEN_COLUMNS))
    db.session.flush()


FROZEN_COLUMNS = ("cohort_id", "dsl_id", "group_name", "reason", "school_urn", "pupils", "fsm_percent", "phase", "role",
                  "trained_on", "next_session_on", "at_risk_from", "at_risk_to", "at_risk_low", "at_risk_high",
                  "days_at_risk")
MEMBER_COLUMNS = ("dsl_id", "group_name", "reason", "school_urn", "pupils", "fsm_percent", "phase")
# What the outcome report needs of each member: the group, the school, the covariates and the days at risk.
REPORT_COLUMNS = ("dsl_id", "group_name", "school_urn", "pupils", "fsm_percent", "phase", "role", "days_at_risk")


def frozen_members(cohort: Cohort, columns: tuple[str, ...] = MEMBER_COLUMNS) -> pd.DataFrame:
    return _frame(select(*(getattr(CohortMember, column) for column in columns))
                  .where(CohortMember.cohort_id == cohort.id).order_by(CohortMember.dsl_id), list(columns))


def membership_changes(cohort: Cohort) -> list[dict]:
    """Who would move if the membership were recomputed now, and why."""
    frozen = frozen_members(cohort)
    fresh = _membership(cohort)
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
    members = _membership(cohort)
    check_groups(members, cohort.courses)
    db.session.execute(delete(CohortMember).where(CohortMember.cohort_id == cohort.id))
    _freeze(cohort, members)
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


def record_counts(start: date, end: date, pre: tuple[date, date] | None = None,
                  cohort: Cohort | None = None) -> pd.DataFrame:
    """MASH records whose London date lies in [start, end], counted in the database: one row per
    DSL (dsl_id null for records linked to no one), school (null when the record names none) and
    import batch, with contacts and referrals. From the same pass: with ``pre``, ``pre_contacts``
    and ``pre_referrals`` in that window; with ``cohort``, ``contacts_at_risk`` and
    ``referrals_at_risk`` on each member's own days at risk (their frozen UTC bounds).

    The windows filter inside the counts rather than in a WHERE clause (or the join's ON) so that
    both databases read the table in one sequential pass: given the WHERE, SQLite walks the
    received_at index and fetches the rows one by one, several times slower when the window holds
    most of the table, and given a range in the ON it walks that index once for every member.
    """
    windows = {"": (start, end)} | ({"pre_": pre} if pre else {})
    conditions = {}
    for prefix, window in windows.items():
        low, high = london_day_bounds(*window)
        conditions[prefix] = and_(MashRecord.received_at >= low, MashRecord.received_at < high)
    source = MashRecord.__table__
    if cohort is not None:
        conditions["at_risk"] = and_(MashRecord.received_at >= CohortMember.at_risk_low,
                                     MashRecord.received_at < CohortMember.at_risk_high)
        source = source.outerjoin(CohortMember.__table__, and_(CohortMember.cohort_id == cohort.id,
                                                               CohortMember.dsl_id == MashRecord.dsl_id))
    counted, names = [], []
    for prefix, inside in conditions.items():
        for kind, name in ((analysis.CONTACT, "contacts"), (analysis.REFERRAL, "referrals")):
            counted.append(func.count().filter(inside, MashRecord.classification == kind))
            names.append(f"{name}_at_risk" if prefix == "at_risk" else prefix + name)
    keys = (MashRecord.dsl_id, MashRecord.school_urn, MashRecord.import_batch_id)
    frame = _frame(select(*keys, *counted).select_from(source).group_by(*keys),
                   ["dsl_id", "school_urn", "import_batch_id", *names])
    frame = frame.astype({"dsl_id": "Int64", "school_urn": "Int64", "import_batch_id": "int64",
                          **{name: "int64" for name in names}})
    return frame[frame[names].sum(axis=1) > 0].reset_index(drop=True)


def consultations_at_risk(cohort: Cohort) -> pd.DataFrame:
    """Each member's Early Help consultations on their own days at risk, counted in the database."""
    at_risk = and_(EarlyHelpConsultation.date >= CohortMember.at_risk_from,
                   EarlyHelpConsultation.date <= CohortMember.at_risk_to)
    return _frame(select(CohortMember.dsl_id, func.count().filter(at_risk))
                  .join(EarlyHelpConsultation, EarlyHelpConsultation.dsl_id == CohortMember.dsl_id)
                  .where(CohortMember.cohort_id == cohort.id).group_by(CohortMember.dsl_id),
                  ["dsl_id", "consultations_at_risk"])


def consultation_counts(start: date, end: date) -> pd.DataFrame:
    """Early Help consultations dated in [start, end], counted by date and import batch."""
    consultations = func.count().label("consultations")
    frame = _frame(select(EarlyHelpConsultation.date, EarlyHelpConsultation.import_batch_id, consultations)
                   .where(EarlyHelpConsultation.date >= start, EarlyHelpConsultation.date <= end)
                   .group_by(EarlyHelpConsultation.date, EarlyHelpConsultation.import_batch_id),
                   ["date", "import_batch_id", "consultations"])
    return frame.astype({"import_batch_id": "int64", "consultations": "int64"})


def batches(ids) -> list[dict]:
    ids = sorted({int(i) for i in ids})
    if not ids:
        return []
    rows = db.session.scalars(select(ImportBatch).where(ImportBatch.id.in_(ids)).order_by(ImportBatch.id)).all()
    return [{"id": b.id, "kind": b.kind, "filename": b.filename, "checksum": b.checksum,
             "imported_at": b.imported_at.isoformat(timespec="seconds") + "Z", "rows": b.rows} for b in rows]


@dataclass
class Report:
    figures: dict  # the JSON report
    rows: pd.DataFrame  # the per-DSL frame behind the figures (empty when suppressed)

    @cached_property
    def per_dsl(self) -> pd.DataFrame:
        """Pseudonymous per-DSL counts, made when first asked for: only the CSV and XLSX carry them,
        and a pseudonym for each of 60,000 DSLs takes a noticeable part of a second."""
        rows = self.rows
        return pd.DataFrame({
            "pseudonym": pseudonyms(rows["dsl_id"].tolist()), "group": rows["group"], "contacts": rows["contacts"],
            "referrals": rows["referrals"], "days_at_risk": rows["person_days"],
            "contacts_at_risk": rows["contacts_at_risk"], "referrals_at_risk": rows["referrals_at_risk"],
            "pupils": rows["pupils"], "fsm_percent": rows["fsm_percent"], "phase": rows["phase"]}).sort_values("pseudonym")


def cohort_report(cohort: Cohort, annual_calls: int | None = None, annual_cost: float | None = None,
                  suppress: bool = False) -> Report:
    """The outcome report of ``cohort``: every figure, traced to the import batches behind it."""
    members = frozen_members(cohort, REPORT_COLUMNS).rename(columns={"group_name": "group"})
    pre = (cohort.pre_start, cohort.pre_end) if cohort.pre_start else None
    records = record_counts(cohort.outcome_start, cohort.outcome_end, pre, cohort)
    per_dsl = analysis.with_days_at_risk(analysis.per_dsl_from_counts(members, records), consultations_at_risk(cohort))
    consultations = consultation_counts(cohort.outcome_start, cohort.outcome_end)
    figures = analysis.outcome_report(
        per_dsl, cohort=cohort.name, definition=cohort.definition,
        linkage_counts=analysis.linkage_from_counts(records, members["dsl_id"]),
        early_help_dates=consultations["date"], early_help_counts=consultations["consultations"],
        annual_calls=annual_calls, annual_cost=annual_cost, schools=analysis.schools_from_counts(members, records))
    figures["membership"] = {"frozen_at": cohort.created_at.isoformat(timespec="seconds") + "Z",
                             "recomputed_at": cohort.recomputed_at.isoformat(timespec="seconds") + "Z"
                             if cohort.recomputed_at else None}
    figures["batches"] = batches(list(records["import_batch_id"]) + list(consultations["import_batch_id"]))
    if suppress:
        return Report(analysis.suppressed(figures), per_dsl.iloc[0:0])
    return Report(figures, per_dsl)


# -- demand -----------------------------------------------------------------------------------


def demand() -> dict:
    """Contacts and referrals by source and method, schools' share of telephone contacts and
    contacts per pupil by school, over every MASH record imported."""
    kinds = (MashRecord.source, MashRecord.method, MashRecord.classification)
    # Counted in the database: a few dozen rows by source and method, one row per school.
    by_kind = _frame(select(*kinds, func.count()).group_by(*kinds), ["source", "method", "classification", "records"])
    by_school = _frame(select(MashRecord.school_urn, func.count())
                       .where(MashRecord.classification == analysis.CONTACT, MashRecord.school_urn.is_not(None))
                       .group_by(MashRecord.school_urn), ["school_urn", "records"])
    schools = _frame(select(School.urn, School.name, School.pupils), ["urn", "name", "pupils"])
    span = db.session.execute(select(func.min(MashRecord.received_at), func.max(MashRecord.received_at))).one()
    return {"records": int(by_kind["records"].sum()), "first": span[0], "last": span[1],
            **analysis.by_source_and_method(by_kind),
            "telephone": analysis.telephone_share(by_kind),
            "per_pupil": analysis.contacts_per_pupil(by_school.assign(classification=analysis.CONTACT), schools)}

