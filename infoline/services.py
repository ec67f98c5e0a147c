"""Recording Infoline calls, the topics list, and the figures behind the Infoline page and the
outcome report. Functions flush, never commit."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import func, or_, select

from cohorts import services as cohorts
from core import audit
from core.extensions import db
from core.frames import query_frame
from core.timefmt import london_to_utc, today_london, utcnow
from courses.services import attended_frame
from infoline import analysis
from infoline.models import ADVICE, TOPIC_LENGTH, InfolineCall, InfolineTopic
from people.models import Dsl, School

CALLERS_SHOWN = 10
SCHOOLS_LISTED = 2000  # the search box's list of school names (a datalist, no script)


class InfolineError(ValueError):
    """A request that cannot be carried out, with a message for the person and the field it is about."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


# -- finding the caller ---------------------------------------------------------------------------


def find_callers(query: str, limit: int = CALLERS_SHOWN) -> tuple[list[Dsl], list[School]]:
    """DSLs whose name, email or school matches ``query``, and schools whose name or URN does."""
    text = (query or "").strip().lower()
    if len(text) < 2:
        return [], []
    like = f"%{text}%"
    dsls = list(db.session.scalars(select(Dsl).join(Dsl.school).where(
        or_(func.lower(Dsl.name).like(like), Dsl.email.like(like), func.lower(School.name).like(like)))
        .order_by(Dsl.name, Dsl.email).limit(limit)))
    school_match = func.lower(School.name).like(like)
    if text.isdigit():
        school_match = or_(school_match, School.urn == int(text))
    schools = list(db.session.scalars(select(School).where(school_match).order_by(School.name).limit(limit)))
    for dsl in dsls:  # a DSL found by their school's name brings the school too, for someone else there
        if dsl.school not in schools and len(schools) < limit and text in dsl.school.name.lower():
            schools.append(dsl.school)
    return dsls, schools


def school_names() -> list[str]:
    """School names for the search box's suggestions."""
    return list(db.session.scalars(select(School.name).order_by(School.name).limit(SCHOOLS_LISTED)))


def dsl_by_id(dsl_id: int) -> Dsl | None:
    return db.session.get(Dsl, dsl_id)


def school_by_urn(urn: int) -> School | None:
    return db.session.scalar(select(School).where(School.urn == urn))


# -- topics -----------------------------------------------------------------------------------------


def topics() -> list[InfolineTopic]:
    return list(db.session.scalars(select(InfolineTopic).order_by(InfolineTopic.name)))


def active_topics() -> list[str]:
    return list(db.session.scalars(select(InfolineTopic.name).where(InfolineTopic.active)
                                   .order_by(InfolineTopic.name)))


def add_topic(name: str) -> InfolineTopic:
    name = " ".join((name or "").split())
    if not name:
        raise InfolineError("Enter the topic's name", "name")
    if len(name) > TOPIC_LENGTH:
        raise InfolineError(f"The topic's name must be {TOPIC_LENGTH} characters or fewer", "name")
    if db.session.scalar(select(InfolineTopic).where(func.lower(InfolineTopic.name) == name.lower())):
        raise InfolineError(f"There is already a topic called {name}", "name")
    topic = InfolineTopic(name=name, active=True)
    db.session.add(topic)
    db.session.flush()
    audit.record("infoline.topic.created", object_type="infoline_topic", object_id=topic.id, new={"name": name})
    return topic


def set_topic_active(topic: InfolineTopic, active: bool) -> None:
    if topic.active == active:
        return
    topic.active = active
    db.session.flush()
    audit.record("infoline.topic.changed", object_type="infoline_topic", object_id=topic.id,
                 old={"active": not active}, new={"active": active})


# -- recording a call ---------------------------------------------------------------------------------


def record_call(*, dsl: Dsl | None, school: School | None, advice: str, topic: str | None,
                duration_minutes: int | None, recorded_by_id: int | None, received_at: datetime | None = None
                ) -> InfolineCall:
    """Store one call: from ``dsl`` (on the register) or from someone at ``school``."""
    if advice not in ADVICE:
        raise InfolineError("Choose the advice given", "advice")
    if dsl is None and school is None:
        raise InfolineError("Choose who called, or the school they called from", "caller")
    if topic and topic not in active_topics():
        raise InfolineError("Choose a topic from the list", "topic")
    if duration_minutes is not None and duration_minutes < 0:
        raise InfolineError("The duration must be 0 minutes or more", "duration")
    call = InfolineCall(received_at=received_at or utcnow(), advice=advice, topic=topic or None,
                        duration_minutes=duration_minutes, recorded_by_id=recorded_by_id,
                        caller_email=dsl.email if dsl else None, dsl_id=dsl.id if dsl else None,
                        school_urn=(dsl.school.urn if dsl else school.urn))
    db.session.add(call)
    db.session.flush()
    return call


REMOVABLE_FOR = timedelta(hours=24)


