"""The outcome report as titled tables of cells, each holding its value and the text shown.

The report page, the PDF, the CSV and the XLSX are all built from these tables, so they show
the same numbers. Pure: a report dict in, tables out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from cohorts.analysis import reference_table
from cohorts.tidy import variable_name
from core.timefmt import month_name, uk_date, uk_datetime

MISSING = "n/a"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


SUPPRESSED = "c"  # a figure suppressed for publication (cohorts.disclosure)


def _suppressed(format_):
    """``format_``, showing a suppressed figure as c."""
    def shown(value) -> str:
        return SUPPRESSED if value == SUPPRESSED else format_(value)
    shown.__doc__ = format_.__doc__
    return shown


@_suppressed
def count(value) -> str:
    return f"{value:,}" if _is_number(value) else (value if isinstance(value, str) else MISSING)


@_suppressed
def percent(value) -> str:
    return f"{value:.1f}%" if _is_number(value) else MISSING


@_suppressed
def two(value) -> str:
    return f"{value:.2f}" if _is_number(value) else MISSING


@_suppressed
def one(value) -> str:
    """To one decimal place; a value that rounds to zero is 0.0, never -0.0."""
    if not _is_number(value):
        return MISSING
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


@_suppressed
def three(value) -> str:
    return f"{value:.3f}" if _is_number(value) else MISSING


@_suppressed
def p_value(value) -> str:
    if not _is_number(value):
        return MISSING
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


@_suppressed
def money(value) -> str:
    """£1,234.50; a negative amount as "−£1,234.50", never "£-1,234.50"."""
    if not _is_number(value):
        return MISSING
    return f"£{value:,.2f}" if value >= 0 else f"\u2212£{-value:,.2f}"


@_suppressed
def whole(value) -> str:
    """A figure worked out as a fraction but read as a number of things (calls a year)."""
    return f"{round(value):,}" if _is_number(value) else (value if isinstance(value, str) else MISSING)


@_suppressed
def saving(value) -> str:
    """A saving a year: "£371,169.00", or "a cost increase of £39,559.50" when it is negative."""
    if not _is_number(value):
        return MISSING
    return f"£{value:,.2f}" if value >= 0 else f"a cost increase of £{-value:,.2f}"


@_suppressed
def calls_avoided(value) -> str:
    """Calls avoided a year: "1,398", or "1,234 more calls" when it is negative."""
    if not _is_number(value):
        return MISSING
    return f"{round(value):,}" if round(value) >= 0 else f"{-round(value):,} more calls"


FORMATS = {"count": count, "percent": percent, "mean": two, "ratio": two, "two": two, "three": three,
           "p": p_value, "one": one, "money": money, "whole": whole, "saving": saving, "calls_avoided": calls_avoided,
           "text": lambda v: MISSING if v is None else str(v), "computed": str}


@dataclass(frozen=True)
class Cell:
    value: object  # a number, or text
    kind: str = "text"  # how the value is shown: a key of FORMATS

    @property
    def text(self) -> str:
        return FORMATS[self.kind](self.value)

    @property
    def numeric(self) -> bool:
        return self.kind not in ("text", "computed") and _is_number(self.value)


def interval(pair, kind: str) -> Cell:
    low, high = pair if pair else (None, None)
    if SUPPRESSED in (low, high):
        return Cell(SUPPRESSED)
    if low is None or high is None:
        return Cell(MISSING)
    return Cell(f"{FORMATS[kind](low)} to {FORMATS[kind](high)}", "computed")


@dataclass
class Table:
    key: str  # a short name: the XLSX sheet and CSV section
    title: str
    head: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    numeric_columns: tuple[int, ...] = ()
    widths_mm: tuple[int, ...] | None = None  # the PDF's column widths, where its defaults do not suit


def outcome_tables(report: dict) -> list[Table]:
    """Every table of the outcome report, in the order the page shows them: the findings in plain
    English, the projection, the estimates of the second version, then the first version's tables."""
    tables = [_summary(report)]
    if report.get("trial"):
        tables += trial_tables(report["trial"])
    if "projection" in report:
        tables.append(_projection(report["projection"]))
    tables.append(_estimates(report))
    if report.get("exposure_time"):
        tables.append(_exposure_time(report["exposure_time"]))
    if report.get("pre_post"):
        tables.append(_pre_post(report["pre_post"]))
    if report.get("weighted") and report["weighted"]["balance"]:
        tables += [_weighted_balance(report["weighted"]), _overlap(report["weighted"])]
    if report.get("school_level"):
        tables.append(_school_level(report["school_level"]))
    tables += [_reference(report), _effect(report), _models(report), _balance(report)]
    if "early_help" in report:
        tables.append(_early_help(report["early_help"]))
        if "comparison" in report["early_help"]:
            tables.append(_early_help_groups(report["early_help"]))
    tables += [_section(key, report[key]) for key in report.get("sections", []) if report.get(key)]
    tables.append(_linkage(report["linkage"]))
    if report.get("batches") is not None:
        tables.append(_batches(report["batches"]))
    return tables


