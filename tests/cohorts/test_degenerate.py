"""Degenerate data: a trained group that made no calls at all, and counts less spread than Poisson
with groups that their schools tell apart exactly. Every figure that cannot be estimated is null
with a plain-English note, and no library message (statsmodels' "Inverting hessian failed", a
convergence or separation warning, a NaN) reaches the page or any export."""

import html
import io
import json
import re
from datetime import date, datetime

import numpy as np
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import insert

from cohorts import services
from cohorts.models import MashRecord
from core.models import ImportBatch
from courses.models import Attendance
from tests.cohorts.test_reports import download_every_format

LIBRARY_TEXT = re.compile(r"hessian|inverting|warning|linalg|singular matrix|separation|traceback|statsmodels|"
                          r"failed to converge|divide by zero|overflow|invalid value|\bnan\b|\binf\b|infinity",
                          re.IGNORECASE)


def _scenario(db_session, make_school, make_dsl, make_session, kind):
    """A cohort of 40 untrained and 20 trained DSLs; ``kind`` decides their calls."""
    rng = np.random.default_rng(9)
    # The trained DSLs' schools all have many FSM pupils, the untrained DSLs' few: the propensity
    # model separates them perfectly.
    low = [make_school(fsm_percent=5.0 + i, phase="Primary") for i in range(8)]
    high = [make_school(fsm_percent=40.0 + i, phase="Primary") for i in range(4)]
    comparison = [make_dsl(school=low[i % 8]) for i in range(40)]
    treatment = [make_dsl(school=high[i % 4]) for i in range(20)]
    session = make_session("refresher", first_day=date(2020, 8, 25), capacity=50)
    db_session.execute(insert(Attendance), [{"session_id": session.id, "dsl_id": d.id, "status": "attended"}
                                            for d in treatment])
    if kind == "all-zero":
        counts = {d.id: 2 for d in comparison} | {d.id: 0 for d in treatment}
    else:  # binomial counts: less spread than Poisson, so NB2's dispersion goes to zero
        counts = {d.id: int(n) for d, n in zip(comparison, rng.binomial(4, 0.5, 40))}
        counts |= {d.id: int(n) for d, n in zip(treatment, rng.binomial(2, 0.5, 20))}
    batch = ImportBatch(kind="contacts", filename="degenerate.csv", checksum="d" * 64, source="cli", rows=1,
                        created=1, updated=0, unchanged=0)
    db_session.add(batch)
    db_session.flush()
    emails = {d.id: d.email for d in comparison + treatment}
    rows = [{"contact_id": f"D-{dsl_id}-{n}-{c}", "received_at": datetime(2020, 10 + n % 3, 1 + n, 10), "source": "School",
             "method": "Telephone", "classification": c, "referrer_email": emails[dsl_id], "dsl_id": dsl_id,
             "import_batch_id": batch.id}
            for dsl_id, times in counts.items() for n in range(times)
            for c in ("contact", "referral")]
    db_session.execute(insert(MashRecord), rows)
    db_session.commit()
    cohort = services.create_cohort(services.Definition(kind, ["refresher"], (date(2020, 8, 1), date(2020, 8, 31)),
                                                        (date(2020, 9, 1), date(2020, 12, 31)),
                                                        (date(2020, 1, 1), date(2020, 4, 30))))
    db_session.commit()
    return cohort


def _walk(value, key=""):
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _walk(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key)
    else:
        yield key, value


@pytest.mark.parametrize("kind", ["all-zero", "underdispersed"])
def test_no_library_message_reaches_the_page_or_any_export(kind, client, login_as, db_session, make_school, make_dsl,
                                                         make_session):
    cohort = _scenario(db_session, make_school, make_dsl, make_session, kind)
    login_as("evaluator")
    query = "annual_calls=2150&annual_cost=570825"
    page = client.get(f"/cohorts/{cohort.id}?{query}")
    assert page.status_code == 200
    texts = {"page": html.unescape(re.sub(r"<[^>]+>", " ", page.get_data(as_text=True)))}
    downloads = download_every_format(client, cohort, query)
    texts["json"] = downloads["json"].decode()
    texts["csv"] = downloads["csv"].decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(downloads["xlsx"]), read_only=True)
    texts["xlsx"] = " ".join(str(v) for sheet in workbook for row in sheet.iter_rows(values_only=True) for v in row
                             if v is not None)
    workbook.close()
    texts["pdf"] = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(downloads["pdf"])).pages)
    texts = {where: " ".join(text.split()) for where, text in texts.items()}
    # The PDF's methods name the libraries that made the figures, with their versions, on purpose.
    texts["pdf"] = re.sub(r"Software Version .*? Import batches", "", texts["pdf"])
    for where, text in texts.items():
        found = LIBRARY_TEXT.search(text)
        assert not found, f"{where}: {text[max(0, found.start() - 150):found.end() + 80]!r}"

    def refuse(constant):
        raise AssertionError(f"JSON holds {constant}")

    figures = json.loads(texts["json"], parse_constant=refuse)
    for key, value in _walk(figures):
        if "ratio" in key and isinstance(value, float):
            assert 1e-3 <= value <= 1e3, (key, value)
    if kind == "all-zero":
        block = figures["exposure_time"]
        assert block["contacts_rate_ratio"] is None and "the treatment group made no contacts" in block["note"]
        assert figures["models"]["unadjusted"]["rate_ratio"] is None
        assert figures["pre_post"]["did_rate_ratio"] is None and figures["pre_post"]["note"]
        assert figures["projection"]["withheld"] and figures["projection"]["calls_avoided"] is None
        assert "the treatment group made no contacts" in texts["page"]
    else:
        assert figures["models"]["unadjusted"]["model"] == "Poisson with robust standard errors, unadjusted"
        assert "dispersion went to zero" in figures["models"]["unadjusted"]["note"]
        assert figures["weighted"]["contacts_rate_ratio"] is None and "do not overlap" in figures["weighted"]["note"]
        assert "do not overlap" in texts["page"] and "dispersion went to zero" in texts["pdf"]
