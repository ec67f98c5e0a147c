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
    domains: dict[Cell, list[int]]
    sums: list[tuple[Cell, tuple[Cell, ...]]]
    checks: list[tuple[Cell, tuple[Cell, ...], object]]  # (published cell, inputs, function)
    published: dict[Cell, Published]

    def neighbours(self) -> dict[Cell, set[Cell]]:
        out = {cell: set() for cell in self.domains}
        for cells in [(t, *p) for t, p in self.sums] + [inputs for _c, inputs, _f in self.checks]:
            for a in cells:
                out[a].update(b for b in cells if b != a)
        return out


def _sum_possible(total, parts, assigned: dict, domains: dict) -> bool:
    """Whether total - sum(parts) = 0 can still hold with the unassigned cells in their domains."""
    low = high = 0
    for cell, sign in [(total, 1)] + [(p, -1) for p in parts]:
        if cell in assigned:
            low += sign * assigned[cell]
            high += sign * assigned[cell]
        else:
            lo, hi = min(domains[cell]), max(domains[cell])
            low, high = (low + lo, high + hi) if sign > 0 else (low - hi, high - lo)
    return low <= 0 <= high


def _consistent(problem: Problem, cell: Cell, assigned: dict, touching: dict) -> bool:
    for kind, item in touching[cell]:
        if kind == "sum" and not _sum_possible(*item, assigned, problem.domains):
            return False
        if kind == "check" and all(i in assigned for i in item[1]):
            if not agrees(problem.published[item[0]], _evaluate(item[2], [assigned[i] for i in item[1]])):
                return False
    return True


def _order(problem: Problem, start: Cell, neighbours: dict) -> list[Cell]:
    """The target first, then its component breadth first, so that sums and checks close early."""
    order, seen, queue = [], {start}, [start]
    while queue:
        cell = queue.pop(0)
        order.append(cell)
        for other in sorted(neighbours[cell] - seen, key=lambda c: len(problem.domains[c])):
            seen.add(other)
            queue.append(other)
    return order


def _exists(problem: Problem, order: list[Cell], assigned: dict, touching: dict, budget: list[int]) -> bool:
    if len(assigned) == len(order):
        return True
    budget[0] -= 1
    if budget[0] < 0:
        return True  # too large to settle: count the value as possible (the test's tables are small)
    cell = order[len(assigned)]
    for value in problem.domains[cell]:
        assigned[cell] = value
        if _consistent(problem, cell, assigned, touching) and _exists(problem, order, assigned, touching, budget):
            del assigned[cell]
            return True
        del assigned[cell]
    return False


def _touching(problem: Problem) -> dict:
    touching = {cell: [] for cell in problem.domains}
    for total, parts in problem.sums:
        for cell in (total, *parts):
            touching[cell].append(("sum", (total, parts)))
    for check in problem.checks:
        for cell in check[1]:
            touching[cell].append(("check", check))
    return touching


def components(problem: Problem) -> list[list[Cell]]:
    """The counts in groups that no sum or check links to each other."""
    neighbours, seen, out = problem.neighbours(), set(), []
    for cell in problem.domains:
        if cell in seen:
            continue
        part = _order(problem, cell, neighbours)
        seen.update(part)
        out.append(part)
    return out


def solve(problem: Problem, budget: int = 200_000) -> dict[Cell, set[int]] | None:
    """Each count's values that some complete set of values consistent with everything allows, or
    None when no complete set is (the figures cannot have been worked out this way)."""
    neighbours, touching = problem.neighbours(), _touching(problem)
    out = {}
    for part in components(problem):
        if not _exists(problem, part, {}, touching, [budget]):
            return None
        for target in part:
            order = _order(problem, target, neighbours)
            out[target] = set()
            for value in problem.domains[target]:
                assigned = {target: value}
                if _consistent(problem, target, assigned, touching) and \
                        _exists(problem, order, assigned, touching, [budget]):
                    out[target].add(value)
    return out


# -- the attack -------------------------------------------------------------------------------


@dataclass
class Result:
    candidates: dict[Cell, set[int]]
    leaks: list[Cell]  # worked-out figures that the published counts do not give
    published: dict[Cell, Published] = field(default_factory=dict)

    @property
    def disclosed(self) -> list[Cell]:
        """Counts with at most one candidate left (a published 0 aside)."""
        return sorted(cell for cell, values in self.candidates.items()
                      if len(values) <= 1 and self.published[cell].value != 0)


def _domains(counts: dict[Cell, Published], sums) -> dict[Cell, list[int]]:
    """Each count's possible true values; a "c" in a sum may be a larger count hidden by a second
    suppression (disclosure.widest)."""
    values = {cell: p.value for cell, p in counts.items()}
    wide = disclosure.widest(values, sums)
    return {cell: list(disclosure.possible(value, wide[cell])) for cell, value in values.items()}


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