@dataclass(frozen=True)
class Finding:
    key: str
    title: str
    finding: str  # the figure in a sentence
    means: str  # what it means
    limits: str  # what it cannot show


SUPPRESSED_SENTENCE = "Not shown: it rests on a count of fewer than 5, suppressed for publication."


def _fold(ratio: float) -> tuple[int, str]:
    """A rate ratio as a whole-number percentage change and its direction."""
    change = round(100 * (ratio - 1))
    return abs(change), "fewer" if change < 0 else "more"


def interval_words(ci) -> str:
    """A 95% interval of a rate ratio as changes: "95% CI 45% to 73% fewer", or "30% fewer to 15%
    more" when it includes no difference."""
    low, high = (_fold(bound) for bound in ci)
    if low[1] == high[1]:
        near, far = (high, low) if low[1] == "fewer" else (low, high)
        return f"95% CI {near[0]}% to {far[0]}% {far[1]}"
    return f"95% CI {low[0]}% {low[1]} to {high[0]}% {high[1]}"


def change_sentence(subject: str, ratio, ci, what: str, than: str, note: str | None) -> str:
    """"Trained DSLs made 61% fewer non-urgent contacts per day at risk than untrained DSLs
    (95% CI 45% to 73% fewer)", or the reason it was not estimated."""
    if ratio is None:
        return note or "Not estimated."
    if ratio == SUPPRESSED:
        return SUPPRESSED_SENTENCE
    size, direction = _fold(ratio)
    if size == 0:
        return f"{subject} about as many {what} as {than} ({interval_words(ci)})."
    return f"{subject} {size}% {direction} {what} than {than} ({interval_words(ci)})."


def did_sentence(block: dict) -> str:
    """The difference in differences in words: how far trained DSLs' contacts moved beyond what the
    untrained DSLs' change would predict."""
    ratio = block["did_rate_ratio"]
    if ratio is None:
        return block["note"] or "Not estimated."
    if ratio == SUPPRESSED:
        return SUPPRESSED_SENTENCE
    size, direction = _fold(ratio)
    if size == 0:
        return (f"From the pre-period to the outcome window, trained DSLs' contacts per day changed as untrained "
                f"DSLs' did ({interval_words(block['did_ci95'])}).")
    return (f"From the pre-period to the outcome window, trained DSLs' contacts per day ended {size}% "
            f"{'lower' if direction == 'fewer' else 'higher'} than the untrained DSLs' change would predict "
            f"({interval_words(block['did_ci95'])}).")


def _exposure_findings(report: dict) -> list[Finding]:
    block = report.get("exposure_time")
    note = (report.get("notes") or {}).get("exposure_time")
    contacts = change_sentence("Trained DSLs made", block["contacts_rate_ratio"], block["contacts_ci95"],
                               "non-urgent contacts per day at risk", "untrained DSLs", block["note"]) if block else note
    referrals = change_sentence("Trained DSLs made", block["referrals_rate_ratio"], block["referrals_ci95"],
                                "urgent referrals per day at risk", "untrained DSLs", block["note"]) if block else note
    return [
        Finding("exposure_time", "Main finding: contacts per day at risk", contacts,
                "Each DSL's non-urgent contacts count only on their days at risk: a trained DSL's from the day after "
                "their training, an untrained DSL's until any training of their own; the interval allows for DSLs "
                "of one school being alike.",
                "It compares people who chose training with people who did not, so it cannot rule out that trained "
                "DSLs already called less: see the before-and-after and weighted figures."),
        Finding("safety", "Safety outcome: urgent referrals per day at risk", referrals,
                "Referrals are urgent concerns that need action: fewer of them is a signal to look into, not a success.",
                "It cannot tell whether a concern went unreported; a change needs a look at the cases behind it."),
    ]


