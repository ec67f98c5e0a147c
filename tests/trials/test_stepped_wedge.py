"""A stepped wedge: schools randomised to waves (terms), each wave's DSLs listed for trainers to
invite, with a CSV of their addresses; and the arms of schools and DSLs for the trial's analysis."""

import csv
import io

import pytest
from sqlalchemy import func, select

from trials import services
from trials.models import TrialAllocation


@pytest.fixture
def county(make_school, make_dsl):
    """Twenty-four schools over two districts and two phases, each with two DSLs."""
    schools = [make_school(urn=400000 + n, district=("Rugby", "Warwick")[n % 2], phase=("Primary", "Secondary")[n // 12],
                           pupils=100 + 40 * n) for n in range(24)]
    for school in schools:
        for k in range(2):
            make_dsl(school=school, email=f"lead{k}.{school.urn}@school.example.org", name=f"Lead {k} of {school.urn}")
    return schools


def test_waves_command_puts_every_school_in_one_wave(runner, county):
    result = runner.invoke(args=["trials", "allocate", "wedge", "--strata", "district,phase", "--seed", "2027",
                                 "--waves", "3"])
    assert result.exit_code == 0, result.output
    record = services.allocation_by_name("wedge")
    assert record.design == "stepped-wedge" and record.arms == ["wave 1", "wave 2", "wave 3"]
    rows = services.allocation_rows(record)
    assert sorted(row["urn"] for row in rows) == [school.urn for school in county]
    assert all(row["wave"] == int(row["arm"].split()[1]) for row in rows)
    for stratum in {row["stratum"] for row in rows}:
        sizes = [sum(1 for row in rows if row["stratum"] == stratum and row["wave"] == wave) for wave in (1, 2, 3)]
        assert max(sizes) - min(sizes) <= 1 and sum(sizes) == 6
    named = runner.invoke(args=["trials", "allocate", "terms", "--seed", "1", "--waves", "autumn-2027,spring-2028"])
    assert named.exit_code == 0, named.output
    assert services.allocation_by_name("terms").arms == ["autumn-2027", "spring-2028"]


@pytest.mark.parametrize("args, status, message", [
    (["--waves", "1"], 1, "A stepped wedge has between 2 and 12 waves"),
    (["--waves", "13"], 1, "A stepped wedge has between 2 and 12 waves"),
    (["--waves", "autumn,Autumn"], 1, "Give each wave a different name"),
    (["--waves", "3", "--arms", "a,b"], 2, "give --arms or --waves, not both"),
])
def test_waves_command_refuses_bad_input_in_one_line(runner, county, db_session, args, status, message):
    result = runner.invoke(args=["trials", "allocate", "bad", "--seed", "1", *args])
    assert result.exit_code == status and message in result.output and result.output.count("\n") == 1
    assert db_session.scalar(select(func.count()).select_from(TrialAllocation)) == 0


def test_trainers_see_each_waves_dsls_and_their_addresses(client, login_as, county, runner):
    runner.invoke(args=["trials", "allocate", "wedge", "--strata", "phase", "--seed", "7", "--waves", "2"])
    record = services.allocation_by_name("wedge")
    arms = services.school_arms(record)
    wave_two = set(arms.loc[arms["wave"] == 2, "school_urn"])
    login_as("trainer")
    page = client.get(f"/trials/allocations/{record.id}").get_data(as_text=True)
    assert "DSLs to invite" in page and "Addresses (CSV)" in page
    listing = client.get(f"/trials/allocations/{record.id}/arms/2").get_data(as_text=True)
    assert "24 DSLs" in listing
    for school in county:
        assert (f"lead0.{school.urn}@school.example.org" in listing) == (school.urn in wave_two)
    download = client.get(f"/trials/allocations/{record.id}/arms/2/addresses.csv")
    assert download.headers["Content-Disposition"].startswith("attachment; filename=wedge-wave-2-addresses.csv")
    table = list(csv.DictReader(io.StringIO(download.get_data().decode("utf-8-sig"))))
    assert list(table[0]) == ["name", "email", "role", "school_urn", "school_name", "arm", "wave"]
    assert len(table) == 24 and {int(row["school_urn"]) for row in table} == wave_two
    assert {(row["arm"], row["wave"]) for row in table} == {("wave 2", "2")}
    assert client.get(f"/trials/allocations/{record.id}/arms/3").status_code == 404


def test_the_dsl_list_comes_a_page_at_a_time(client, login_as, make_school, make_dsl, runner):
    school = make_school(urn=410000)
    make_school(urn=410001)
    for n in range(130):
        make_dsl(school=school, email=f"person{n:03}@big.example.org", name=f"Person {n:03}")
    runner.invoke(args=["trials", "allocate", "big", "--seed", "3", "--waves", "2"])
    record = services.allocation_by_name("big")
    number = 1 + record.arms.index(services.school_arms(record).set_index("school_urn").loc[410000, "arm"])
    login_as("admin")
    first = client.get(f"/trials/allocations/{record.id}/arms/{number}").get_data(as_text=True)
    second = client.get(f"/trials/allocations/{record.id}/arms/{number}?page=2").get_data(as_text=True)
    assert "130 DSLs" in first and "Person 000" in first and "Person 099" in first and "Person 100" not in first
    assert "Person 129" in second and "Person 000" not in second


def test_a_parallel_trial_invites_every_arm_but_the_comparison_arm(client, login_as, county, runner):
    runner.invoke(args=["trials", "allocate", "rct", "--seed", "5", "--arms", "control,online,in-person"])
    record = services.allocation_by_name("rct")
    login_as("trainer")
    assert client.get(f"/trials/allocations/{record.id}/arms/1").status_code == 404
    assert client.get(f"/trials/allocations/{record.id}/arms/1/addresses.csv").status_code == 404
    assert client.get(f"/trials/allocations/{record.id}/arms/2").status_code == 200
    assert client.get(f"/trials/allocations/{record.id}/arms/3/addresses.csv").status_code == 200
    assert "Comparison: not invited" in client.get(f"/trials/allocations/{record.id}").get_data(as_text=True)


def test_evaluators_see_the_allocation_but_not_the_addresses(client, login_as, county, runner):
    runner.invoke(args=["trials", "allocate", "wedge", "--seed", "7", "--waves", "2"])
    record = services.allocation_by_name("wedge")
    login_as("evaluator")
    page = client.get(f"/trials/allocations/{record.id}").get_data(as_text=True)
    assert "wave 1" in page and "DSLs to invite" not in page and "@school.example.org" not in page
    assert client.get(f"/trials/allocations/{record.id}/arms/1").status_code == 403


def test_each_dsl_is_in_their_schools_arm(county, runner, make_school, make_dsl, db_session):
    runner.invoke(args=["trials", "allocate", "rct", "--strata", "district", "--seed", "11"])
    record = services.allocation_by_name("rct")
    schools = services.school_arms(record).set_index("school_urn")
    assert len(schools) == 24 and schools["wave"].isna().all()
    dsls = services.dsl_arms(record)
    assert len(dsls) == 48
    overview = services.arm_overview(record)
    assert {row["arm"]: (row["schools"], row["dsls"]) for row in overview} == {
        arm: (int((schools["arm"] == arm).sum()), int((dsls["arm"] == arm).sum())) for arm in record.arms}
    for row in dsls.itertuples():
        assert row.arm == schools.loc[row.school_urn, "arm"]
    # A DSL who moves to a school in the other arm moves with it; a school added later has no arm.
    mover = county[0].dsls[0]
    other = next(s for s in county if schools.loc[s.urn, "arm"] != schools.loc[county[0].urn, "arm"])
    mover.school = other
    make_dsl(school=make_school(urn=499999))
    db_session.commit()
    moved = services.dsl_arms(record).set_index("dsl_id")
    assert moved.loc[mover.id, "arm"] == schools.loc[other.urn, "arm"]
    assert len(moved) == 48 and 499999 not in set(moved["school_urn"])


def test_the_allocation_form_makes_a_stepped_wedge(client, login_as, county, db_session):
    login_as("evaluator")
    data = {"name": "web-wedge", "design": "stepped-wedge", "strata": ["phase"], "arms": "", "waves": "4",
            "seed": "99"}
    assert client.post("/trials/allocations/new", data=data).status_code == 302
    record = services.allocation_by_name("web-wedge")
    assert record.design == "stepped-wedge" and record.arms == ["wave 1", "wave 2", "wave 3", "wave 4"]
    page = client.post("/trials/allocations/new", data={**data, "name": "no-waves", "waves": ""}).get_data(as_text=True)
    assert "govuk-error-summary" in page and "Give between 2 and 12 waves, separated by commas" in page
    assert db_session.scalar(select(func.count()).select_from(TrialAllocation)) == 1
