"""The demo county's autumn-2020 cohort: the effect of training starts on each DSL's training day,
so counting from then finds a larger decrease than the first version's whole-window comparison;
the report page leads with the design and that finding in plain English, and every ratio is
labelled with its direction."""

import html
import io
import re

import pandas as pd
from pypdf import PdfReader

from cohorts import services
from core.demo import load_demo
from core.extensions import db

HEADLINE = re.compile(r"Trained DSLs made (\d+)% fewer non-urgent contacts per day at risk than untrained DSLs "
                      r"\(95% CI (\d+)% to (\d+)% fewer\)\.")


def test_demo_cohort_report(client, login_as, db_session):
    load_demo()
    db.session.commit()
    cohort = services.cohort_by_name("autumn-2020")
    assert (cohort.pre_start.isoformat(), cohort.pre_end.isoformat()) == ("2019-09-01", "2019-12-31")
    figures = services.cohort_report(cohort).figures
    timed, naive = figures["exposure_time"], figures["effect"]["pct_decrease"]
    assert timed["treatment"]["dsls"] == 165 and timed["note"] is None
    from_training = 100 * (1 - timed["contacts_rate_ratio"])
    assert from_training > naive + 5, (from_training, naive)  # the whole window dilutes the effect
    assert timed["contacts_ci95"][1] < 1
    assert figures["pre_post"]["did_rate_ratio"] < 1 and figures["pre_post"]["treatment"]["pre_contacts"] > 0
    assert figures["weighted"]["contacts_ci95"][1] < 1

    login_as("evaluator")
    page = html.unescape(client.get(f"/cohorts/{cohort.id}?annual_calls=2150&annual_cost=570825").get_data(as_text=True))
    order = [page.index(text) for text in ("How the groups were compared", "What the report finds", "Main finding",
                                           "Before and after", "Weighted to look alike", "School by school",
                                           "As the first evaluation worked it out", "Safety outcome", "The figures")]
    assert order == sorted(order)
    headline = HEADLINE.search(page)
    assert headline and int(headline.group(1)) == round(from_training)
    assert page.index("Calls avoided a year (from contacts per day at risk)") < page.index("Outcomes by group")
    overlap = page.index("Overlap: DSLs by propensity score")
    assert overlap < page.index('alt="Propensity scores: share of each group in each band (%)', overlap)
    assert "Pre-period" in page and "1 September 2019 to 31 December 2019" in page
    direction = "Risk ratio of making at least one contact (comparison over treatment)"
    assert direction in page and "Rate ratios (treatment over comparison)" in page
    pdf = client.get(f"/cohorts/{cohort.id}/report.pdf").get_data()
    pdf_text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert direction in pdf_text and "Rate ratios (treatment over comparison)" in pdf_text
    assert headline.group(0) in pdf_text
    # The CSV and the workbook's first sheet are the long table: the same figures, each labelled with its direction.
    for table in (pd.read_csv(io.BytesIO(client.get(f"/cohorts/{cohort.id}/report.csv").get_data())),
                  pd.read_excel(io.BytesIO(client.get(f"/cohorts/{cohort.id}/report.xlsx").get_data()))):
        rows = table.set_index("measure")
        assert "Risk ratio of making at least one non-urgent contact (comparison over treatment)" in rows.index
        timed_row = rows.loc["Rate ratio of non-urgent contacts per day at risk (treatment over comparison)"]
        assert round(100 * (1 - timed_row["value"])) == int(headline.group(1))
        assert round(100 * (1 - timed_row["high"])) == int(headline.group(2))
