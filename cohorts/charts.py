"""The outcome report's charts, drawn once with ReportLab graphics: embedded as they are in the PDF
(in the embedded DejaVu fonts), rendered to SVG for the page (in the service's Helvetica/Arial).

Every chart keeps to a few rules: no text under 9 points at the size it is printed; whole-number
ticks on an axis of counts or percentages; category labels that fit side by side, or are
abbreviated, turned and thinned until they cannot touch; intervals drawn as error bars; and the
figures behind it as a table (``head`` and ``rows``), its text alternative on the page and in the
PDF. A suppressed figure (the string "c") is drawn as no bar and labelled "c". Pure: a report dict
in, charts out.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from datetime import date

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from core.pdf import fonts

WIDTH, HEIGHT = 480, 210
SMALLEST = 9  # points: axis labels, bar labels, legends
TITLE_SIZE = 10.5
INK = colors.HexColor("#0b0c0c")
COMPARISON_COLOUR = colors.HexColor("#505a5f")
TREATMENT_COLOUR = colors.HexColor("#00594c")
SECOND_COLOUR = colors.HexColor("#b1b4b6")
GRID_COLOUR = colors.HexColor("#dddddd")
GROUP_NAMES = ["Comparison group", "Treatment group"]
GROUP_KEYS = ("comparison", "treatment")
SUPPRESSED = "c"
PAGE_FONTS = "'Helvetica Neue', Helvetica, Arial, sans-serif"  # the page's own typeface
SVG_FONTS = {fonts.BOLD: f"{PAGE_FONTS}; font-weight: bold",
             fonts.REGULAR: PAGE_FONTS}  # the bold name first: it starts with the other
NICE_STEPS = (1, 2, 2.5, 5)


@dataclass
class Chart:
    key: str
    title: str
    description: str  # what the chart shows, in a sentence: its alt text
    drawing: Drawing
    head: list[str] = field(default_factory=list)  # the chart's data table: its text alternative
    rows: list[list[str]] = field(default_factory=list)
    after: str = ""  # the key of the report table it follows

    def svg_data_uri(self) -> str:
        svg = renderSVG.drawToString(self.drawing)
        # The SVG names the fonts as ReportLab registered them; on the page the charts are in the
        # service's own typeface, as the text around them.
        for registered, family in SVG_FONTS.items():
            svg = svg.replace(f"font-family: {registered}", f"font-family: {family}")
        return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


# -- numbers and axes -------------------------------------------------------------------------


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _shown(value, pattern: str) -> str:
    """A figure as its bar label or table cell: "c" when suppressed, "not available" when missing."""
    if value == SUPPRESSED:
        return SUPPRESSED
    number = _number(value)
    return pattern % number if number is not None else "not available"


def nice_step(top: float, ticks: int = 5, whole: bool = True) -> float:
    """A step of 1, 2, 2.5 or 5 times a power of ten giving about ``ticks`` ticks up to ``top``;
    at least 1 (and never 2.5 times a unit) when the axis counts whole things."""
    if top <= 0:
        return 1
    rough = top / ticks
    power = 10 ** math.floor(math.log10(rough))
    for multiple in NICE_STEPS:
        step = multiple * power
        if step >= rough and not (whole and (step < 1 or step != int(step))):
            return step
    return 10 * power if not whole else max(1, int(10 * power))


def axis_ticks(top: float, whole: bool, cap: float | None = None) -> tuple[float, float]:
    """(step, maximum) of a value axis from 0 that shows ``top`` with a little room above it."""
    step = nice_step(top * 1.1, whole=whole)
    highest = step * max(1, math.ceil(top * 1.1 / step))
    if cap is not None:
        highest = min(highest, cap)
    return step, highest


def tick_format(step: float) -> str:
    """"%d" for a whole step, else as many decimals as the step has (0.25: two)."""
    decimals = 0
    while decimals < 4 and abs(step * 10 ** decimals - round(step * 10 ** decimals)) > 1e-9:
        decimals += 1
    return f"%.{decimals}f" if decimals else "%d"


# -- category labels that never overlap -------------------------------------------------------


@dataclass(frozen=True)
class Labels:
    texts: list[str]  # one per category; "" where a label is left out to make room
    angle: int  # 0 (level) or 45
    depth: float  # the height they take below the axis


def fit_labels(choices: list[list[str]], slot: float, size: float = SMALLEST) -> Labels:
    """The first of ``choices`` (full labels, then shorter ones) whose every label fits its slot
    level; else the last, turned 45 degrees and thinned so turned labels stand apart."""
    for texts in choices:
        if max(stringWidth(text, fonts.REGULAR, size) for text in texts) <= slot - 4:
            return Labels(texts, 0, size * 2)
    texts = choices[-1]
    # Turned 45 degrees, two labels clear each other when their starts are a line's height / sin 45 apart.
    every = max(1, math.ceil(size * 1.25 * math.sqrt(2) / slot))
    shown = [text if index % every == 0 else "" for index, text in enumerate(texts)]
    longest = max(stringWidth(text, fonts.REGULAR, size) for text in texts)
    return Labels(shown, 45, longest * math.sqrt(0.5) + size * 2)


# -- bar charts -------------------------------------------------------------------------------


@dataclass
class Bars:
    values: list[list]  # one list per series, one figure per category; figures may be "c"
    names: list[list[str]]  # category labels: the full ones, then shorter ones to try
    fills: list
    label: str  # how a bar's figure is written, e.g. "%.1f%%"
    whole: bool  # whether the axis counts whole things (ticks are whole numbers)
    tick: str = ""  # how a tick is written; by default as many decimals as the step needs
    cap: float | None = None
    legend: list[str] | None = None


def _bar_chart(spec: Bars, title: str) -> Drawing:
    fonts.register()
    legend_width = 120 if spec.legend else 0
    plot_width = WIDTH - 70 - legend_width
    slot = plot_width / max(1, len(spec.names[0]))
    labels = fit_labels(spec.names, slot)
    height = HEIGHT + max(0, labels.depth - SMALLEST * 2)
    drawing = Drawing(WIDTH, height)
    # A drawing starts in ReportLab's default font (Helvetica, never embedded) unless told otherwise.
    drawing.initialFontName = fonts.REGULAR
    chart = VerticalBarChart()
    chart.x, chart.y = 50, 12 + labels.depth
    chart.width, chart.height = plot_width, height - chart.y - 40
    chart.data = [[_number(v) or 0 for v in series] for series in spec.values]
    chart.categoryAxis.categoryNames = labels.texts
    _style_category_axis(chart.categoryAxis, labels)
    top = max([_number(v) or 0 for series in spec.values for v in series] + [0])
    step, highest = axis_ticks(top or 1, spec.whole, spec.cap)
    axis = chart.valueAxis
    axis.valueMin, axis.valueMax, axis.valueStep = 0, highest, step
    axis.labels.fontName, axis.labels.fontSize = fonts.REGULAR, SMALLEST
    axis.labelTextFormat = spec.tick or tick_format(step)
    axis.visibleGrid, axis.gridStrokeColor, axis.gridStrokeWidth = True, GRID_COLOUR, 0.5
    chart.barLabelArray = [[_shown(v, spec.label) for v in series] for series in spec.values]
    # Each bar's figure over it, unless the widest would reach its neighbour's (the table has them all).
    widest = max(stringWidth(text, fonts.REGULAR, SMALLEST) for series in chart.barLabelArray for text in series)
    chart.barLabelFormat = "values" if widest <= slot / len(spec.values) - 2 else None
    chart.barLabels.nudge = 7
    chart.barLabels.fontName, chart.barLabels.fontSize = fonts.REGULAR, SMALLEST
    chart.groupSpacing = 12
    for index, fill in enumerate(spec.fills):
        chart.bars[index].fillColor = fill
        chart.bars[index].strokeColor = None
    drawing.add(chart)
    if spec.legend:
        key = Legend()
        key.x, key.y = WIDTH - legend_width + 10, height - 50
        key.fontName, key.fontSize = fonts.REGULAR, SMALLEST
        key.colorNamePairs = list(zip(spec.fills, spec.legend))
        drawing.add(key)
    return _titled(drawing, title)


def _style_category_axis(axis, labels: Labels) -> None:
    axis.labels.fontName, axis.labels.fontSize = fonts.REGULAR, SMALLEST
    if labels.angle:
        axis.labels.angle = labels.angle
        axis.labels.boxAnchor = "ne"
        axis.labels.dx, axis.labels.dy = 4, -2


def _titled(drawing: Drawing, title: str) -> Drawing:
    drawing.add(String(0, drawing.height - TITLE_SIZE - 2, title, fontName=fonts.BOLD, fontSize=TITLE_SIZE,
                       fillColor=INK))
    return drawing


# -- rate ratios with their intervals --------------------------------------------------------


LOG_TICKS = (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20)
ESTIMATES = [("exposure_time", "contacts", "Contacts per day at risk"),
             ("exposure_time", "referrals", "Referrals per day at risk"),
             ("pre_post", "did", "Contacts, before and after"),
             ("weighted", "contacts", "Contacts, propensity weighted"),
             ("weighted", "referrals", "Referrals, propensity weighted"),
             ("school_level", "contacts", "Contacts per pupil, by school"),
             ("school_level", "referrals", "Referrals per pupil, by school")]


def _ratio(value) -> float | str | None:
    return SUPPRESSED if value == SUPPRESSED else _number(value)


def rate_ratio_rows(report: dict) -> list[tuple[str, float | str | None, float | None, float | None]]:
    """(label, ratio, low, high) of every rate ratio the report estimates, trained over untrained;
    a suppressed ratio is "c"."""
    rows = []
    for key, prefix, label in ESTIMATES:
        block = report.get(key) or {}
        ratio = _ratio(block.get(f"{prefix}_rate_ratio"))
        low, high = (_number(bound) for bound in (block.get(f"{prefix}_ci95") or (None, None)))
        if block:
            rows.append((label, ratio, low, high))
    eh = report.get("early_help") or {}
    if "consultations_rate_ratio" in eh:
        low, high = (_number(bound) for bound in (eh.get("consultations_ci95") or (None, None)))
        rows.append(("Early Help consultations per day at risk", _ratio(eh["consultations_rate_ratio"]), low, high))
    return rows


def _log_range(rows) -> list[float]:
    """The ticks of a log axis that holds every interval and 1."""
    values = [v for _, ratio, low, high in rows for v in (ratio, low, high) if isinstance(v, float) and v > 0] + [0.5, 2]
    low = max([t for t in LOG_TICKS if t <= min(values)] or [LOG_TICKS[0]])
    high = min([t for t in LOG_TICKS if t >= max(values)] or [LOG_TICKS[-1]])
    return [t for t in LOG_TICKS if low <= t <= high]


def _forest(rows, title: str) -> Drawing:
    fonts.register()
    left, right, row_height = 190, WIDTH - 15, 22
    ticks = _log_range(rows)
    bottom = 48
    height = bottom + row_height * len(rows) + 36
    drawing = Drawing(WIDTH, height)
    drawing.initialFontName = fonts.REGULAR

    def x(value):
        span = math.log(ticks[-1]) - math.log(ticks[0])
        clipped = min(max(value, ticks[0]), ticks[-1])
        return left + (right - left) * (math.log(clipped) - math.log(ticks[0])) / span

    top = bottom + row_height * len(rows)
    for tick in ticks:
        drawing.add(Line(x(tick), bottom, x(tick), top, strokeColor=INK if tick == 1 else GRID_COLOUR,
                         strokeWidth=1 if tick == 1 else 0.5, strokeDashArray=[3, 2] if tick == 1 else None))
        drawing.add(String(x(tick), bottom - 13, f"{tick:g}", fontName=fonts.REGULAR, fontSize=SMALLEST,
                           textAnchor="middle", fillColor=INK))
    drawing.add(Line(left, bottom, right, bottom, strokeColor=INK, strokeWidth=0.5))
    more = "more from trained DSLs \u2192"
    start = min(x(1) + 4, WIDTH - stringWidth(more, fonts.REGULAR, SMALLEST))
    drawing.add(String(start - 8, 6, "\u2190 fewer from trained DSLs", fontName=fonts.REGULAR, fontSize=SMALLEST,
                       textAnchor="end", fillColor=INK))
    drawing.add(String(start, 6, more, fontName=fonts.REGULAR, fontSize=SMALLEST, fillColor=INK))
    drawing.add(String(left, bottom - 26, "Rate ratio, trained over untrained (log scale)", fontName=fonts.REGULAR,
                       fontSize=SMALLEST, fillColor=INK))
    for index, (label, ratio, low, high) in enumerate(rows):
        y = top - row_height * (index + 0.5)
        drawing.add(String(0, y - 3, label, fontName=fonts.REGULAR, fontSize=SMALLEST, fillColor=INK))
        if not isinstance(ratio, float):
            drawing.add(String(left + 4, y - 3, SUPPRESSED if ratio == SUPPRESSED else "not estimated", fontName=fonts.REGULAR, fontSize=SMALLEST,
                               fillColor=COMPARISON_COLOUR))
            continue
        if low is not None and high is not None:
            drawing.add(Line(x(low), y, x(high), y, strokeColor=TREATMENT_COLOUR, strokeWidth=1.5))
            for end in (low, high):
                drawing.add(Line(x(end), y - 4, x(end), y + 4, strokeColor=TREATMENT_COLOUR, strokeWidth=1.5))
        drawing.add(Rect(x(ratio) - 3.5, y - 3.5, 7, 7, fillColor=TREATMENT_COLOUR, strokeColor=None))
    return _titled(drawing, title)


def _rate_ratio_chart(report: dict) -> Chart | None:
    rows = rate_ratio_rows(report)
    if not any(isinstance(ratio, float) for _, ratio, _, _ in rows):
        return None
    title = "Rate ratios with their 95% intervals (trained over untrained)"
    table = [[label, _shown(ratio, "%.2f"),
              f"{low:.2f} to {high:.2f}" if low is not None and high is not None else "not available"]
             for label, ratio, low, high in rows]
    return Chart("rate-ratios", title,
                 f"{title}: each estimate as a square with its interval as a bar; 1 means no difference, "
                 "below 1 fewer calls from trained DSLs. The figures are in the table that follows.",
                 _forest(rows, title), ["Estimate", "Rate ratio", "95% interval"], table, after="estimates")


# -- the charts of the report -----------------------------------------------------------------


def _groups_chart(report: dict, chart_key: str, key: str, title: str, label: str, **kwargs) -> Chart:
    groups = report["groups"]
    values = [groups[group].get(key) for group in GROUP_KEYS]
    spec = Bars([values], [GROUP_NAMES], [TREATMENT_COLOUR], label, **kwargs)
    rows = [[name, _shown(value, label)] for name, value in zip(GROUP_NAMES, values)]
    return Chart(chart_key, title, f"{title}: " + "; ".join(f"{name.lower()} {cell}" for name, cell in rows) + ".",
                 _bar_chart(spec, title), ["Group", title], rows, after="outcomes")


def _calls_chart(report: dict) -> Chart:
    groups = report["groups"]
    contacts = [groups[group].get("pct_calls_contacts") for group in GROUP_KEYS]
    referrals = [groups[group].get("pct_calls_referrals") for group in GROUP_KEYS]
    title = "Contacts and referrals as a share of all calls (%)"
    spec = Bars([contacts, referrals], [GROUP_NAMES], [TREATMENT_COLOUR, SECOND_COLOUR], "%.0f%%", whole=True,
                tick="%d%%", cap=100, legend=["Contacts", "Referrals"])
    rows = [[name, _shown(c, "%.1f%%"), _shown(r, "%.1f%%")] for name, c, r in zip(GROUP_NAMES, contacts, referrals)]
    return Chart("contacts-and-referrals", title,
                 f"{title}: " + "; ".join(f"{n.lower()} {c} contacts and {r} referrals" for n, c, r in rows) + ".",
                 _bar_chart(spec, title), ["Group", "Contacts (% of calls)", "Referrals (% of calls)"], rows,
                 after="outcomes")


def _overlap_chart(overlap: list[dict]) -> Chart:
    """Each group's share of DSLs in each band of the propensity score, side by side."""
    counted = all(_number(band[group]) is not None for band in overlap for group in GROUP_KEYS)
    totals = {group: sum(_number(band[group]) or 0 for band in overlap) or 1 for group in GROUP_KEYS}
    shares = [[100 * band[group] / totals[group] if counted else SUPPRESSED for band in overlap]
              for group in GROUP_KEYS]
    title = "Propensity scores: share of each group in each band (%)"
    names = [[f"{band['from']:.2f}" for band in overlap]]
    spec = Bars(shares, names, [COMPARISON_COLOUR, TREATMENT_COLOUR], "%.0f%%", whole=True, tick="%d%%",
                legend=GROUP_NAMES)
    drawing = _bar_chart(spec, title)
    drawing.contents[0].barLabelFormat = None  # ten pairs of bars: the table gives the figures
    rows = [[band["band"], _shown(c, "%.1f%%"), _shown(t, "%.1f%%")] for band, c, t in zip(overlap, *shares)]
    return Chart("overlap", title, f"{title}, by the lower end of each band. The figures are in the table that "
                 "follows.", drawing, ["Propensity score", "Comparison group (%)", "Treatment group (%)"], rows,
                 after="overlap")