def _design_findings(report: dict) -> list[Finding]:
    notes = report.get("notes") or {}
    pre, weighted, schools = report.get("pre_post"), report.get("weighted"), report.get("school_level")
    return [
        Finding("pre_post", "Before and after: difference in differences",
                did_sentence(pre) if pre else notes.get("pre_post", "Not estimated."),
                "Each DSL is compared with themselves before training, which takes out steady differences between "
                "the people who chose training and those who did not.",
                "It assumes both groups would have changed alike without the training, and it counts the whole "
                "outcome window, days before training included."),
        Finding("weighted", "Weighted to look alike",
                change_sentence("Weighted so that untrained DSLs' schools and roles resemble the trained DSLs', "
                                "trained DSLs made", weighted["contacts_rate_ratio"], weighted["contacts_ci95"],
                                "non-urgent contacts per day at risk", "untrained DSLs", weighted["note"])
                if weighted else notes.get("weighted", "Not estimated."),
                "Untrained DSLs are weighted by their propensity to be trained (school size, FSM %, phase, role); "
                "standardised differences near 0 after weighting show the groups now look alike on those.",
                "It balances only what is measured: motivation, experience or a school's culture are not in it."),
        Finding("school_level", "School by school",
                change_sentence("Schools with a trained DSL made", schools["contacts_rate_ratio"],
                                schools["contacts_ci95"], "non-urgent MASH contacts per pupil",
                                "schools without one", schools["note"])
                if schools else notes.get("school_level", "Not estimated."),
                "It counts every call naming the school, from office addresses and staff not on the register too, "
                "so it does not depend on linking calls to DSLs.",
                "A school's untrained staff and calls made before the training count too, which dilutes the effect; "
                "bigger schools are more likely to have a trained DSL."),
    ]


def _seed_finding(report: dict) -> Finding:
    c, t, e = report["groups"]["comparison"], report["groups"]["treatment"], report["effect"]
    if c["mean_contacts"] is None or t["mean_contacts"] is None:
        finding = "Not worked out: a group is empty."
    elif SUPPRESSED in (c["mean_contacts"], t["mean_contacts"]):
        finding = SUPPRESSED_SENTENCE
    else:
        finding = (f"Over the whole outcome window trained DSLs made {two(t['mean_contacts'])} contacts each and "
                   f"untrained DSLs {two(c['mean_contacts'])}: a {percent(e['pct_decrease'])} decrease "
                   f"(Welch's t-test p {p_value(e['p_value'])}; risk ratio of making at least one contact, "
                   f"comparison over treatment, {two(e['risk_ratio_with_contact'])}).")
    return Finding("seed", "As the first evaluation worked it out", finding,
                   "The reference report's comparison of the average number of contacts per DSL, kept so that "
                   "figures can be set beside it.",
                   "It counts calls made before training as trained, keeps DSLs trained later among the untrained, "
                   "and treats DSLs of one school as independent.")


def _early_help_finding(report: dict) -> list[Finding]:
    eh = report.get("early_help") or {}
    if "consultations_rate_ratio" not in eh:
        return []
    return [Finding("early_help", "Secondary outcome: Early Help consultations",
                    change_sentence("Trained DSLs had", eh["consultations_rate_ratio"], eh["consultations_ci95"],
                                    "Early Help consultations per day at risk", "untrained DSLs", eh["note"]),
                    "More consultations may mean concerns that would have gone to the MASH went to Early Help instead.",
                    "Consultations link to a DSL only by the asker's email, and many carry none.")]


def _section_findings(report: dict) -> list[Finding]:
    """A finding for each block another feature adds (the Infoline's calls), with the way the
    training should move it."""
    out = []
    for key in report.get("sections", []):
        block = report.get(key)
        if not block:
            continue
        out.append(Finding(key, block["title"].split(" on ")[0],
                           change_sentence("Trained DSLs made", block["rate_ratio"], block["ci95"],
                                           f"{block['events']} per day at risk", "untrained DSLs", block["note"]),
                           block["expectation"], "Calls link to a DSL only by the caller's email; calls from people "
                           "not on the register count in neither group."))
    return out


