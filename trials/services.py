"""Trials: the power page's starting values, allocations of schools, analysis plans. Functions
flush, never commit.

Schools and DSLs come through people's services, cohorts and MASH records through cohorts'.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.bulk import bulk_insert
from core.extensions import db
from people import services as people
from trials import allocation as algorithm
from trials.models import TrialAllocation, TrialAllocationSchool

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
NAME_LENGTH = 100
REGISTER_COLUMNS = ("urn", "name", "district", "phase", "pupils", "fsm_percent")
UNIT_COLUMNS = ("school_urn", "district", "phase", "pupils", "fsm_percent", "size_band", "stratum", "arm", "wave")
# What `trials show` and the allocation's CSV give for each school.
SHOW_COLUMNS = ("urn", "stratum", "arm", "wave", "district", "phase", "size_band", "pupils")
# The address list trainers download for an arm or wave.
ADDRESS_COLUMNS = ("name", "email", "role", "school_urn", "school_name", "arm", "wave")
ARM_PAGE_SIZE = 100
BASELINE_DECIMALS = 3
DISPERSION_DECIMALS = 2


def power_defaults() -> dict:
    """Starting values for the power page: the latest cohort's mean contacts per DSL in its
    comparison group and the dispersion (alpha) of its unadjusted negative binomial model, and the
    register's DSLs per school. A figure that is not known is None."""
    from cohorts import services as cohorts

    out = {"alpha": 0.05, "power": 0.8, "baseline": None, "dispersion": None, "cohort": None,
           "dsls_per_school": None}
    schools, dsls = people.register_counts()
    if schools:
        out["dsls_per_school"] = dsls / schools
    listed = cohorts.all_cohorts()
    if not listed:
        return out
    cohort = listed[0][0]
    figures = cohorts.cohort_report(cohort).figures
    mean = figures["groups"]["comparison"]["mean_contacts"]
    dispersion = figures["models"]["unadjusted"]["alpha"]
    out["cohort"] = cohort.name
    if mean is not None and mean > 0:
        out["baseline"] = round(mean, BASELINE_DECIMALS)
    if dispersion is not None and dispersion >= 0:
        out["dispersion"] = round(dispersion, DISPERSION_DECIMALS)
    return out


# -- allocations ------------------------------------------------------------------------------


class TrialError(ValueError):
    """A request about a trial that cannot be carried out, with a one-line message and the input
    it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@cache
def app_version() -> str:
    """The version in pyproject.toml, recorded with each allocation."""
    with PYPROJECT.open("rb") as file:
        return tomllib.load(file)["project"]["version"]


def register_frame() -> pd.DataFrame:
    """Every school on the register as the allocation reads it, in URN order."""
    rows = people.school_register()
    frame = pd.DataFrame([tuple(row) for row in rows], columns=list(REGISTER_COLUMNS))
    return frame.astype({"urn": "int64", "pupils": "int64", "fsm_percent": "float64"})


def all_allocations() -> list[TrialAllocation]:
    return list(db.session.scalars(select(TrialAllocation).order_by(TrialAllocation.created_at.desc(),
                                                                   TrialAllocation.id.desc())))


def allocation_by_name(name: str) -> TrialAllocation | None:
    return db.session.scalar(select(TrialAllocation).where(TrialAllocation.name == name))


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise TrialError("Enter a name for the allocation", "name")
    if len(name) > NAME_LENGTH:
        raise TrialError(f"The name must be {NAME_LENGTH} characters or fewer", "name")
    if allocation_by_name(name) is not None:
        raise TrialError(f"There is already an allocation called {name}, and an allocation is never changed: "
                         "choose another name", "name")
    return name


def create_allocation(name: str, strata: list[str], arms: list[str], seed: int, *, design: str = "parallel",
                      user_id: int | None = None, source: str = "cli") -> TrialAllocation:
    """Randomise every school on the register to ``arms`` within ``strata`` and store the result
    for good, with what it takes to reproduce it."""
    name = _check_name(name)
    register = register_frame()
    if register.empty:
        raise TrialError("There are no schools on the register to allocate")
    try:
        drawn = algorithm.allocate(register, strata, arms, seed)
    except algorithm.AllocationError as error:
        raise TrialError(str(error), error.field) from error
    record = TrialAllocation(name=name, design=design, arms=list(arms), strata=list(strata), seed=seed,
                             algorithm=algorithm.ALGORITHM, algorithm_version=algorithm.ALGORITHM_VERSION,
                             app_version=app_version(), register_sha256=algorithm.register_checksum(register),
                             schools=len(drawn), source=source, created_by_id=user_id)
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except IntegrityError as error:  # another allocation took the name a moment ago
        raise TrialError(f"There is already an allocation called {name}: choose another name", "name") from error
    units = drawn.rename(columns={"urn": "school_urn"}).assign(
        allocation_id=record.id, wave=drawn["arm_index"] if design == "stepped-wedge" else None)
    bulk_insert(TrialAllocationSchool.__table__, units, ["allocation_id", *UNIT_COLUMNS])
    db.session.flush()
    return record


def allocation_frame(record: TrialAllocation) -> pd.DataFrame:
    """The allocation's schools as stored, in URN order."""
    rows = db.session.execute(select(*(getattr(TrialAllocationSchool, c) for c in UNIT_COLUMNS))
                              .where(TrialAllocationSchool.allocation_id == record.id)
                              .order_by(TrialAllocationSchool.school_urn)).all()
    frame = pd.DataFrame([tuple(row) for row in rows], columns=list(UNIT_COLUMNS))
    return frame.rename(columns={"school_urn": "urn"})


