"""Charts like the reference report's Figures 4 to 7, drawn once with reportlab graphics in the
embedded DejaVu fonts (core.pdf): embedded as they are in the PDF, rendered to SVG for the page.
Pure: a report dict in, drawings out."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from core.pdf import fonts

WIDTH, HEIGHT = 440, 230
COMPARISON_COLOUR = colors.HexColor("#505a5f")
TREATMENT_COLOUR = colors.HexColor("#00594c")
SECOND_COLOUR = colors.HexColor("#b1b4b6")
GROUP_NAMES = ["Comparison group", "Treatment group"]
SVG_FONTS = {fonts.BOLD: "'DejaVu Sans', Arial, sans-serif; font-weight: bold",
             fonts.REGULAR: "'DejaVu Sans', Arial, sans-serif"}  # the bold name first: it starts with the other


@dataclass
class Chart:
    key: str
    title: str
    description: str  # the chart's figures in words, for people who cannot see it
    drawing: Drawing

    def svg_data_uri(self) -> str:
        svg = renderSVG.drawToString(self.drawing)
        # The SVG names the fonts as ReportLab registered them; a browser knows DejaVu by its family
        # name, and falls back to a sans-serif face where it is not installed.
        for registered, family in SVG_FONTS.items():
            svg = svg.replace(f"font-family: {registered}", f"font-family: {family}")
        return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _number(value) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _bars(data, names, fills, label_format, value_max=None, legend=None) -> Drawing:
    drawing = Drawing(WIDTH, HEIGHT)
    # A drawing starts in ReportLab's default font (Helvetica, never embedded) unless told otherwise.
    drawing.initialFontName = fonts.REGULAR
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 50, 40, WIDTH - 80 - (110 if legend else 0), HEIGHT - 70
    chart.data = data
    chart.categoryAxis.categoryNames = names
    chart.categoryAxis.labels.fontName = fonts.REGULAR
    chart.categoryAxis.labels.fontSize = 9
    chart.valueAxis.valueMin = 0
    top = max([v for series in data for v in series] + [0])
    chart.valueAxis.valueMax = value_max or (top * 1.2 if top else 1)
    chart.valueAxis.labels.fontName = fonts.REGULAR
    chart.valueAxis.labels.fontSize = 8
    chart.barLabelFormat = label_format
    chart.barLabels.nudge = 7
    chart.barLabels.fontName = fonts.REGULAR
    chart.barLabels.fontSize = 8
    chart.groupSpacing = 12
    for index, fill in enumerate(fills):
        chart.bars[index].fillColor = fill
        chart.bars[index].strokeColor = None
    drawing.add(chart)
    if legend:
        key = Legend()
        key.x, key.y = WIDTH - 120, HEIGHT - 50
        key.fontName, key.fontSize = fonts.REGULAR, 8
        key.colorNamePairs = list(zip(fills, legend))
        drawing.add(key)
    return drawing


def _titled(drawing: Drawing, title: str) -> Drawing:
    drawing.add(String(10, HEIGHT - 14, title, fontName=fonts.BOLD, fontSize=10))
    return drawing


def _overlap_chart(overlap: list[dict]) -> Chart:
    """Each group's share of DSLs in each band of the propensity score, side by side."""
    totals = {group: sum(band[group] for band in overlap) or 1 for group in ("comparison", "treatment")}
    shares = [[100 * band[group] / totals[group] for band in overlap] for group in ("comparison", "treatment")]
    title = "Propensity scores: share of each group in each band (%)"
    drawing = _bars(shares, [f"{band['from']:.2f}" for band in overlap], [COMPARISON_COLOUR, TREATMENT_COLOUR],
                    "%.0f", None, GROUP_NAMES)
    drawing.contents[0].barLabelFormat = None
    listed = "; ".join(f"{band['band']}: comparison {c:.0f}%, treatment {t:.0f}%"
                       for band, c, t in zip(overlap, *shares))
    return Chart("overlap", title, f"{title}, by the lower end of each band. {listed}.", _titled(drawing, title))


def outcome_charts(report: dict) -> list[Chart]:
    fonts.register()
    c, t = report["groups"]["comparison"], report["groups"]["treatment"]
    charts = []

    means = [_number(c["mean_contacts"]), _number(t["mean_contacts"])]
    drawing = _bars([means], GROUP_NAMES, [TREATMENT_COLOUR], "%.2f")
    drawing.contents[0].bars.fillColor = TREATMENT_COLOUR
    title = "Average MASH contacts per DSL"
    charts.append(Chart("contacts-per-dsl", title,
                        f"{title}: comparison group {means[0]:.2f}, treatment group {means[1]:.2f}.",
                        _titled(drawing, title)))

    contacts = [_number(c.get("pct_calls_contacts")), _number(t.get("pct_calls_contacts"))]
    referrals = [_number(c.get("pct_calls_referrals")), _number(t.get("pct_calls_referrals"))]
    title = "Contacts and referrals as a proportion of all calls (%)"
    drawing = _bars([contacts, referrals], GROUP_NAMES, [TREATMENT_COLOUR, SECOND_COLOUR], "%.0f%%", 100,
                    ["Contacts", "Referrals"])
    charts.append(Chart("contacts-and-referrals", title,
                        f"{title}: comparison group {contacts[0]:.1f}% contacts and {referrals[0]:.1f}% referrals; "
                        f"treatment group {contacts[1]:.1f}% contacts and {referrals[1]:.1f}% referrals.",
                        _titled(drawing, title)))

    shares = [_number(c["pct_with_contact"]), _number(t["pct_with_contact"])]
    title = "DSLs who contacted MASH with a non-urgent call (%)"
    drawing = _bars([shares], GROUP_NAMES, [TREATMENT_COLOUR], "%.1f%%", 100)
    charts.append(Chart("dsls-contacting", title,
                        f"{title}: comparison group {shares[0]:.1f}%, treatment group {shares[1]:.1f}%.",
                        _titled(drawing, title)))

    overlap = (report.get("weighted") or {}).get("overlap") or []
    if overlap and all(isinstance(band[group], int) for band in overlap for group in ("comparison", "treatment")):
        charts.append(_overlap_chart(overlap))

    if "early_help" in report and report["early_help"]["per_month"]:
        months = report["early_help"]["per_month"]
        values = [_number(m["consultations"]) for m in months]
        title = "Early Help consultations per month"
        drawing = _bars([values], [m["month"] for m in months], [TREATMENT_COLOUR], "%d")
        listed = ", ".join(f"{m['month']} {m['consultations']}" for m in months)
        charts.append(Chart("early-help", title, f"{title}: {listed}.", _titled(drawing, title)))
    return charts


def bar_chart(key: str, title: str, names: list[str], series: list[list[float]], legend: list[str] | None = None,
              label_format: str | None = "%.0f") -> Chart:
    """A titled bar chart of one or more series over ``names``, described in words for people who
    cannot see it; for other features' pages."""
    fonts.register()
    fills = [TREATMENT_COLOUR, COMPARISON_COLOUR, SECOND_COLOUR][:len(series)]
    drawing = _bars([[_number(v) for v in values] for values in series], names, fills, label_format, None, legend)
    labels = legend or [title]
    listed = "; ".join(f"{name}: " + ", ".join(f"{label} {_number(values[i]):g}" for label, values in zip(labels, series))
                       for i, name in enumerate(names))
    if label_format is None:
        drawing.contents[0].barLabelFormat = None
    return Chart(key, title, f"{title}. {listed}.", _titled(drawing, title))