def design(report: dict) -> list[str]:
    """The design of the comparison in plain English, a sentence or two a paragraph."""
    d = report["definition"]
    days = [uk_date(date.fromisoformat(day)) for day in d["exposure"] + d["outcome"]]
    c, t = report["groups"]["comparison"]["n"], report["groups"]["treatment"]["n"]
    if report.get("trial"):
        return _trial_design(report, days, c, t)
    out = [f"Trained DSLs are the {count(t)} who attended {' or '.join(d['courses'])} at a session whose first day "
           f"fell between {days[0]} and {days[1]}. The other {count(c)} DSLs on the register when the cohort was "
           f"made are the untrained comparison group.",
           f"Their MASH records received between {days[2]} and {days[3]} count only on each DSL's days at risk: "
           f"a trained DSL's from the day after their training ended, an untrained DSL's until the day before any "
           f"training of their own began. Every rate ratio is trained over untrained, so below 1 means fewer calls "
           f"from trained DSLs."]
    if d.get("pre"):
        pre = [uk_date(date.fromisoformat(day)) for day in d["pre"]]
        out.append(f"Each DSL's contacts between {pre[0]} and {pre[1]}, before the training, give the before-and-after "
                   f"comparison.")
    return out


def _trial_design(report: dict, days: list[str], c, t) -> list[str]:
    allocation = report["trial"]["allocation"]
    intervention = " or ".join(arm for arm in allocation["arms"] if arm != allocation["comparison_arm"])
    out = [f"A randomised trial, analysed by intention to treat. The treatment group (called trained below) is the "
           f"{count(t)} DSLs at schools allocated to {intervention} in {allocation['name']}, whether or not they "
           f"attended; the comparison group (untrained below) is the {count(c)} DSLs at schools allocated to "
           f"{allocation['comparison_arm']}, including any who attended (crossovers).",
           f"Their MASH records received between {days[2]} and {days[3]} all count: everyone is at risk for the whole "
           f"outcome window. Every rate ratio is treatment over comparison, so below 1 means fewer calls from the "
           f"DSLs of intervention schools. The per-protocol analysis, which counts only those who did as allocated, "
           f"is in the trial's tables."]
    if report["definition"].get("pre"):
        pre = [uk_date(date.fromisoformat(day)) for day in report["definition"]["pre"]]
        out.append(f"Each DSL's contacts between {pre[0]} and {pre[1]}, before the trial, give the before-and-after "
                   f"comparison.")
    return out


def findings(report: dict) -> list[Finding]:
    """Each figure of the report in one plain-English sentence, with what it means and what it
    cannot show; the exposure-time estimate first."""
    return _exposure_findings(report)[:1] + _design_findings(report) + [_seed_finding(report)] \
        + _exposure_findings(report)[1:] + _early_help_finding(report) + _section_findings(report)


def _summary(report: dict) -> Table:
    table = Table("summary", "What the report finds", ["Figure", "Finding", "What it means", "What it cannot show"])
    table.rows = [[Cell(f.title, "computed"), Cell(f.finding, "computed"), Cell(f.means, "computed"),
                   Cell(f.limits, "computed")] for f in findings(report)]
    return table


def _estimates(report: dict) -> Table:
    table = Table("estimates", "Rate ratios (treatment over comparison)",
                  ["Estimate", "Rate ratio", "95% confidence interval", "p-value", "Note"], numeric_columns=(1, 3))
    rows = []
    blocks = [("exposure_time", "Contacts per day at risk", "contacts"),
              ("exposure_time", "Referrals per day at risk (the safety outcome)", "referrals"),
              ("pre_post", "Contacts per day, pre-period to outcome window (difference in differences)", "did"),
              ("weighted", "Contacts per day at risk, propensity weighted", "contacts"),
              ("weighted", "Referrals per day at risk, propensity weighted (the safety outcome)", "referrals"),
              ("school_level", "Contacts per pupil, schools with a trained DSL against schools without", "contacts"),
              ("school_level", "Referrals per pupil, schools with a trained DSL against schools without", "referrals")]
    for key, label, prefix in blocks:
        block = report.get(key)
        if not block:
            rows.append([Cell(label), Cell(None, "two"), Cell(MISSING), Cell(None, "p"),
                         Cell(report.get("notes", {}).get(key, ""), "computed")])
            continue
        ratio = block[f"{prefix}_rate_ratio"]
        rows.append([Cell(label), Cell(ratio, "two"), interval(block[f"{prefix}_ci95"], "two"),
                     Cell(block[f"{prefix}_p_value"], "p"), Cell("" if ratio is not None else block["note"] or "",
                                                                  "computed")])
    eh = report.get("early_help") or {}
    if "consultations_rate_ratio" in eh:
        rows.append([Cell("Early Help consultations per day at risk (secondary outcome)"),
                     Cell(eh["consultations_rate_ratio"], "two"), interval(eh["consultations_ci95"], "two"),
                     Cell(eh["consultations_p_value"], "p"), Cell(eh["note"] or "", "computed")])
    for key in report.get("sections", []):
        block = report.get(key)
        if block:
            rows.append([Cell(f"{block['events']} per day at risk"), Cell(block["rate_ratio"], "two"),
                         interval(block["ci95"], "two"), Cell(block["p_value"], "p"), Cell(block["note"] or "", "computed")])
    table.rows = rows
    return table


