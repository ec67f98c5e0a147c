"""Randomised allocation of schools to arms or waves, stratified and seeded. Pure: a register in, an
allocation out; no Flask, no database. docs/formats.md ("Trials") describes the algorithm so that
anyone can reproduce an allocation from its seed and the register.

Algorithm ``stratified-permuted-deal``, version 1:

1. Each school's stratum key is the list of its values of the chosen strata, in the order district,
   phase, size_band (a missing value is ""). Strata are taken in ascending order of their keys.
2. One generator, ``numpy.random.Generator(numpy.random.PCG64(seed))``, serves the whole draw. Its
   first draw, ``integers(K)`` (K arms), picks the arm the deal starts with.
3. In each stratum in turn, its schools are sorted by URN and the generator's ``permutation(n)``
   gives the order in which they are dealt: the i-th school dealt is the one at position
   ``permutation[i]`` of the URN-sorted list. Schools are dealt arms in turn (arm 1, arm 2, ...,
   arm K, arm 1, ...), and the next stratum carries on from the arm after the last one dealt.

Dealing in turn keeps every stratum's arms within one school of each other; carrying the deal on
from stratum to stratum does the same for the arms' totals. Every school has the same chance,
1/K, of each arm: its place in its stratum's deal is uniform, and so is the arm the deal starts with.
"""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pandas as pd

ALGORITHM = "stratified-permuted-deal"
ALGORITHM_VERSION = 1
STRATA = ("district", "phase", "size_band")
# Size bands by pupils on roll: (label, fewest pupils); a school takes the last band it reaches.
SIZE_BANDS = (("under 200", 0), ("200 to 599", 200), ("600 or more", 600))
MAX_SEED = 2 ** 31 - 1
MAX_ARMS = 12
ARM_NAME_LENGTH = 40
MISSING_LABEL = "(none)"
ALL_SCHOOLS = "all schools"
REGISTER_COLUMNS = ("urn", "district", "phase", "pupils")


class AllocationError(ValueError):
    """A request the algorithm cannot carry out, with a one-line message and the input it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def size_band(pupils) -> pd.Series:
    """Each school's size band (SIZE_BANDS) from its pupils on roll."""
    pupils = pd.Series(pupils, dtype="int64")
    edges = [low for _label, low in SIZE_BANDS]
    index = np.searchsorted(edges, pupils.to_numpy(), side="right") - 1
    return pd.Series(np.array([label for label, _low in SIZE_BANDS], dtype=object)[index], index=pupils.index)


def parse_strata(text: str | None) -> list[str]:
    """``district,phase`` as the canonical list of strata (in STRATA's order); empty for none."""
    names = [part.strip().lower() for part in (text or "").split(",") if part.strip()]
    unknown = [name for name in names if name not in STRATA]
    if unknown:
        raise AllocationError(f"Unknown stratum {', '.join(repr(n) for n in unknown)}: choose from "
                              f"{', '.join(STRATA)}", "strata")
    if len(set(names)) != len(names):
        raise AllocationError("Name each stratum once", "strata")
    return [name for name in STRATA if name in names]


ARM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$")


def parse_arms(text: str | None, what: str = "arm") -> list[str]:
    """``control,intervention`` as a list of arm names, checked; ``what``: "arm" or "wave", for the
    messages (the field is ``arms`` or ``waves``)."""
    field = f"{what}s"
    arms = [part.strip() for part in (text or "").split(",") if part.strip()]
    if not 2 <= len(arms) <= MAX_ARMS:
        raise AllocationError(f"Give between 2 and {MAX_ARMS} {what}s, separated by commas", field)
    if len({arm.lower() for arm in arms}) != len(arms):
        raise AllocationError(f"Give each {what} a different name", field)
    for arm in arms:
        if len(arm) > ARM_NAME_LENGTH or not ARM_NAME.match(arm):
            raise AllocationError(f"{arm!r} cannot name a {what}: use at most {ARM_NAME_LENGTH} letters, digits, "
                                  "spaces, dots, hyphens or underscores, starting with a letter or digit", field)
    return arms


def parse_waves(text: str | None) -> list[str]:
    """A stepped wedge's waves, in the order they are trained: a number K (``wave 1`` to ``wave K``)
    or names separated by commas, such as ``autumn-2027,spring-2028,summer-2028``."""
    text = (text or "").strip()
    if text.isdigit():
        count = int(text)
        if not 2 <= count <= MAX_ARMS:
            raise AllocationError(f"A stepped wedge has between 2 and {MAX_ARMS} waves", "waves")
        return [f"wave {n}" for n in range(1, count + 1)]
    return parse_arms(text, "wave")


