"""The outcome report as a PDF a director can read and an evaluator can sign.

The first page says in plain English what was done, the main finding with its uncertainty and
what it does not show. Then come the caveats the figures raise, the methods (design, windows, the
days-at-risk rule, the models, the software, the import batches with their checksums and the
analysis plan), the findings table in the layout of the first evaluation with its charts, and
every other table. Every page carries the cohort's name, the page number of the whole ("Page 2 of
6"), the date it was made and the service's version. Headings are kept with what follows them.

Built on the service's PDF foundation (core.pdf: DejaVu embedded). Pure: a report dict and its
context in, bytes out.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, Spacer, Table
from reportlab.platypus.flowables import Flowable

from cohorts import caveats as caveat_rules
from cohorts.charts import Chart, outcome_charts
from cohorts.display import Table as ReportTable
from cohorts.display import change_sentence, design, findings, outcome_tables
from core import pdf
from core.pdf import fonts
from core.timefmt import today_london, uk_date, uk_datetime

SUPPRESSED = "c"
MARGIN = 15 * mm
FOOT_SIZE = 9  # the running head and foot
FRAME_WIDTH = A4[0] - 2 * MARGIN
RULE = colors.HexColor("#b1b4b6")
SHADE = colors.HexColor("#f3f2f1")
# Tables shown in their own place (the findings table, the import batches) or in words (the summary).
FINDINGS = "outcomes"  # the table in the first evaluation's layout
NOT_IN_ALL_FIGURES = ("summary", FINDINGS, "batches")
SUPPRESSION_NOTE = ("c: a count from 1 to 4, or a figure that would let one be worked out, is suppressed to protect "
                    "the people counted. Other counts are rounded to the nearest 5, and figures derived from counts "
                    "come from the rounded counts.")


@dataclass(frozen=True)
class Context:
    """What the report says about itself besides its figures."""

    council: str = ""
    generated: date | None = None  # the day it is made (London), today when not given
    app_version: str = ""
    software: list[tuple[str, str]] = field(default_factory=list)  # (name, version)
    plan: dict | None = None  # the locked analysis plan that registered this analysis, if any


class Styles(pdf.Styles):
    def __init__(self):
        super().__init__()
        self.title = self.make("report-title", 20, bold=True, after=4, leading=24)
        self.h2 = self.make("report-h2", 14, bold=True, before=10, after=4, leading=17)
        self.h3 = self.make("report-h3", 11.5, bold=True, before=6, after=3, leading=14)
        self.lead = self.make("report-lead", 12, bold=True, after=6, leading=16)
        self.body = self.make("report-body", 10, after=5, leading=13.5)
        self.meta = self.make("report-meta", 9.5, after=8, colour=pdf.SECONDARY_INK)
        self.cell = self.make("report-cell", 9, leading=11)
        self.cell_head = self.make("report-cell-head", 9, bold=True, leading=11)
        self.number = self.make("report-number", 9, leading=11, align=TA_RIGHT)
        self.number_head = self.make("report-number-head", 9, bold=True, leading=11, align=TA_RIGHT)
        self.note = self.make("report-note", 9, leading=11, after=6, colour=pdf.SECONDARY_INK)
        for style in (self.h2, self.h3):
            style.keepWithNext = 1


class Heading(Paragraph):
    """A heading: kept on the page of what follows it."""


# -- small builders ---------------------------------------------------------------------------


def _p(text: str, style) -> Paragraph:
    return Paragraph(pdf.safe(text), style)


def _bold_lead(title: str, text: str, style) -> Paragraph:
    return Paragraph(f"<b>{pdf.safe(title)}:</b> {pdf.safe(text)}", style)


def _grid(data: list[list], widths, numeric=()) -> Table:
    commands = [("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3), ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4)]
    return pdf.styled(Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT"), commands)


def _widths(columns: int) -> list[float]:
    if columns == 2:
        return [FRAME_WIDTH * 0.65, FRAME_WIDTH * 0.35]
    if columns == 3:
        return [FRAME_WIDTH * 0.5, FRAME_WIDTH * 0.25, FRAME_WIDTH * 0.25]
    # With six or more columns the first narrows so that every header word fits its column whole.
    first = FRAME_WIDTH * (0.3 if columns < 6 else 0.22 if columns == 6 else 0.18)
    return [first] + [(FRAME_WIDTH - first) / (columns - 1)] * (columns - 1)


def _text_table(head: list[str], rows: list[list[str]], styles: Styles, numeric=(), widths=None) -> Table:
    data = [[_p(h, styles.number_head if i in numeric else styles.cell_head) for i, h in enumerate(head)]]
    data += [[_p(text, styles.number if i in numeric else styles.cell) for i, text in enumerate(row)] for row in rows]
    return _grid(data, widths or _widths(len(head)))


def _cell_text(cell) -> str:
    return SUPPRESSED if cell.value == SUPPRESSED else cell.text


def _has_suppressed(table: ReportTable) -> bool:
    return any(cell.value == SUPPRESSED for row in table.rows for cell in row)


def _report_table(table: ReportTable, styles: Styles, suppressed: bool) -> list[Flowable]:
    numeric = table.numeric_columns
    grid = _text_table(table.head, [[_cell_text(cell) for cell in row] for row in table.rows], styles, numeric)
    out = [Heading(pdf.safe(table.title), styles.h3), grid, Spacer(1, 3 * mm)]
    if suppressed and _has_suppressed(table):
        out.insert(2, _p(SUPPRESSION_NOTE, styles.note))
    return out


def _chart(chart: Chart, number: int, styles: Styles) -> list[Flowable]:
    """The chart, its caption and its data table, kept together on one page."""
    numeric = tuple(range(1, len(chart.head)))
    table = _text_table(chart.head, chart.rows, styles, numeric)
    caption = _p(f"Figure {number}: {chart.title}. The figures it draws:", styles.note)
    return [KeepTogether([chart.drawing, Spacer(1, 2 * mm), caption, table]), Spacer(1, 5 * mm)]


# -- the sections -----------------------------------------------------------------------------


def _first_page(figures: dict, context: Context, styles: Styles) -> list[Flowable]:
    story = [Heading(pdf.safe(f"Outcome report: {figures['cohort']}"), styles.title)]
    made = f"Made on {uk_date(context.generated)}" + (f" by {context.council}" if context.council else "")
    story.append(_p(f"{made} with Right Support version {context.app_version}.", styles.meta))
    if figures.get("suppressed"):
        story.append(_p("Prepared for publication: small numbers are suppressed (shown as c) and other counts "
                        "are rounded to the nearest 5.", styles.note))
    story.append(Heading("What was done", styles.h2))
    story += [_p(text, styles.body) for text in design(figures)]
    story.append(Heading("The main finding", styles.h2))
    story += _main_finding(figures, styles)
    story += _in_numbers(figures, styles)
    story.append(Heading("What it does not show", styles.h2))
    story += [_p(text, styles.body) for text in _limits(figures)]
    return story


def _main_finding(figures: dict, styles: Styles) -> list[Flowable]:
    block = figures.get("exposure_time") or {}
    note = block.get("note") or (figures.get("notes") or {}).get("exposure_time")
    ratio, interval = block.get("contacts_rate_ratio"), block.get("contacts_ci95")
    if not isinstance(ratio, (int, float)) or not interval or not all(isinstance(b, (int, float)) for b in interval):
        return [_p(f"The effect on non-urgent contacts was not estimated: {note or 'the figures do not allow it'}.",
                   styles.lead)]
    out = [_p(change_sentence("Trained DSLs made", ratio, interval, "non-urgent MASH contacts per day at risk",
                              "untrained DSLs", note), styles.lead),
           _p(f"As a rate ratio, trained over untrained: {ratio:.2f} (95% confidence interval {interval[0]:.2f} to "
              f"{interval[1]:.2f}). The interval is the range of effects the data are consistent with; "
              + ("it includes 1, no difference at all." if interval[0] <= 1 <= interval[1]
                 else "it does not include 1, no difference."), styles.body)]
    referrals, safety = block.get("referrals_rate_ratio"), block.get("referrals_ci95")
    if isinstance(referrals, (int, float)) and safety and all(isinstance(b, (int, float)) for b in safety):
        out.append(_p("Urgent referrals, the safety outcome: " + change_sentence(
            "trained DSLs made", referrals, safety, "referrals per day at risk", "untrained DSLs", None), styles.body))
    return out


def _count(value) -> str:
    if value == SUPPRESSED:
        return SUPPRESSED
    return f"{value:,}" if isinstance(value, (int, float)) and not isinstance(value, bool) else "not available"


def _per_thousand(group: dict, key: str) -> str:
    events, days = group.get(key), group.get("person_days")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (events, days)) or not days:
        return SUPPRESSED if SUPPRESSED in (events, days) else "not available"
    return f"{1000 * events / days:.2f}"


def _in_numbers(figures: dict, styles: Styles) -> list[Flowable]:
    """The counts behind the main finding, untrained beside trained."""
    block = figures.get("exposure_time") or {}
    groups = [block.get("comparison"), block.get("treatment")]
    if not all(groups):
        return []
    rows = [["DSLs with days at risk"] + [_count(g.get("dsls")) for g in groups],
            ["Days at risk"] + [_count(g.get("person_days")) for g in groups],
            ["Non-urgent contacts on those days"] + [_count(g.get("contacts")) for g in groups],
            ["Contacts per 1,000 days at risk"] + [_per_thousand(g, "contacts") for g in groups],
            ["Urgent referrals on those days"] + [_count(g.get("referrals")) for g in groups],
            ["Referrals per 1,000 days at risk"] + [_per_thousand(g, "referrals") for g in groups]]
    return [Spacer(1, 2 * mm), _text_table(["In numbers", "Untrained DSLs", "Trained DSLs"], rows, styles, (1, 2)),
            Spacer(1, 2 * mm)]


def _limits(figures: dict) -> list[str]:
    found = caveat_rules.caveats(figures)
    out = ["It does not show that the training caused the difference. DSLs chose to be trained, and the groups are "
           "compared as they are, not as a trial would make them.",
           "It does not say whether fewer contacts left any child less safe: that needs a look at the cases behind "
           "the urgent referrals and the Early Help consultations. It counts only calls that could be linked to a "
           "DSL on the register."]
    if len(found) > 1:
        out.append(f"The figures raise {len(found)} caveats, listed overleaf: "
                   + "; ".join(c.title.lower() for c in found) + ".")
    return out


def _findings(figures: dict, styles: Styles) -> list[Flowable]:
    """Each estimate in a sentence, with what it means and what it cannot show."""
    story = [Heading("What each estimate finds", styles.h2)]
    for finding in findings(figures):
        story.append(KeepTogether([Heading(pdf.safe(finding.title), styles.h3),
                                   _p(finding.finding, styles.body), _p(finding.means, styles.body),
                                   _bold_lead("What it cannot show", finding.limits, styles.body)]))
    return story


def _caveats(figures: dict, styles: Styles) -> list[Flowable]:
    story = [Heading("Caveats", styles.h2),
             _p("Worked out from this report's own figures: each one is shown only when the data raise it.", styles.note)]
    for caveat in caveat_rules.caveats(figures):
        story.append(KeepTogether([Heading(pdf.safe(caveat.title), styles.h3), _p(caveat.text, styles.body)]))
    return story


def _methods(figures: dict, context: Context, styles: Styles) -> list[Flowable]:
    story = [Heading("Methods", styles.h2), Heading("Design", styles.h3)]
    story.append(_p("An observational comparison of DSLs who attended training with DSLs who did not, made from "
                    "the service's own records. The groups were not randomised. The cohort's membership was frozen "
                    + _frozen(figures) + ", so later changes to the register do not move DSLs between groups.",
                    styles.body))
    story += [Heading("Windows", styles.h3), _windows(figures, styles), Spacer(1, 2 * mm)]
    story += [Heading("Days at risk", styles.h3), _p(DAYS_AT_RISK, styles.body)]
    story += [Heading("Models", styles.h3)] + [_p(text, styles.body) for text in _models(figures)]
    story += [Heading("Software", styles.h3),
              _text_table(["Software", "Version"], [["Right Support", context.app_version]]
                          + [[name, version] for name, version in context.software], styles)]
    story += [Spacer(1, 2 * mm), Heading("Import batches", styles.h3)] + _batches(figures, styles)
    story += [Heading("Analysis plan", styles.h3)] + _plan(context.plan, styles)
    return story


DAYS_AT_RISK = ("Each DSL's calls count only on their days at risk. A trained DSL's days run from the later of the "
                "outcome window's start and the day after the last day of their first qualifying session in the "
                "exposure window, to the window's end. An untrained DSL's run from the window's start to the earlier "
                "of its end and the day before the first day of any qualifying session of their own. A DSL with no "
                "day at risk is left out of the figures per day at risk. This stops calls made before training "
                "counting as trained, and untrained DSLs who train later counting as untrained afterwards.")


def _frozen(figures: dict) -> str:
    membership = figures.get("membership") or {}
    when = membership.get("recomputed_at") or membership.get("frozen_at")
    if not when:
        return "when the cohort was made"
    return "on " + uk_datetime(datetime.fromisoformat(when.rstrip("Z")))


def _span(pair) -> str:
    """Two ISO days as "1 September 2020 to 30 September 2020"; "None" for no window."""
    return f"{uk_date(date.fromisoformat(pair[0]))} to {uk_date(date.fromisoformat(pair[1]))}" if pair else "None"


def _windows(figures: dict, styles: Styles) -> Table:
    d = figures["definition"]
    rows = [["Courses", ", ".join(d["courses"])], ["Exposure window (first day of a session)", _span(d["exposure"])],
            ["Outcome window (MASH records received)", _span(d["outcome"])],
            ["Pre-period (before training)", _span(d.get("pre"))]]
    return _text_table(["Window", "Dates (both ends included)"], rows, styles,
                       widths=[FRAME_WIDTH * 0.45, FRAME_WIDTH * 0.55])


def _models(figures: dict) -> list[str]:
    out = []
    exposure = figures.get("exposure_time") or {}
    if exposure.get("model"):
        out.append(f"Main estimate: {exposure['model']}; rate ratios are exp(coefficient), intervals exp of the 95% "
                   "confidence limits. Referrals, the safety outcome, use the same model. The software that fitted "
                   "the models is listed below.")
    if (figures.get("pre_post") or {}).get("model"):
        out.append(f"Before and after: {figures['pre_post']['model']}.")
    weighted = figures.get("weighted") or {}
    if weighted.get("method"):
        out.append(f"Weighted: {weighted['method']}; {weighted.get('interval') or 'interval as documented'}.")
    if (figures.get("school_level") or {}).get("model"):
        out.append(f"School level: {figures['school_level']['model']}.")
    effect = figures.get("effect") or {}
    out.append(f"As the first evaluation worked it out: {effect.get('test', 'a two-sample test')} on each DSL's "
               "contacts over the whole outcome window; the risk ratio of making a contact with its log (Katz) "
               f"interval and {effect.get('with_contact_test') or 'a test of the proportions'}; "
               + "; ".join(m["model"] for m in (figures.get("models") or {}).values()) + ".")
    out.append("Balance: standardised mean differences (SMD) of school size, free school meals and phase; an SMD "
               "beyond 0.1 either way is flagged.")
    return out


def _batches(figures: dict, styles: Styles) -> list[Flowable]:
    batches = figures.get("batches") or []
    if not batches:
        return [_p("No imported records lie behind these figures.", styles.body)]
    rows = [[str(b["id"]), b["kind"], b["filename"], _imported(b.get("imported_at")), f"{b['rows']:,}",
             b["checksum"]] for b in batches]
    widths = [15 * mm, 22 * mm, 35 * mm, 30 * mm, 18 * mm, FRAME_WIDTH - 120 * mm]
    return [_p("The files the counted records came from, each with the SHA-256 checksum of the file as it was "
               "imported: a file that gives the same checksum is the same file.", styles.body),
            _text_table(["Batch", "Kind", "File", "Imported", "Rows", "SHA-256"], rows, styles, (0, 4), widths),
            Spacer(1, 2 * mm)]


def _imported(stamp: str | None) -> str:
    return uk_datetime(datetime.fromisoformat(stamp.rstrip("Z"))) if stamp else ""


def _plan(plan: dict | None, styles: Styles) -> list[Flowable]:
    if not plan:
        return [_p("No analysis plan was registered for this cohort: no locked plan has its outcome window (and "
                   "pre-period). The analyses were not specified in advance, so read them as exploratory.",
                   styles.body)]
    rows = [[label, str(plan[key])] for key, label in PLAN_ROWS if plan.get(key) not in (None, "", [])]
    return [_p(f"This analysis was registered in advance: the locked analysis plan {plan['name']}, version "
               f"{plan['version']}, has this cohort's windows.", styles.body),
            _text_table(["Plan", "As locked"], rows, styles)]


PLAN_ROWS = (("locked", "Locked"), ("sha256", "SHA-256 of the locked plan"), ("allocation", "Allocation"),
             ("primary_outcome", "Primary outcome"), ("secondary_outcomes", "Secondary outcomes"),
             ("model", "Model"), ("covariates", "Covariates"), ("outcome_window", "Outcome window"),
             ("pre_window", "Pre window"), ("minimums", "Minimum group sizes"),
             ("amendment_reason", "Reason for amendment"))


def _figures(figures: dict, styles: Styles) -> list[Flowable]:
    """The findings table in the first evaluation's layout, then every other table; each chart after
    the table it draws (a chart whose table is not shown comes after the findings table)."""
    suppressed = bool(figures.get("suppressed"))
    tables = outcome_tables(figures)
    findings = [t for t in tables if t.key == FINDINGS]
    rest = [t for t in tables if t.key not in NOT_IN_ALL_FIGURES]
    charts = outcome_charts(figures)
    placed = {t.key for t in findings + rest}
    numbered = iter(range(1, len(charts) + 1))  # figures are numbered in the order they appear

    def drawn_after(key: str) -> list[Flowable]:
        out = []
        for chart in charts:
            if chart.after == key or (key == FINDINGS and chart.after not in placed):
                out += _chart(chart, next(numbered), styles)
        return out

    lead = []
    for table in findings:
        lead += _report_table(table, styles, suppressed) + drawn_after(table.key)
    lead = lead or drawn_after(FINDINGS)
    story = [PageBreak()] + ([Heading("Findings", styles.h2)] + lead if lead else [])
    story.append(Heading("All figures", styles.h2))
    for table in rest:
        story += _report_table(table, styles, suppressed) + drawn_after(table.key)
    return story


def _story(figures: dict, context: Context) -> list[Flowable]:
    styles = Styles()
    story = _first_page(figures, context, styles) + [PageBreak()]
    story += _caveats(figures, styles) + _findings(figures, styles) + _methods(figures, context, styles)
    return story + _figures(figures, styles)


@dataclass
class Layout:
    """Where each flowable landed: (page, whether it is a heading), in order."""

    placed: list[tuple[int, bool]] = field(default_factory=list)

    def last_on_each_page(self) -> dict[int, bool]:
        return {page: heading for page, heading in self.placed}


def _numbering(doc, size: float) -> type[Canvas]:
    """A canvas that holds each page back until the last is laid out, then writes "Page n of N" at
    the foot of each, where core.pdf.Edges writes a page number: one layout, not two."""

    class PagesOfWhole(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._held: list[dict] = []

        def showPage(self):
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._held)
            for number, state in enumerate(self._held, start=1):
                self.__dict__.update(state)
                self.saveState()
                self.setFont(fonts.REGULAR, size)
                self.setFillColor(colors.HexColor(pdf.SECONDARY_INK))
                self.drawRightString(doc.pagesize[0] - doc.rightMargin, doc.bottomMargin * 0.45,
                                     f"Page {number} of {total}")
                self.restoreState()
                super().showPage()
            super().save()

    return PagesOfWhole


def _build(figures: dict, context: Context, layout: Layout) -> bytes:
    name = f"Outcome report: {figures['cohort']}"
    buffer = io.BytesIO()
    doc = pdf.document(buffer, A4, pdf.DocumentInfo(name, context.council or pdf.CREATOR, _subject(figures)), MARGIN)
    footer = " \u00b7 ".join(part for part in (context.council, f"Right Support {context.app_version}",
                                                f"Made on {uk_date(context.generated)}") if part)
    doc.addPageTemplates([pdf.page_template(doc, "report", pdf.Edges(footer=footer, header=name, number=None,
                                                                     size=FOOT_SIZE, colour=pdf.SECONDARY_INK))])

    def placed(flowable):
        if not isinstance(flowable, Spacer):
            layout.placed.append((doc.page, isinstance(flowable, Heading)))

    doc.afterFlowable = placed
    doc.build(_story(figures, context), canvasmaker=_numbering(doc, FOOT_SIZE))
    return buffer.getvalue()


def _subject(figures: dict) -> str:
    d = figures["definition"]
    exposure, outcome = (_span(d[key]) for key in ("exposure", "outcome"))
    return (f"Courses {', '.join(d['courses'])}; exposure {exposure}; outcome {outcome}"
            + ("; small numbers suppressed" if figures.get("suppressed") else ""))


def build(figures: dict, context: Context) -> bytes:
    """The report's PDF."""
    return build_with_layout(figures, context)[0]


def build_with_layout(figures: dict, context: Context) -> tuple[bytes, Layout]:
    """The PDF and where its flowables landed (what the tests check headings against)."""
    context = replace(context, generated=context.generated or today_london())
    layout = Layout()
    return _build(figures, context, layout), layout