def reproduces(record: TrialAllocation, frame: pd.DataFrame | None = None) -> bool:
    """Whether drawing again from the stored seed and the register as stored gives the stored arms."""
    if record.algorithm != algorithm.ALGORITHM or record.algorithm_version != algorithm.ALGORITHM_VERSION:
        return False
    frame = allocation_frame(record) if frame is None else frame
    again = algorithm.allocate(frame[["urn", "district", "phase", "pupils", "fsm_percent"]], record.strata,
                               record.arms, record.seed)
    return (algorithm.register_checksum(frame) == record.register_sha256
            and again["arm"].tolist() == frame["arm"].tolist() and again["stratum"].tolist() == frame["stratum"].tolist())


def allocation_summary(record: TrialAllocation) -> dict:
    """What the allocation page shows: arm sizes by stratum, the balance of the arms, whether the
    draw reproduces, and who made it."""
    frame = allocation_frame(record)
    author = people.user_by_id(record.created_by_id) if record.created_by_id else None
    return {"sizes": algorithm.arm_sizes(frame, record.arms), "balance": algorithm.arm_balance(frame, record.arms),
            "reproduces": reproduces(record, frame), "author": author.name if author else None}


def allocation_rows(record: TrialAllocation) -> list[dict]:
    """One dict per school (SHOW_COLUMNS), in URN order: what ``trials show`` and the CSV give."""
    frame = allocation_frame(record)
    frame["wave"] = frame["wave"].astype(object).where(frame["wave"].notna(), None)
    return [{column: _plain(row[column]) for column in SHOW_COLUMNS} for row in frame.to_dict("records")]


def _plain(value):
    """A value as JSON wants it: numpy numbers become Python numbers, missing values None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


# -- from allocation to invitation and analysis -----------------------------------------------


def _urns_in(record: TrialAllocation, arm: str | None = None):
    """A SELECT of the URNs in ``record`` (in ``arm`` when given), for people's services to join on."""
    statement = select(TrialAllocationSchool.school_urn).where(TrialAllocationSchool.allocation_id == record.id)
    return statement.where(TrialAllocationSchool.arm == arm) if arm is not None else statement


def school_arms(record: TrialAllocation) -> pd.DataFrame:
    """Each school's arm (and wave, in a stepped wedge): ``school_urn``, ``arm``, ``wave``."""
    return allocation_frame(record).rename(columns={"urn": "school_urn"})[["school_urn", "arm", "wave"]]


def dsl_arms(record: TrialAllocation) -> pd.DataFrame:
    """Each DSL now on the register at an allocated school, in their school's arm (and wave):
    ``dsl_id``, ``school_urn``, ``arm``, ``wave``. The school is the unit randomised, so a DSL who
    moves school moves arm; a school added to the register after the draw has no arm."""
    rows = people.dsls_at_schools(_urns_in(record))
    dsls = pd.DataFrame([(row.dsl_id, row.school_urn) for row in rows], columns=["dsl_id", "school_urn"])
    dsls = dsls.astype({"dsl_id": "int64", "school_urn": "int64"})
    return dsls.merge(school_arms(record), on="school_urn", how="inner").sort_values("dsl_id").reset_index(drop=True)


def invitable_arms(record: TrialAllocation) -> list[str]:
    """The arms whose DSLs are to be trained: every wave of a stepped wedge; in a parallel trial every
    arm after the first (the comparison arm, whose DSLs are not invited)."""
    return list(record.arms) if record.design == "stepped-wedge" else list(record.arms[1:])


def arm_overview(record: TrialAllocation) -> list[dict]:
    """Each arm in order with its number (1 for the first), its schools and DSLs, and whether its
    DSLs are to be invited."""
    dsls = dsl_arms(record)["arm"].value_counts()
    schools = school_arms(record)["arm"].value_counts()
    invited = set(invitable_arms(record))
    return [{"number": number, "arm": arm, "schools": int(schools.get(arm, 0)), "dsls": int(dsls.get(arm, 0)),
             "invited": arm in invited} for number, arm in enumerate(record.arms, start=1)]


def invited_arm(record: TrialAllocation, number: int) -> str | None:
    """The arm numbered ``number`` (1 for the first) if its DSLs are to be invited, else None."""
    if not 1 <= number <= len(record.arms):
        return None
    arm = record.arms[number - 1]
    return arm if arm in invitable_arms(record) else None


def arm_dsl_page(record: TrialAllocation, arm: str, page: int = 1):
    """A page of the DSLs (with their schools) now on the register at the schools of ``arm``."""
    return people.dsl_page_at_schools(_urns_in(record, arm), page, ARM_PAGE_SIZE)


def arm_addresses(record: TrialAllocation, arm: str) -> list[dict]:
    """Who to invite from ``arm``: one row per DSL (ADDRESS_COLUMNS), by school then name."""
    wave = record.arms.index(arm) + 1 if record.design == "stepped-wedge" else None
    return [{"name": row.name, "email": row.email, "role": row.role, "school_urn": row.school_urn,
             "school_name": row.school_name, "arm": arm, "wave": wave}
            for row in people.dsls_at_schools(_urns_in(record, arm))]