def check_seed(seed) -> int:
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise AllocationError(f"The seed must be a whole number from 0 to {MAX_SEED:,}", "seed")
    return seed


def register_checksum(register: pd.DataFrame) -> str:
    """SHA-256 (hex) of what the algorithm reads of the register: the JSON array, sorted by URN, of
    ``[urn, district, phase, pupils]`` per school (null for a missing value), with no spaces and
    non-ASCII characters escaped."""
    rows = register.sort_values("urn")[list(REGISTER_COLUMNS)]
    values = [[int(urn), _text_or_none(district), _text_or_none(phase), int(pupils)]
              for urn, district, phase, pupils in rows.itertuples(index=False)]
    return hashlib.sha256(json.dumps(values, separators=(",", ":")).encode("ascii")).hexdigest()


def _text_or_none(value):
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _strata_of(schools: pd.DataFrame, strata: list[str]) -> list[tuple]:
    """Each school's stratum key: its values of ``strata`` as a tuple of text, a missing value as ""."""
    if not strata:
        return [()] * len(schools)
    columns = [[_text_or_none(value) or "" for value in schools[name].tolist()] for name in strata]
    return list(zip(*columns))


def _label(key: tuple) -> str:
    return " / ".join(value or MISSING_LABEL for value in key) if key else ALL_SCHOOLS


def deal(keys: list[tuple], arms: int, seed: int) -> np.ndarray:
    """The arm (0 for the first) of each school, given each school's stratum key in URN order: steps 2
    and 3 of the algorithm."""
    members: dict[tuple, list[int]] = {}
    for position, key in enumerate(keys):
        members.setdefault(key, []).append(position)
    dealt = np.zeros(len(keys), dtype="int64")
    rng = np.random.Generator(np.random.PCG64(seed))
    offset = int(rng.integers(arms))
    for key in sorted(members):
        rows = np.array(members[key])
        order = rng.permutation(len(rows))
        dealt[rows[order]] = (offset + np.arange(len(rows))) % arms
        offset = (offset + len(rows)) % arms
    return dealt


def allocate(register: pd.DataFrame, strata: list[str], arms: list[str], seed: int) -> pd.DataFrame:
    """Every school of ``register`` (urn, district, phase, pupils, fsm_percent) in one arm.

    Returns the register sorted by URN with ``size_band``, ``stratum`` (its label), ``arm`` and
    ``arm_index`` (1 for the first arm).
    """
    check_seed(seed)
    if len(register) < len(arms):
        raise AllocationError(f"There are {len(register)} schools on the register, fewer than the {len(arms)} arms "
                              "or waves", "arms")
    schools = register.assign(size_band=size_band(register["pupils"])).sort_values("urn").reset_index(drop=True)
    keys = _strata_of(schools, strata)
    dealt = deal(keys, len(arms), seed)
    labels = {key: _label(key) for key in set(keys)}
    schools["stratum"] = [labels[key] for key in keys]
    schools["arm_index"] = dealt + 1
    schools["arm"] = np.array(arms, dtype=object)[dealt]
    return schools


def arm_sizes(allocation: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """Schools in each arm by stratum (strata as rows, arms as columns, a total row last)."""
    table = allocation.groupby(["stratum", "arm"]).size().unstack(fill_value=0)
    table = table.reindex(columns=arms, fill_value=0).sort_index()
    table.loc["all strata"] = table.sum()
    return table


def arm_balance(allocation: pd.DataFrame, arms: list[str]) -> list[dict]:
    """How alike each arm's schools are to the first arm's: for every other arm, the outcome
    report's balance table (cohorts.analysis.balance: means, SDs and standardised mean differences
    of pupils, FSM % and phase), with the first arm in the place of the comparison group and the
    other arm in the place of the treatment group. One row per school: the school is the unit
    randomised."""
    from cohorts.analysis import COMPARISON, TREATMENT, balance

    reference = arms[0]
    out = []
    for arm in arms[1:]:
        pair = allocation[allocation["arm"].isin([reference, arm])]
        frame = pd.DataFrame({"group": np.where(pair["arm"] == arm, TREATMENT, COMPARISON),
                              "pupils": pair["pupils"], "fsm_percent": pair["fsm_percent"],
                              "phase": pair["phase"]})
        out.append({"arm": arm, "reference": reference, "rows": balance(frame)})
    return out