def _per_thousand(events, days):
    return 1000 * events / days if _is_number(events) and _is_number(days) and days else None


def _group_rows(block: dict, rows: list[tuple[str, str, str]]) -> list[list[Cell]]:
    """One row per (label, key, kind) with the comparison and treatment figures; a key of the
    form "a/b" is a rate per 1,000 of b."""
    out = []
    for label, key, kind in rows:
        cells = [Cell(label)]
        for group in ("comparison", "treatment"):
            figures = block[group]
            if "/" in key:
                top, bottom = key.split("/")
                cells.append(Cell(_per_thousand(figures[top], figures[bottom]), kind))
            else:
                cells.append(Cell(figures[key], kind))
        out.append(cells)
    return out


GROUP_HEAD = ["Measure", "Comparison group", "Treatment group"]


def _exposure_time(block: dict) -> Table:
    table = Table("exposure_time", "Contacts and referrals on each DSL's days at risk", GROUP_HEAD, numeric_columns=(1, 2))
    table.rows = _group_rows(block, [("DSLs with at least one day at risk", "dsls", "count"),
                                     ("Person-days at risk", "person_days", "count"),
                                     ("Contacts on days at risk", "contacts", "count"),
                                     ("Contacts per 1,000 days at risk", "contacts/person_days", "two"),
                                     ("Referrals on days at risk", "referrals", "count"),
                                     ("Referrals per 1,000 days at risk", "referrals/person_days", "two")])
    left_out = block["dsls_without_days_at_risk"]
    table.rows.append([Cell("DSLs left out (no day at risk in the outcome window)"),
                       Cell(left_out["comparison"], "count"), Cell(left_out["treatment"], "count")])
    table.rows.append([Cell("Schools (clusters for the intervals)"), Cell(""), Cell(block["clusters"], "count")])
    return table


def _pre_post(block: dict) -> Table:
    first, last = (uk_date(date.fromisoformat(day)) for day in block["pre"])
    table = Table("pre_post", f"Contacts before and after: the pre-period ({first} to {last}) and the outcome window",
                  GROUP_HEAD, numeric_columns=(1, 2))
    table.rows = _group_rows(block, [("DSLs", "dsls", "count"),
                                     ("Contacts in the pre-period", "pre_contacts", "count"),
                                     ("Contacts in the outcome window", "post_contacts", "count")])
    table.rows += [[Cell("Days in the pre-period"), Cell(block["pre_days"], "count"), Cell(block["pre_days"], "count")],
                   [Cell("Days in the outcome window"), Cell(block["post_days"], "count"),
                    Cell(block["post_days"], "count")]]
    return table


def _variable_name(variable: str) -> str:
    return variable_name(variable)


def _weighted_balance(block: dict) -> Table:
    table = Table("weighted_balance", "Balance before and after propensity weighting",
                  ["Variable", "SMD before weighting", "SMD after weighting"], numeric_columns=(1, 2))
    table.rows = [[Cell(_variable_name(row["variable"])), Cell(row["smd"], "three"), Cell(row["weighted_smd"], "three")]
                  for row in block["balance"]]
    table.rows.append([Cell("Effective number of comparison DSLs after weighting"), Cell(""),
                       Cell(block["effective_comparison_dsls"], "two")])
    return table


def _overlap(block: dict) -> Table:
    table = Table("overlap", "Overlap: DSLs by propensity score",
                  ["Propensity score", "Comparison DSLs", "Treatment DSLs"], numeric_columns=(1, 2))
    table.rows = [[Cell(row["band"], "computed"), Cell(row["comparison"], "count"), Cell(row["treatment"], "count")]
                  for row in block["overlap"]]
    return table