def removable_call(call_id: int, recorded_by_id: int) -> InfolineCall | None:
    """A call this adviser recorded on the page in the last day, which they may take back; None otherwise."""
    return db.session.scalar(select(InfolineCall).where(
        InfolineCall.id == call_id, InfolineCall.recorded_by_id == recorded_by_id,
        InfolineCall.import_batch_id.is_(None), InfolineCall.created_at >= utcnow() - REMOVABLE_FOR))


def remove_call(call: InfolineCall) -> None:
    """Take back a call recorded by mistake, keeping what it said in the audit trail."""
    old = {"received_at": call.received_at, "advice": call.advice, "school_urn": call.school_urn,
           "dsl_id": call.dsl_id, "topic": call.topic, "duration_minutes": call.duration_minutes}
    audit.record("infoline.call.removed", object_type="infoline_call", object_id=call.id, old=old)
    db.session.delete(call)
    db.session.flush()


def recent_calls(recorded_by_id: int, limit: int = 5) -> list[tuple[InfolineCall, str]]:
    """The last calls this adviser recorded, with who called, to check what was just saved."""
    rows = db.session.execute(
        select(InfolineCall, Dsl.name, School.name).outerjoin(Dsl, Dsl.id == InfolineCall.dsl_id)
        .outerjoin(School, School.urn == InfolineCall.school_urn)
        .where(InfolineCall.recorded_by_id == recorded_by_id)
        .order_by(InfolineCall.received_at.desc(), InfolineCall.id.desc()).limit(limit)).all()
    return [(call, dsl_name or f"Someone at {school_name or 'an unknown school'}") for call, dsl_name, school_name
            in rows]


# -- figures ---------------------------------------------------------------------------------------------


def calls_frame(start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Every call received in [start, end] (London dates; either end may be open)."""
    statement = select(InfolineCall.received_at, InfolineCall.advice, InfolineCall.topic, InfolineCall.school_urn,
                       InfolineCall.dsl_id, InfolineCall.duration_minutes)
    if start is not None:
        statement = statement.where(InfolineCall.received_at >= london_to_utc(start, time(0)))
    if end is not None:
        statement = statement.where(InfolineCall.received_at < london_to_utc(end + timedelta(days=1), time(0)))
    frame = query_frame(statement, ["received_at", "advice", "topic", "school_urn", "dsl_id", "duration_minutes"])
    return frame.astype({"school_urn": "Int64", "dsl_id": "Int64", "duration_minutes": "Int64"})


def register_frame() -> pd.DataFrame:
    """Every DSL on the register with their school and the first day they attended training."""
    dsls = query_frame(select(Dsl.id, School.urn).join(School, School.id == Dsl.school_id), ["dsl_id", "school_urn"])
    attended = attended_frame()
    training = attended[attended["renews"] == "training"]
    first = training.groupby("dsl_id")["day"].min().rename("trained_on")
    dsls = dsls.astype({"dsl_id": "int64"}) if len(dsls) else dsls
    return dsls.merge(first, left_on="dsl_id", right_index=True, how="left")


def schools_frame() -> pd.DataFrame:
    return query_frame(select(School.urn, School.name, School.phase, School.district),
                       ["urn", "name", "phase", "district"])


def figures(start: date | None = None, end: date | None = None) -> dict:
    """Every table of the Infoline page, over the calls (and MASH records) received in [start, end]
    (London dates; either end may be open). DSLs count as trained by ``end`` (or today)."""
    on = min(end, today_london()) if end else today_london()
    return analysis.figures(calls_frame(start, end), register_frame(), schools_frame(),
                            cohorts.mash_by_school(start, end), on)


def calls_by_month() -> pd.DataFrame:
    """Infoline calls by London month, for the demand page: month, count."""
    counts = cohorts.hourly_counts(InfolineCall.received_at)
    if counts.empty:
        return pd.DataFrame({"month": pd.Series(dtype=str), "count": pd.Series(dtype="int64")})
    months = analysis.london_months(counts["hour"])
    return counts.groupby(months)["count"].sum().rename_axis("month").reset_index()


def report_section(cohort, per_dsl: pd.DataFrame, replica: bool) -> dict:
    """The outcome report's ``infoline`` block: calls linked by the caller's email, on each member's
    days at risk."""
    counts = cohorts.counts_on_days_at_risk(cohort, InfolineCall.received_at, InfolineCall.dsl_id, replica=replica)
    rows = per_dsl.merge(counts.rename(columns={"events": "calls"}), on="dsl_id", how="left")
    rows["calls"] = rows["calls"].fillna(0).astype("int64")
    return analysis.report_block(rows)


def suppress_section(block: dict) -> None:
    """The block fit for publication, in place, by the outcome report's own rule (cohorts.disclosure):
    counts published as "c" or rounded to 5, and each mean, the rate ratio and its interval worked
    out again from the published counts."""
    from cohorts import disclosure

    analysis.suppress_block(block, disclosure)