def month_labels(months: list[str]) -> list[list[str]]:
    """"2020-09" as "September 2020", and shorter, "Sep 2020", for when the long ones do not fit."""
    days = [date.fromisoformat(month + "-01") for month in months]
    return [[f"{day:%B %Y}" for day in days], [f"{day:%b %Y}" for day in days]]


def _early_help_chart(early_help: dict) -> Chart:
    months = early_help["per_month"]
    values = [m["consultations"] for m in months]
    title = "Early Help consultations per month"
    names = month_labels([m["month"] for m in months])
    spec = Bars([values], names, [TREATMENT_COLOUR], "%d", whole=True)
    rows = [[name + (" (part month)" if m.get("partial") else ""), _shown(m["consultations"], "%d")]
            for name, m in zip(names[0], months)]
    return Chart("early-help", title, f"{title}: " + ", ".join(f"{n} {c}" for n, c in rows) + ".",
                 _bar_chart(spec, title), ["Month", "Consultations"], rows, after="early_help")


def outcome_charts(report: dict) -> list[Chart]:
    """Every chart of the outcome report, in the order the page and the PDF show them."""
    fonts.register()
    charts = [chart for chart in (_rate_ratio_chart(report),) if chart]
    charts.append(_groups_chart(report, "contacts-per-dsl", "mean_contacts", "Average MASH contacts per DSL", "%.2f", whole=False))
    charts.append(_calls_chart(report))
    charts.append(_groups_chart(report, "dsls-contacting", "pct_with_contact", "DSLs who made a non-urgent MASH contact (%)", "%.1f%%",
                                whole=True, tick="%d%%", cap=100))
    overlap = (report.get("weighted") or {}).get("overlap") or []
    if overlap:
        charts.append(_overlap_chart(overlap))
    if (report.get("early_help") or {}).get("per_month"):
        charts.append(_early_help_chart(report["early_help"]))
    return charts


def bar_chart(key: str, title: str, names: list[str], series: list[list[float]], legend: list[str] | None = None,
              label_format: str | None = "%.0f") -> Chart:
    """A titled bar chart of counts, one or more series over ``names``, with its data table and a
    sentence describing it for people who cannot see it; for other features' pages."""
    fills = [TREATMENT_COLOUR, COMPARISON_COLOUR, SECOND_COLOUR][:len(series)]
    spec = Bars(series, [names], fills, label_format or "%.0f", whole=True, legend=legend)
    drawing = _bar_chart(spec, title)
    if label_format is None:
        drawing.contents[0].barLabelFormat = None
    labels = legend or [title]
    rows = [[name] + [_shown(values[i], "%.0f") for values in series] for i, name in enumerate(names)]
    listed = "; ".join(f"{row[0]}: " + ", ".join(f"{label} {cell}" for label, cell in zip(labels, row[1:]))
                       for row in rows)
    return Chart(key, title, f"{title}. {listed}.", drawing, [""] + labels, rows)