def _school_level(block: dict) -> Table:
    table = Table("school_level", "Schools with a trained DSL against schools without", 
                  ["Measure", "Schools without a trained DSL", "Schools with a trained DSL"], numeric_columns=(1, 2))
    table.rows = _group_rows(block, [("Schools", "schools", "count"), ("Pupils on roll", "pupils", "count"),
                                     ("MASH contacts naming the school", "contacts", "count"),
                                     ("Contacts per 1,000 pupils", "contacts/pupils", "two"),
                                     ("MASH referrals naming the school", "referrals", "count"),
                                     ("Referrals per 1,000 pupils", "referrals/pupils", "two")])
    return table


def _early_help_groups(eh: dict) -> Table:
    table = Table("early_help_groups", "Early Help consultations on each DSL's days at risk", GROUP_HEAD,
                  numeric_columns=(1, 2))
    table.rows = _group_rows(eh, [("DSLs with at least one day at risk", "dsls", "count"),
                                  ("Person-days at risk", "person_days", "count"),
                                  ("Consultations on days at risk", "consultations", "count"),
                                  ("Consultations per 1,000 days at risk", "consultations/person_days", "two")])
    return table


def _section(key: str, block: dict) -> Table:
    events = block["events"]
    table = Table(key, block["title"], GROUP_HEAD, numeric_columns=(1, 2))
    table.rows = _group_rows(block, [("DSLs with at least one day at risk", "dsls", "count"),
                                     ("Person-days at risk", "person_days", "count"),
                                     (f"{events} on days at risk", "calls", "count"),
                                     (f"{events} per DSL", "mean_calls", "three"),
                                     (f"{events} per 1,000 days at risk", "calls/person_days", "two")])
    return table


def _reference(report: dict) -> Table:
    table = Table("outcomes", "Outcomes by group", ["Measure", "Comparison group", "Treatment group"], numeric_columns=(1, 2))
    for row in reference_table(report):
        kind = row["kind"]
        comparison = Cell(row["comparison"], kind) if row["comparison"] is not None else Cell("")
        if row["measure"].startswith("Decrease in"):
            table.rows.append([Cell(row["measure"]), Cell(""), Cell(row["treatment"], "percent")])
        else:
            table.rows.append([Cell(row["measure"]), comparison, Cell(row["treatment"], kind)])
    return table


def _effect(report: dict) -> Table:
    e = report["effect"]
    table = Table("effect", "Effect on contacts per DSL", ["Statistic", "Value"], numeric_columns=(1,))
    table.rows = [
        [Cell("Mean difference in contacts per DSL (comparison minus treatment)"), Cell(e["mean_difference"], "three")],
        [Cell("Decrease in contacts per DSL"), Cell(e["pct_decrease"], "percent")],
        [Cell(f"{e['test']}: t"), Cell(e["t"], "two")],
        [Cell(f"{e['test']}: degrees of freedom"), Cell(e["df"], "two")],
        [Cell(f"{e['test']}: p-value (two-sided)"), Cell(e["p_value"], "p")],
        [Cell("95% confidence interval of the mean difference"), interval(e["ci95"], "three")],
        [Cell("Hedges' g (comparison minus treatment)"), Cell(e["hedges_g"], "two")],
        [Cell("95% confidence interval of Hedges' g"), interval(e["hedges_g_ci95"], "two")],
        [Cell("Risk ratio of making at least one contact (comparison over treatment)"), Cell(e["risk_ratio_with_contact"], "two")],
        [Cell("95% confidence interval of the risk ratio (log method)"), interval(e["risk_ratio_ci95"], "two")],
        [Cell(f"{e['with_contact_test'] or 'Test of the proportions'}: p-value"), Cell(e["with_contact_p_value"], "p")],
    ]
    return table


def _models(report: dict) -> Table:
    table = Table("models", "Rate ratio of contacts per DSL (treatment over comparison)",
                  ["Model", "Rate ratio", "95% confidence interval", "p-value", "DSLs", "Note"], numeric_columns=(1, 3, 4))
    for model in report["models"].values():
        note = model["note"] or ("converged" if model["converged"] else "did not converge")
        table.rows.append([Cell(model["model"]), Cell(model["rate_ratio"], "two"), interval(model["ci95"], "two"),
                           Cell(model["p_value"], "p"), Cell(model["n"], "count"), Cell(note)])
    return table


