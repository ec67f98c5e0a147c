"""An attack on a published outcome report: can a suppressed or rounded count be worked out again?

The report's own test of its disclosure control. Given the figures of one published report, read
from any format (the JSON's dict, the long table of the CSV or the XLSX, or text read back from a
PDF or a page), it searches exhaustively over every count's possible true values: 1 to 4 for a
``"c"`` (more if a second suppression may hide a larger count), the published count give or take 2
for a rounded one. A set of values survives when it keeps every sum that holds between the counts
(contacts + referrals = records, the DSLs of a group = those with days at risk + those without, ...)
and reproduces every figure worked out from the counts at the precision it was published to.

Figures can have been worked out in one of two ways: from the published counts (the rule), or from
the true counts (the old leak: "985 DSLs" with a mean to many places gives back 984). The attacker
does not need to know which: a way that no set of values reproduces is ruled out, and the values
that survive under any remaining way are the candidates. A count is disclosed when it has one
candidate left (a published 0 is exact by design and is not counted).

Pure, no Flask. Use :func:`attack_figures` for a report dict and :func:`attack_table` for rows of
(section, measure, group, value) from any format.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cohorts import disclosure, tidy
from cohorts.disclosure import C
from cohorts.estimators import COMPARISON, GROUPS, TREATMENT

Cell = tuple[str, str, str]


# -- reading values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """A figure as published: a number, "c" or None, and the decimal places it was shown to (None:
    to full precision)."""

    value: object
    places: int | None = None


NUMBER = re.compile(r"^[£]?(-?[\d,]*\.?\d+)%?$")


def read_value(raw) -> Published:
    """A published value from whatever a format gave: 12, 0.5736, "c", "21.0%", "£1,234.50", "" or NaN."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return Published(None)
    if isinstance(raw, bool):
        return Published(None)
    if isinstance(raw, (int, float)):
        return Published(raw)
    text = str(raw).strip()
    if text == C:
        return Published(C)
    found = NUMBER.match(text.replace(" ", ""))
    if not found:
        return Published(None)
    digits = found[1].replace(",", "")
    places = len(digits.split(".")[1]) if "." in digits else 0
    number = float(digits)
    return Published(int(number) if places == 0 else number, places)


def is_count(cell: Cell) -> bool:
    section, key, group = cell
    if section == "groups":
        return key in disclosure.GROUP_COUNTS
    if section == "linkage":
        return True
    if key.startswith(("band:", "month:")) or key.endswith(":n") or key in ("effective_comparison_dsls",
                                                                             "dsls_without_days_at_risk"):
        return True
    if group:
        return key in disclosure.BLOCK_GROUP_COUNTS.get(section, ())
    return key in disclosure.BLOCK_COUNTS.get(section, ())


# -- figures worked out from counts ------------------------------------------------------------


def _rates(et, dt, ec, dc):
    return (et / dt) / (ec / dc)


def _group_formulas(g: str) -> list[tuple[Cell, tuple[Cell, ...], object]]:
    def cell(key):
        return ("groups", key, g)
    n, w, calls, contacts, referrals = (cell(k) for k in ("n", "dsls_with_contact", "calls", "contacts", "referrals"))
    return [(cell("pct_with_contact"), (w, n), lambda a, b: 100 * a / b),
            (cell("pct_without_contact"), (w, n), lambda a, b: 100 * (b - a) / b),
            (cell("mean_contacts"), (contacts, n), lambda a, b: a / b),
            (cell("mean_referrals"), (referrals, n), lambda a, b: a / b),
            (cell("contact_referral_ratio"), (contacts, referrals), lambda a, b: a / b),
            (cell("pct_calls_contacts"), (contacts, calls), lambda a, b: 100 * a / b),
            (cell("pct_calls_referrals"), (referrals, calls), lambda a, b: 100 * a / b)]


def _rate_formulas(section: str, events: str, exposure: str, prefix: str) -> list:
    t = ((section, events, TREATMENT), (section, exposure, TREATMENT))
    c = ((section, events, COMPARISON), (section, exposure, COMPARISON))
    out = [((section, f"{prefix}_per_1000", g), ((section, events, g), (section, exposure, g)),
            lambda a, b: 1000 * a / b) for g in GROUPS]
    out.append(((section, f"{prefix}_rate_ratio", ""), t + c, _rates))
    return out


def _effect_formulas() -> list:
    def cell(key, g):
        return ("groups", key, g)
    means = (cell("contacts", COMPARISON), cell("n", COMPARISON), cell("contacts", TREATMENT), cell("n", TREATMENT))
    withs = (cell("dsls_with_contact", COMPARISON), cell("n", COMPARISON), cell("dsls_with_contact", TREATMENT),
             cell("n", TREATMENT))
    return [(("effect", "mean_difference", ""), means, lambda cc, nc, ct, nt: cc / nc - ct / nt),
            (("effect", "pct_decrease", ""), means, lambda cc, nc, ct, nt: 100 * (cc / nc - ct / nt) / (cc / nc)),
            (("effect", "risk_ratio_with_contact", ""), withs, lambda wc, nc, wt, nt: (wc / nc) / (wt / nt)),
            (("models", "unadjusted:rate_ratio", ""), means, lambda cc, nc, ct, nt: (ct / nt) / (cc / nc))]


