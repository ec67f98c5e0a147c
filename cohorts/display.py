"""The outcome report as titled tables of cells, each holding its value and the text shown.

The report page, the PDF, the CSV and the XLSX are all built from these tables, so they show
the same numbers. Pure: a report dict in, tables out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cohorts.analysis import reference_table

MISSING = "n/a"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def count(value) -> str:
    return f"{value:,}" if _is_number(value) else (value if isinstance(value, str) else MISSING)


def percent(value) -> str:
    return f"{value:.1f}%" if _is_number(value) else MISSING


def two(value) -> str:
    return f"{value:.2f}" if _is_number(value) else MISSING


def three(value) -> str:
    return f"{value:.3f}" if _is_number(value) else MISSING


def p_value(value) -> str:
    if not _is_number(value):
        return MISSING
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def money(value) -> str:
    return f"£{value:,.2f}" if _is_number(value) else MISSING


FORMATS = {"count": count, "percent": percent, "mean": two, "ratio": two, "two": two, "three": three,
           "p": p_value, "money": money, "text": lambda v: MISSING if v is None else str(v),
           "computed": str}


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


def outcome_tables(report: dict) -> list[Table]:
    """Every table of the outcome report, in the order the page shows them."""
    tables = [_reference(report), _effect(report), _models(report), _balance(report)]
    if "projection" in report:
        tables.append(_projection(report["projection"]))
    if "early_help" in report:
        tables.append(_early_help(report["early_help"]))
    tables.append(_linkage(report["linkage"]))
    if report.get("batches") is not None:
        tables.append(_batches(report["batches"]))
    return tables


def _reference(report: dict) -> Table:
    table = Table("outcomes", "Outcomes by group", ["Measure", "Comparison group", "Treatment group"], numeric_columns=(1, 2))
    for row in reference_table(report):
        kind = row["kind"]
        comparison = Cell(row["comparison"], kind) if row["comparison"] is not None else Cell("")
        if row["measure"] == "% decrease":
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
    table = Table("balance", "Balance of the groups' schools",
                  ["Variable", "Comparison mean", "Comparison SD", "Treatment mean", "Treatment SD", "SMD", "Balance"],
                  numeric_columns=(1, 2, 3, 4, 5))
    labels = {"pupils": "Pupils on roll", "fsm_percent": "Free school meals (%)"}
    for row in report["balance"]:
        kind = "two" if row["variable"] in labels else "three"
        name = labels.get(row["variable"], row["variable"].replace("phase: ", "Phase: ") + " (share)")
        table.rows.append([Cell(name), Cell(row["comparison_mean"], kind), Cell(row["comparison_sd"], kind),
                           Cell(row["treatment_mean"], kind), Cell(row["treatment_sd"], kind), Cell(row["smd"], "three"),
                           Cell(row["flag"])])
    return table


def _projection(p: dict) -> Table:
    table = Table("projection", "Projection if every DSL made the same decrease", ["Figure", "Value"], numeric_columns=(1,))
    table.rows = [
        [Cell("Calls a year that result in no further action"), Cell(p["annual_calls"], "count")],
        [Cell("Their cost a year"), Cell(p["annual_cost"], "money")],
        [Cell("Cost of one call"), Cell(p["unit_cost"], "money")],
        [Cell("Calls avoided a year"), Cell(p["calls_avoided"], "count")],
        [Cell("95% interval of calls avoided (from the rate ratio)"), interval(p["calls_avoided_ci95"], "count")],
        [Cell("Saving a year"), Cell(p["saving"], "money")],
        [Cell("95% interval of the saving"), interval(p["saving_ci95"], "money")],
    ]
    return table


def _early_help(eh: dict) -> Table:
    table = Table("early_help", "Early Help consultations per month", ["Month", "Consultations"], numeric_columns=(1,))
    table.rows = [[Cell(m["month"]), Cell(m["consultations"], "count")] for m in eh["per_month"]]
    table.rows.append([Cell("Total"), Cell(eh["total"], "count")])
    table.rows.append([Cell("Change from the first to the last month"), Cell(eh["pct_change_first_to_last_month"], "percent")])
    return table


def _linkage(linkage: dict) -> Table:
    labels = {"records_in_window": "MASH records in the outcome window", "linked": "Linked to a DSL",
              "unlinked": "Linked to no DSL (in no group)", "linked_outside_cohort": "Linked to a DSL outside the cohort",
              "stale_links": "Linked otherwise than the register now says (relink to fix)"}
    table = Table("linkage", "Linkage of MASH records", ["Records", "Number"], numeric_columns=(1,))
    table.rows = [[Cell(labels.get(k, k)), Cell(v, "count")] for k, v in linkage.items()]
    return table


def _batches(batches: list[dict]) -> Table:
    table = Table("batches", "Import batches behind these figures", ["Batch", "Kind", "File", "Imported (UTC)", "Rows", "SHA-256"],
                  numeric_columns=(0, 4))
    table.rows = [[Cell(b["id"], "count"), Cell(b["kind"]), Cell(b["filename"]), Cell(b["imported_at"]),
                   Cell(b["rows"], "count"), Cell(b["checksum"][:16])] for b in batches]
    return table