def _balance(report: dict) -> Table:
    """The groups' schools side by side. Suppressed for publication: whole pupils and percentage
    points, SMDs to one decimal place, phase shares left out (cohorts.disclosure)."""
    table = Table("balance", "Balance of the groups' schools",
                  ["Variable", "Comparison mean", "Comparison SD", "Treatment mean", "Treatment SD", "SMD", "Balance"],
                  numeric_columns=(1, 2, 3, 4, 5))
    coarse = bool(report.get("suppressed"))
    if coarse and not report["balance"]:
        table.rows.append([Cell("Left out: a group's size is suppressed for publication")] + [Cell("")] * 6)
    for row in report["balance"]:
        numeric = row["variable"] in ("pupils", "fsm_percent")
        kind = ("whole" if coarse else "two") if numeric else "three"
        values = [Cell(row[f"{g}_{what}"], kind) if row[f"{g}_{what}"] is not None else Cell("")
                  for g in ("comparison", "treatment") for what in ("mean", "sd")]
        values = [values[0], values[1], values[2], values[3]]
        table.rows.append([Cell(variable_name(row["variable"])), *values,
                           Cell(row["smd"], "one" if coarse else "three"), Cell(row["flag"])])
    return table


def _projection(p: dict) -> Table:
    table = Table("projection", "Projection if every DSL made the same decrease", ["Figure", "Value"], numeric_columns=(1,))
    if p["withheld"]:
        table.rows.append([Cell("Projection withheld"), Cell(p["withheld"], "computed")])
    table.rows += [
        [Cell("Non-urgent calls from schools a year (the base)"), Cell(p["annual_calls"], "count")],
        [Cell("Their cost a year"), Cell(p["annual_cost"], "money")],
        [Cell("Cost of one call"), Cell(p["unit_cost"], "money")],
        [Cell("Optimism bias taken off the calls avoided"), Cell(p.get("optimism_bias_pct") or 0, "percent")],
        [Cell("Calls avoided a year (from contacts per day at risk)"), Cell(p["calls_avoided_exposure_time"], "calls_avoided")],
        [Cell("95% interval of calls avoided"), interval(p["calls_avoided_ci95"], "calls_avoided")],
        [Cell("Saving a year (from contacts per day at risk)"), Cell(p["saving_exposure_time"], "saving")],
        [Cell("95% interval of the saving"), interval(p["saving_ci95"], "saving")],
        [Cell("Calls avoided a year, worked out as the first evaluation did (difference in means)"),
         Cell(p["calls_avoided"], "calls_avoided")],
        [Cell("Saving a year, worked out as the first evaluation did"), Cell(p["saving"], "saving")],
    ]
    return table


def _early_help(eh: dict) -> Table:
    table = Table("early_help", "Early Help consultations per month", ["Month", "Consultations"], numeric_columns=(1,))
    for m in eh["per_month"]:
        label = month_name(m["month"])
        if m.get("partial"):
            label += f" (part month: {m['days']} days in the outcome window)"
        table.rows.append([Cell(label, "computed"), Cell(m["consultations"], "count")])
    table.rows.append([Cell("Total"), Cell(eh["total"], "count")])
    span = (f" ({month_name(eh['first_whole_month'])} to {month_name(eh['last_whole_month'])})"
            if eh.get("first_whole_month") else " (needs two whole months)")
    table.rows.append([Cell("Change from the first to the last whole month" + span, "computed"),
                       Cell(eh["pct_change_first_to_last_month"], "percent")])
    return table


def _linkage(linkage: dict) -> Table:
    labels = {"records_in_window": "MASH records in the outcome window", "linked": "Linked to a DSL",
              "unlinked": "Linked to no DSL (in no group)", "linked_outside_cohort": "Linked to a DSL outside the cohort",
              "stale_links": "Linked otherwise than the register now says (relink to fix)"}
    table = Table("linkage", "Linkage of MASH records", ["Records", "Number"], numeric_columns=(1,))
    table.rows = [[Cell(labels.get(k, k)), Cell(v, "count")] for k, v in linkage.items()]
    return table


def _batches(batches: list[dict]) -> Table:
    table = Table("batches", "Import batches behind these figures", ["Batch", "Kind", "File", "Imported", "Rows", "SHA-256"],
                  numeric_columns=(0, 4))
    table.rows = [[Cell(b["id"], "count"), Cell(b["kind"]), Cell(b["filename"]),
                   Cell(uk_datetime(datetime.fromisoformat(b["imported_at"].removesuffix("Z")))),
                   Cell(b["rows"], "count"), Cell(b["checksum"][:16])] for b in batches]
    return table


