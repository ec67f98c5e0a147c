"""A seeded, national-scale data set in the import formats, for the benchmarks.

``scale=1.0`` gives 25,000 schools, 60,000 DSLs, 4,000 sessions, 120,000 attendances,
1,000,000 MASH records and 200,000 Early Help consultations; smaller scales shrink every count
by the same factor. The same seed always writes the same files.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

FULL = {"schools": 25_000, "dsls": 60_000, "sessions": 4_000, "attendances": 120_000,
        "contacts": 1_000_000, "early_help": 200_000}
PHASES = np.array(["Primary", "Secondary", "Special", "Nursery", "All-through", "Alternative provision", "Post-16"])
PHASE_SHARE = np.array([0.72, 0.16, 0.05, 0.02, 0.02, 0.02, 0.01])
SOURCES = np.array(["School", "Police", "Health", "Local authority", "Family", "Anonymous", "Other"])
SOURCE_SHARE = np.array([0.25, 0.23, 0.18, 0.12, 0.10, 0.05, 0.07])
METHODS = np.array(["Telephone", "Email", "Online form", "Letter"])
OUTCOMES = np.array(["NFA", "Early Help", "Social care assessment", "Strategy discussion", "Signposted"])
COURSES = np.array(["induction", "refresher", "kcsie-update"])


@dataclass(frozen=True)
class Sizes:
    schools: int
    dsls: int
    sessions: int
    attendances: int
    contacts: int
    early_help: int

    @classmethod
    def at(cls, scale: float) -> "Sizes":
        return cls(**{k: max(10, int(round(v * scale))) for k, v in FULL.items()})


def generate(out: Path, scale: float = 1.0, seed: int = 2020) -> Sizes:
    """Write schools.csv, dsls.csv, attendance.csv, contacts.csv and early-help.csv into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    sizes = Sizes.at(scale)
    rng = np.random.default_rng(seed)

    urns = 100_000 + np.arange(sizes.schools) * 7 + rng.integers(0, 7, sizes.schools)
    phase = rng.choice(PHASES, sizes.schools, p=PHASE_SHARE)
    pupils = np.where(phase == "Secondary", rng.integers(500, 1900, sizes.schools), rng.integers(30, 650, sizes.schools))
    schools = pd.DataFrame({
        "urn": urns,
        "name": [f"School {u}" for u in urns],
        "pupils": pupils,
        "fsm_percent": np.round(np.clip(rng.lognormal(2.6, 0.5, sizes.schools), 0, 100), 1),
        "phase": phase,
        "district": np.char.add("District ", (np.arange(sizes.schools) % 300).astype(str)),
    })
    schools.to_csv(out / "schools.csv", index=False)

    dsl_school = rng.integers(0, sizes.schools, sizes.dsls)
    emails = np.char.add(np.char.add("dsl", np.arange(sizes.dsls).astype(str)), "@school.example.org")
    dsls = pd.DataFrame({
        "email": emails,
        "name": [f"Person {i}" for i in range(sizes.dsls)],
        "school_urn": urns[dsl_school],
        "role": np.where(rng.random(sizes.dsls) < 0.4, "DSL", "Deputy DSL"),
    })
    dsls.to_csv(out / "dsls.csv", index=False)

    session_days = pd.Timestamp("2019-09-02") + pd.to_timedelta(rng.integers(0, 3 * 365, sizes.sessions), unit="D")
    session_course = rng.choice(COURSES, sizes.sessions, p=[0.3, 0.5, 0.2])
    session_code = np.char.add("S", np.arange(sizes.sessions).astype(str))
    pairs = rng.choice(sizes.sessions * sizes.dsls, size=sizes.attendances, replace=False) if sizes.sessions * sizes.dsls < 2**31 \
        else np.unique(rng.integers(0, sizes.sessions * sizes.dsls, int(sizes.attendances * 1.01)))[:sizes.attendances]
    att_session, att_dsl = np.divmod(pairs, sizes.dsls)
    attendance = pd.DataFrame({
        "course": session_course[att_session],
        "session_date": session_days[att_session].strftime("%Y-%m-%d"),
        "email": emails[att_dsl],
        "status": rng.choice(np.array(["attended", "partial", "absent"]), len(pairs), p=[0.85, 0.05, 0.10]),
        "session_code": session_code[att_session],
    })
    attendance.to_csv(out / "attendance.csv", index=False)

    received = pd.Timestamp("2020-09-01") + pd.to_timedelta(rng.integers(0, 365 * 24 * 60, sizes.contacts), unit="min")
    source = rng.choice(SOURCES, sizes.contacts, p=SOURCE_SHARE)
    from_school = source == "School"
    linked = from_school & (rng.random(sizes.contacts) < 0.9)
    referrer_dsl = rng.integers(0, sizes.dsls, sizes.contacts)
    uk_style = rng.random(sizes.contacts) < 0.5
    contacts = pd.DataFrame({
        "contact_id": np.char.add("MASH-", np.arange(1, sizes.contacts + 1).astype(str)),
        "received_at": np.where(uk_style, received.strftime("%d/%m/%Y %H:%M"), received.strftime("%Y-%m-%dT%H:%M")),
        "source": source,
        "method": rng.choice(METHODS, sizes.contacts, p=[0.55, 0.2, 0.2, 0.05]),
        "classification": np.where(rng.random(sizes.contacts) < 0.6, "contact", "referral"),
        "referrer_email": np.where(linked, emails[referrer_dsl], ""),
        "school_urn": np.where(from_school, urns[dsl_school[referrer_dsl]].astype(str), ""),
        "outcome": rng.choice(OUTCOMES, sizes.contacts),
    })
    contacts.to_csv(out / "contacts.csv", index=False)

    eh_day = pd.Timestamp("2020-09-01") + pd.to_timedelta(rng.integers(0, 365, sizes.early_help), unit="D")
    eh_dsl = rng.integers(0, sizes.dsls, sizes.early_help)
    early_help = pd.DataFrame({
        "consultation_id": np.char.add("EH-", np.arange(1, sizes.early_help + 1).astype(str)),
        "date": eh_day.strftime("%Y-%m-%d"),
        "school_urn": urns[dsl_school[eh_dsl]],
        "referrer_email": np.where(rng.random(sizes.early_help) < 0.7, emails[eh_dsl], ""),
    })
    early_help.to_csv(out / "early-help.csv", index=False)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args()
    print(generate(args.out, args.scale, args.seed))


if __name__ == "__main__":
    main()
