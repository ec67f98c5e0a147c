"""One rule for London wall-clock times and one reader of dates, checked at the edges where the
clocks change and against the zone database's own offsets."""

from datetime import date, datetime, time, timedelta, timezone

import pandas as pd
import pytest

from core.timefmt import LONDON, london_series_to_utc, london_to_utc, parse_day

# (London wall clock, UTC as stored): the nights of 28 March and 31 October 2021.
EDGES = [
    ("2021-03-28 00:30", "2021-03-28 00:30"),  # GMT, before the change
    ("2021-03-28 00:59", "2021-03-28 00:59"),
    ("2021-03-28 01:00", "2021-03-28 01:00"),  # skipped: read as GMT, as if not yet gone forward
    ("2021-03-28 01:30", "2021-03-28 01:30"),
    ("2021-03-28 01:59", "2021-03-28 01:59"),
    ("2021-03-28 02:00", "2021-03-28 01:00"),  # British Summer Time
    ("2021-10-31 00:30", "2021-10-30 23:30"),  # BST
    ("2021-10-31 01:00", "2021-10-31 00:00"),  # repeated: read as the first time, still BST
    ("2021-10-31 01:30", "2021-10-31 00:30"),
    ("2021-10-31 01:59", "2021-10-31 00:59"),
    ("2021-10-31 02:00", "2021-10-31 02:00"),  # GMT again
    ("2021-07-01 12:00", "2021-07-01 11:00"),
    ("2021-12-01 12:00", "2021-12-01 12:00"),
]


@pytest.mark.parametrize(("wall", "utc"), EDGES)
def test_scalar_conversion_at_the_clock_changes(wall, utc):
    local = datetime.fromisoformat(wall)
    assert london_to_utc(local.date(), local.time()) == datetime.fromisoformat(utc)


def test_vectorised_conversion_gives_the_same_answers_as_the_scalar_one():
    walls = pd.Series(pd.to_datetime([wall for wall, _ in EDGES]))
    converted = london_series_to_utc(walls)
    assert [value.to_pydatetime() for value in converted] == [datetime.fromisoformat(utc) for _, utc in EDGES]
    assert london_series_to_utc(walls.iloc[0:0]).empty


def test_every_quarter_hour_of_2021_agrees_and_matches_the_zone_database_where_unambiguous():
    walls = pd.Series(pd.date_range("2021-01-01", "2021-12-31 23:45", freq="15min"))
    vectorised = london_series_to_utc(walls).tolist()
    for wall, stored in zip(walls.tolist(), vectorised):
        scalar = london_to_utc(wall.date(), wall.time())
        assert scalar == stored.to_pydatetime(), wall
        # Away from the changes, an independent reading: the offset zoneinfo gives that instant.
        back = scalar.replace(tzinfo=timezone.utc).astimezone(LONDON).replace(tzinfo=None)
        if back == wall.to_pydatetime():
            continue
        assert wall.month == 3 and wall.hour == 1, wall  # only the skipped hour reads differently
        assert back == wall.to_pydatetime() + timedelta(hours=1)


def test_contacts_in_the_skipped_and_repeated_hours_are_stored_by_the_same_rule(runner, tmp_path):
    from sqlalchemy import select

    from cohorts.models import MashRecord
    from core.extensions import db

    path = tmp_path / "edges.csv"
    rows = [f"E-{n},{wall},Police,Email,referral" for n, (wall, _) in enumerate(EDGES)]
    path.write_text("contact_id,received_at,source,method,classification\n" + "\n".join(rows) + "\n")
    result = runner.invoke(args=["import", "contacts", str(path)])
    assert result.exit_code == 0, result.output
    stored = dict(db.session.execute(select(MashRecord.contact_id, MashRecord.received_at)).all())
    for n, (wall, utc) in enumerate(EDGES):
        local = datetime.fromisoformat(wall)
        assert stored[f"E-{n}"] == datetime.fromisoformat(utc) == london_to_utc(local.date(), local.time())


@pytest.mark.parametrize(("text", "day"), [
    ("2020-09-17", date(2020, 9, 17)), ("17/09/2020", date(2020, 9, 17)), ("17/9/2020", date(2020, 9, 17)),
    (" 1/2/2024 ", date(2024, 2, 1)), ("29/02/2024", date(2024, 2, 29)),
])
def test_a_day_is_read_iso_or_day_first(text, day):
    assert parse_day(text) == day


@pytest.mark.parametrize("text", ["", None, "31/02/2021", "2021-02-29", "2020-9-17", "09/17/2020", "17-09-2020",
                                  "17 09 2020", "2020-09-17T10:30", "tomorrow", "17/09/20"])
def test_anything_else_is_not_a_day(text):
    assert parse_day(text) is None


def test_midnight_is_never_skipped_in_london():
    # The outcome window's bounds are London midnights; they must exist on every day.
    for offset in range(366 * 2):
        day = date(2020, 1, 1) + timedelta(days=offset)
        assert london_to_utc(day, time(0)).replace(tzinfo=timezone.utc).astimezone(LONDON).time() == time(0)


def test_forms_commands_and_import_files_read_the_same_days():
    from core.imports import parse_dates

    texts = ["2020-09-17", "17/09/2020", "17/9/2020", "1/2/2024", "29/02/2024", "31/02/2021", "2021-02-29",
             "2020-9-17", "09/17/2020", "17-09-2020", "17 09 2020", "tomorrow", "17/09/20", "0/1/2020", "2020-00-10"]
    from_files = parse_dates(pd.Series(texts), with_time=False)
    for text, parsed in zip(texts, from_files):
        expected = parse_day(text)
        assert (None if pd.isna(parsed) else parsed.date()) == expected, text