# -- a randomised trial ---------------------------------------------------------------------------


ROLES = {"primary": "Primary", "secondary": "Secondary", "not pre-specified": "Not pre-specified"}


def _estimate_cells(estimate: dict | None) -> list[Cell]:
    if not estimate:
        return [Cell(MISSING), Cell(MISSING), Cell(MISSING)]
    return [Cell(estimate["ratio"], "ratio"), interval(estimate["ci95"], "ratio"), Cell(estimate["p_value"], "p")]


def _trial_outcomes(block: dict) -> Table:
    table = Table("trial_outcomes", "The trial's outcomes: intention to treat and per protocol (treatment over "
                  "comparison)", ["Outcome", "Role", "Model", "Intention to treat", "95% CI", "p",
                                  "Per protocol", "95% CI", "p"], numeric_columns=(3, 5, 6, 8))
    for row in block["outcomes"]:
        table.rows.append([Cell(row["label"]), Cell(ROLES.get(row["role"], row["role"])), Cell(row["model"]),
                           *_estimate_cells(row["intention_to_treat"]), *_estimate_cells(row["per_protocol"])])
    return table


def _trial_membership(block: dict) -> Table:
    sizes = block["membership"]
    table = Table("trial_membership", "Who is in each arm (intention to treat)",
                  ["Arm", "Group", "Schools", "DSLs", "Attended", "Did not attend"], numeric_columns=(2, 3, 4, 5))
    for arm in sizes["arms"]:
        table.rows.append([Cell(arm["arm"]), Cell(arm["group"]), Cell(arm["schools"], "count"),
                           Cell(arm["dsls"], "count"), Cell(arm["attended"], "count"),
                           Cell(arm["did_not_attend"], "count")])
    table.rows.append([Cell("Crossovers (control DSLs who attended, kept in comparison)"), Cell(""), Cell(""),
                       Cell(sizes["crossovers"], "count"), Cell(""), Cell("")])
    return table


def _trial_plan(block: dict) -> Table:
    table = Table("trial_plan", "The analysis plan the report follows", ["Item", "Detail"], widths_mm=(40, 140))
    plan = block["plan"]
    if plan is None:
        table.rows.append([Cell("Plan"), Cell(block["plan_note"])])
        return table
    table.rows += [[Cell("Plan"), Cell(f"{plan['name']}, version {plan['version']}")],
                   [Cell("SHA-256"), Cell(plan["sha256"])],
                   [Cell("Locked"), Cell(plan["locked_at"])],
                   [Cell("Model"), Cell(plan["model"])]]
    deviations = plan["deviations"] or ["None: the report follows the plan."]
    table.rows += [[Cell("Deviation" if plan["deviations"] else "Deviations"), Cell(text)] for text in deviations]
    return table


def _per_protocol(block: dict) -> Table:
    table = _exposure_time(block["exposure_time"])
    table.key, table.title = "per_protocol", "Per protocol: contacts and referrals on each DSL's days at risk"
    for name, label in (("contacts", "Contacts"), ("referrals", "Referrals")):
        table.rows.append([Cell(f"{label}: rate ratio (95% CI)"), Cell(""),
                           Cell(f"{two(block['exposure_time'][name + '_rate_ratio'])} "
                                f"({interval(block['exposure_time'][name + '_ci95'], 'ratio').text})", "computed")])
    return table


def trial_tables(block: dict) -> list[Table]:
    """The trial's tables: its outcomes (the plan's primary first), the plan and its deviations, who
    is in each arm, and the per-protocol figures."""
    tables = [_trial_outcomes(block), _trial_plan(block), _trial_membership(block)]
    if block["per_protocol"].get("exposure_time"):
        tables.append(_per_protocol(block["per_protocol"]))
    return tables


def trial_words(report: dict) -> dict | None:
    """The trial's figures as the page words them; None for a cohort that is not a trial's."""
    block = report.get("trial")
    if not block:
        return None
    sizes = block["membership"]
    return {"drawn": uk_date(date.fromisoformat(block["allocation"]["drawn_on"])),
            "crossovers": count(sizes["crossovers"]), "never_attended": count(sizes["never_attended"])}