def formulas(cells: Iterable[Cell]) -> list[tuple[Cell, tuple[Cell, ...], object]]:
    """Every published figure that is a function of counts: (its cell, the counts' cells, the function)."""
    out = _group_formulas(COMPARISON) + _group_formulas(TREATMENT) + _effect_formulas()
    out += _rate_formulas("exposure_time", "contacts", "person_days", "contacts")
    out += _rate_formulas("exposure_time", "referrals", "person_days", "referrals")
    out += _rate_formulas("school_level", "contacts", "pupils", "contacts")
    out += _rate_formulas("school_level", "referrals", "pupils", "referrals")
    out += _rate_formulas("early_help", "consultations", "person_days", "consultations")
    pre = tuple(("pre_post", k, g) for g in (TREATMENT, COMPARISON) for k in ("post_contacts", "pre_contacts"))
    out.append((("pre_post", "did_rate_ratio", ""), pre, _rates))
    exposure = tuple(("exposure_time", k, g) for g in (TREATMENT, COMPARISON) for k in ("contacts", "person_days"))
    out.append((("projection", "pct_decrease_exposure_time", ""), exposure, lambda *v: 100 * (1 - _rates(*v))))
    for cell in cells:
        if cell[0] == "early_help" and cell[1].startswith("pct_change:"):
            _, first, last = cell[1].split(":")
            out.append((cell, (("early_help", f"month:{first}", ""), ("early_help", f"month:{last}", "")),
                        lambda f, last_: 100 * (last_ - f) / f))
    have = set(cells)
    return [f for f in out if f[0] in have and all(i in have for i in f[1])]


def _evaluate(function, inputs):
    if any(v == C for v in inputs):
        return C
    if any(v is None for v in inputs):
        return None
    try:
        return function(*inputs)
    except ZeroDivisionError:
        return None


def agrees(published: Published, computed) -> bool:
    """Whether ``computed`` is what would have been published as ``published``."""
    if published.value is None:  # not published (withheld, not defined): it tells nothing
        return True
    if published.value == C or computed == C:
        return published.value == C and computed == C
    if computed is None:
        return False
    if published.places is not None:
        return abs(round(computed, published.places) - published.value) <= 0.5 * 10 ** -published.places + 1e-12
    return math.isclose(computed, published.value, rel_tol=1e-6, abs_tol=1e-9)


# -- the search -------------------------------------------------------------------------------


@dataclass
class Problem:
    domains: dict[Cell, range]  # each count's possible values, a range
    sums: list[tuple[Cell, tuple[Cell, ...]]]
    checks: list[tuple[Cell, tuple[Cell, ...], object]]  # (published cell, inputs, function)
    published: dict[Cell, Published]


Bounds = dict[Cell, tuple[int, int]]


def _tighten_sum(bounds: Bounds, total: Cell, parts: tuple[Cell, ...]) -> bool | None:
    """Narrow the bounds of one sum's cells (total = sum of parts); None when it cannot hold, else
    whether anything changed."""
    low, high = sum(bounds[p][0] for p in parts), sum(bounds[p][1] for p in parts)
    t_low, t_high = max(bounds[total][0], low), min(bounds[total][1], high)
    if t_low > t_high:
        return None
    changed = (t_low, t_high) != bounds[total]
    bounds[total] = (t_low, t_high)
    for part in parts:
        p_low, p_high = bounds[part]
        new = (max(p_low, t_low - (high - p_high)), min(p_high, t_high - (low - p_low)))
        if new[0] > new[1]:
            return None
        if new != (p_low, p_high):
            bounds[part], changed = new, True
            low, high = low - p_low + new[0], high - p_high + new[1]
    return changed


def _tighten(bounds: Bounds, sums) -> bool:
    """Bounds consistency over every sum, to a fixed point; False when some sum cannot hold."""
    changed = True
    while changed:
        changed = False
        for total, parts in sums:
            result = _tighten_sum(bounds, total, parts)
            if result is None:
                return False
            changed |= result
    return True


def _checks_hold(problem: Problem, bounds: Bounds, checks) -> bool:
    for cell, inputs, function in checks:
        if all(bounds[i][0] == bounds[i][1] for i in inputs):
            if not agrees(problem.published[cell], _evaluate(function, [bounds[i][0] for i in inputs])):
                return False
    return True


def _exists(problem: Problem, bounds: Bounds, sums, checks, budget: list[int]) -> bool:
    """Whether the counts can take values inside ``bounds`` that keep every sum and check: bounds
    consistency after each choice, choosing the count with the fewest values left first."""
    budget[0] -= 1
    if budget[0] < 0:
        return True  # too large to settle: count the value as possible (the test's tables are small)
    if not _tighten(bounds, sums) or not _checks_hold(problem, bounds, checks):
        return False
    undecided = [cell for cell, (low, high) in bounds.items() if low < high]
    if not undecided:
        return True
    cell = min(undecided, key=lambda c: (bounds[c][1] - bounds[c][0], c))
    for value in range(bounds[cell][0], bounds[cell][1] + 1):
        trial = dict(bounds)
        trial[cell] = (value, value)
        if _exists(problem, trial, sums, checks, budget):
            return True
    return False


