"""The Infoline page's figures as titled tables (shown on the page and written to CSV and XLSX)
and charts. Pure: the figures of infoline.analysis in, tables and charts out."""

from __future__ import annotations

from cohorts.charts import Chart, bar_chart
from cohorts.display import Cell, Table
from core.timefmt import month_name
from infoline.models import ADVICE_LABELS, ADVICE_SHORT


def _rows(records: list[dict], columns: list[tuple[str, str]]) -> list[list[Cell]]:
    return [[Cell(record[key], kind) for key, kind in columns] for record in records]


def _month(records: list[dict]) -> list[dict]:
    return [{**record, "month": month_name(record["month"])} for record in records]


def tables(figures: dict) -> list[Table]:
    """Every table of the page, in the order it shows them."""
    advice = [(key, "count") for key in ADVICE_LABELS]
    out = [
        Table("by_month", "Calls by month and the advice given", ["Month", "Calls", *ADVICE_LABELS.values()],
              _rows(_month(figures["by_month"]), [("month", "text"), ("calls", "count"), *advice]),
              numeric_columns=tuple(range(1, 6))),
        Table("by_advice", "Calls by the advice given", ["Advice given", "Calls", "Share of calls"],
              [[Cell(ADVICE_LABELS[r["advice"]]), Cell(r["calls"], "count"), Cell(r["pct"], "percent")]
               for r in figures["by_advice"]], numeric_columns=(1, 2)),
        Table("by_district", "Calls by district of the caller's school",
              ["District", "Calls", "Schools calling", "Share of calls"],
              _rows(figures["by_district"], [("district", "text"), ("calls", "count"), ("schools", "count"),
                                             ("pct", "percent")]), numeric_columns=(1, 2, 3)),
        Table("by_topic", "Calls by topic", ["Topic", "Calls", "Share of calls"],
              _rows(figures["by_topic"], [("topic", "text"), ("calls", "count"), ("pct", "percent")]),
              numeric_columns=(1, 2)),
        Table("who_calls", "Who calls: trained and untrained DSLs by phase",
              ["Phase", "Trained DSLs", "Trained DSLs who called", "% of trained calling", "Untrained DSLs",
               "Untrained DSLs who called", "% of untrained calling", "Calls from trained DSLs",
               "Calls from untrained DSLs", "Calls from callers not on the register"],
              _rows(figures["who_calls"], [("phase", "text"), ("trained_dsls", "count"), ("trained_callers", "count"),
                                           ("trained_pct_calling", "percent"), ("untrained_dsls", "count"),
                                           ("untrained_callers", "count"), ("untrained_pct_calling", "percent"),
                                           ("calls_trained", "count"), ("calls_untrained", "count"),
                                           ("calls_not_on_register", "count")]),
              numeric_columns=tuple(range(1, 10))),
        _register(figures["register"]),
        _repeat(figures["repeat"]),
        Table("mash_not_infoline", "Schools whose DSLs call the MASH but never the Infoline",
              ["URN", "School", "Phase", "District", "MASH records"],
              _rows(figures["mash_not_infoline"], [("urn", "text"), ("name", "text"), ("phase", "text"),
                                                   ("district", "text"), ("mash_records", "count")]),
              numeric_columns=(4,)),
    ]
    return out


def _register(register: dict) -> Table:
    rows = [("Calls", register["calls"], "count"),
            ("Calls from DSLs on the register", register["on_register"], "count"),
            ("Share of calls from DSLs on the register", register["pct_on_register"], "percent"),
            ("Calls from someone at a school, not on the register", register["school_only"], "count"),
            ("Calls from callers with neither", register["unknown"], "count"),
            ("DSLs on the register who called", register["callers_on_register"], "count"),
            ("DSLs on the register", register["dsls_on_register"], "count"),
            ("Share of the register who called", register["pct_of_register_calling"], "percent")]
    return Table("register", "Callers on the DSL register", ["Measure", "Value"],
                 [[Cell(label), Cell(value, kind)] for label, value, kind in rows], numeric_columns=(1,))


def _repeat(repeat: dict) -> Table:
    rows = [[Cell(band["band"]), Cell(band["callers"], "count"), Cell(band["calls"], "count")]
            for band in repeat["bands"]]
    rows.append([Cell("Repeat callers (2 calls or more)"), Cell(repeat["repeat_callers"], "count"),
                 Cell(repeat["calls_by_repeat_callers"], "count")])
    return Table("repeat", "Repeat callers: DSLs on the register by how many calls they made",
                 ["Calls made", "DSLs", "Their calls"], rows, numeric_columns=(1, 2))


def charts(figures: dict, mash_months: dict[str, int] | None = None) -> list[Chart]:
    """Calls by month (beside the MASH's contacts when given) and calls by advice."""
    out = []
    months = figures["by_month"][-12:]
    if months:
        names = [month_name(record["month"])[:3] for record in months]
        span = f"{month_name(months[0]['month'])} to {month_name(months[-1]['month'])}"
        series, legend = [[record["calls"] for record in months]], ["Infoline calls"]
        if mash_months is not None:
            series.append([mash_months.get(record["month"], 0) for record in months])
            legend.append("MASH contacts")
        out.append(bar_chart("by-month", f"Calls by month, {span}", names, series, legend, label_format=None))
    if figures["calls"]:
        out.append(bar_chart("by-advice", "Infoline calls by the advice given",
                             [ADVICE_SHORT[r["advice"]] for r in figures["by_advice"]],
                             [[r["calls"] for r in figures["by_advice"]]]))
    return out