def components(problem: Problem) -> list[list[Cell]]:
    """The counts in groups that no sum or check links to each other."""
    links = {cell: set() for cell in problem.domains}
    for cells in [(t, *p) for t, p in problem.sums] + [inputs for _c, inputs, _f in problem.checks]:
        for cell in cells:
            links[cell].update(cells)
    seen, out = set(), []
    for start in problem.domains:
        if start in seen:
            continue
        part, queue = [], [start]
        seen.add(start)
        while queue:
            cell = queue.pop()
            part.append(cell)
            for other in links[cell] - seen:
                seen.add(other)
                queue.append(other)
        out.append(part)
    return out


def solve(problem: Problem, budget: int = 20_000, enough: int = 2) -> dict[Cell, set[int]] | None:
    """Values of each count that some complete set of values consistent with everything allows (at
    most ``enough`` of them: two settle that a count is not given away), or None when no complete set
    is consistent (the figures cannot have been worked out this way)."""
    out = {}
    for part in components(problem):
        inside = set(part)
        sums = [s for s in problem.sums if s[0] in inside]
        checks = [c for c in problem.checks if c[1][0] in inside]
        bounds = {cell: (problem.domains[cell].start, problem.domains[cell].stop - 1) for cell in part}
        if not _exists(problem, dict(bounds), sums, checks, [budget]):
            return None
        for target in part:
            out[target] = set()
            for value in problem.domains[target]:
                trial = dict(bounds)
                trial[target] = (value, value)
                if _exists(problem, trial, sums, checks, [budget]):
                    out[target].add(value)
                    if len(out[target]) >= enough:
                        break
    return out


@dataclass
class Result:
    candidates: dict[Cell, set[int]]  # up to two values each: enough to tell one from more
    leaks: list[Cell]  # worked-out figures that the published counts do not give
    published: dict[Cell, Published] = field(default_factory=dict)

    @property
    def disclosed(self) -> list[Cell]:
        """Counts with at most one candidate left (a published 0 aside)."""
        return sorted(cell for cell, values in self.candidates.items()
                      if len(values) <= 1 and self.published[cell].value != 0)


def _domains(counts: dict[Cell, Published], sums) -> dict[Cell, range]:
    """Each count's possible true values; a "c" in a sum may be a larger count hidden by a second
    suppression (disclosure.widest)."""
    values = {cell: p.value for cell, p in counts.items()}
    wide = disclosure.widest(values, sums)
    return {cell: disclosure.possible(value, wide[cell]) for cell, value in values.items()}


def exposed_by_sums(values: dict[Cell, object], sums) -> list[Cell]:
    """The counts (published values: numbers or "c") that the sums between them alone leave with one
    possible value, a published 0 aside. cohorts.disclosure suppresses more counts until none is."""
    counts = {cell: Published(value) for cell, value in values.items()}
    found = solve(Problem(_domains(counts, sums), sums, [], counts)) or {}
    return sorted(cell for cell, left in found.items() if len(left) <= 1 and values[cell] != 0)


def _informative(values: dict[Cell, Published], checks) -> list:
    """The worked-out figures that the published counts do not give: each must have been worked out
    another way (from the true counts), so each narrows the counts down. A figure the published
    counts give tells the attacker nothing they did not know."""
    return [(cell, inputs, f) for cell, inputs, f in checks
            if not agrees(values[cell], _evaluate(f, [values[i].value for i in inputs]))]


def attack(values: dict[Cell, Published]) -> Result:
    """Attack the published figures ``values`` (cell: published value)."""
    counts = {cell: p for cell, p in values.items() if is_count(cell) and isinstance(p.value, (int, str))
              and (p.value == C or float(p.value).is_integer())}
    counts = {cell: Published(p.value if p.value == C else int(p.value)) for cell, p in counts.items()}
    sums = disclosure.relations(counts)
    informative = _informative(values, [f for f in formulas(values) if all(i in counts for i in f[1])])
    found = solve(Problem(_domains(counts, sums), sums, informative, values))
    if found is None:  # nothing fits: the figures were worked out in some third way; assume the worst
        found = {cell: set() for cell in counts}
    return Result(found, [cell for cell, _inputs, _f in informative], {cell: values[cell] for cell in counts})


def attack_figures(figures: dict) -> Result:
    """Attack a report dict (the JSON export, parsed)."""
    return attack({row["cell"]: read_value(row["value"]) for row in tidy.long_rows(figures)})


def attack_table(rows: Iterable[tuple]) -> Result:
    """Attack rows of (section, measure, group, value) read from any format: the CSV, the XLSX's
    Figures sheet, or text read back from a PDF or a page (values as shown, e.g. "21.0%")."""
    values = {}
    for section, measure, group, value in rows:
        cell = tidy.cell_of(section, measure, group)
        if cell is not None:
            values[cell] = read_value(value)
    return attack(values)
