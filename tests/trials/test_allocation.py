"""Randomised allocation of schools: the documented algorithm reproduced independently, balance in
every stratum over many seeds, the same answer for the same seed and register on either database,
an allocation stored for good, and the command and pages around it."""

import csv
import io
import json
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from trials import allocation as algorithm
from trials import services
from trials.models import TrialAllocation, TrialAllocationSchool

DISTRICTS = ("Rugby", "Stratford", "Warwick", None)
PHASES = ("Primary", "Secondary", "Special", None)


def register(n=120, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "urn": rng.choice(np.arange(100000, 200000), n, replace=False),
        "district": rng.choice(np.array(DISTRICTS, dtype=object), n),
        "phase": rng.choice(np.array(PHASES, dtype=object), n),
        "pupils": rng.integers(10, 1800, n),
        "fsm_percent": rng.uniform(0, 60, n).round(1),
    })


def by_the_documentation(schools: pd.DataFrame, strata: list[str], arms: list[str], seed: int) -> dict:
    """The algorithm as docs/formats.md describes it, written out step by step: {urn: arm}."""
    def band(pupils):
        return "under 200" if pupils < 200 else "200 to 599" if pupils < 600 else "600 or more"

    by_key = {}
    for school in schools.to_dict("records"):
        values = {"district": school["district"], "phase": school["phase"], "size_band": band(school["pupils"])}
        key = tuple("" if pd.isna(values[name]) else values[name] for name in ("district", "phase", "size_band")
                    if name in strata)
        by_key.setdefault(key, []).append(int(school["urn"]))
    rng = np.random.Generator(np.random.PCG64(seed))
    next_arm = int(rng.integers(len(arms)))
    out = {}
    for key in sorted(by_key):
        urns = sorted(by_key[key])
        for position in rng.permutation(len(urns)):
            out[urns[position]] = arms[next_arm]
            next_arm = (next_arm + 1) % len(arms)
    return out


@pytest.mark.parametrize("strata, arms, seed", [
    (["district", "phase"], ["control", "intervention"], 2027),
    (["size_band"], ["a", "b", "c"], 7),
    ([], ["control", "intervention"], 0),
    (["district", "phase", "size_band"], ["wave 1", "wave 2", "wave 3", "wave 4"], 2147483647),
])
def test_the_documented_algorithm_gives_the_same_allocation(strata, arms, seed):
    schools = register()
    drawn = algorithm.allocate(schools, strata, arms, seed)
    assert dict(zip(drawn["urn"].astype(int), drawn["arm"])) == by_the_documentation(schools, strata, arms, seed)


def test_every_stratum_and_every_total_is_balanced_over_200_seeds():
    schools = register(n=157, seed=3)
    checked = 0
    for seed in range(200):
        for arms in (["control", "intervention"], ["a", "b", "c"]):
            strata = list(combinations(algorithm.STRATA, seed % 4))[seed % len(list(combinations(algorithm.STRATA,
                                                                                                  seed % 4)))]
            drawn = algorithm.allocate(schools, list(strata), arms, seed)
            assert sorted(drawn["urn"]) == sorted(schools["urn"])  # every school exactly once
            sizes = drawn.groupby(["stratum", "arm"]).size().unstack(fill_value=0).reindex(columns=arms, fill_value=0)
            assert (sizes.max(axis=1) - sizes.min(axis=1)).max() <= 1
            totals = drawn["arm"].value_counts().reindex(arms, fill_value=0)
            assert totals.max() - totals.min() <= 1
            checked += len(sizes)
    assert checked > 2000


def test_each_school_has_an_equal_chance_of_each_arm():
    # Three strata of 5, 3 and 1 schools: with three arms, none divides evenly.
    keys = [("a",)] * 5 + [("b",)] * 3 + [("c",)]
    draws = np.array([algorithm.deal(keys, 3, seed) for seed in range(6000)])
    for arm in range(3):
        shares = (draws == arm).mean(axis=0)
        # 6,000 draws: the share of a fair one-in-three lies within 0.03 of it with probability above 0.9999.
        assert np.all(np.abs(shares - 1 / 3) < 0.03), shares


def test_the_same_seed_and_register_give_the_same_allocation_whatever_the_row_order():
    schools = register()
    first = algorithm.allocate(schools, ["district", "phase"], ["control", "intervention"], 2027)
    shuffled = schools.sample(frac=1, random_state=9)
    again = algorithm.allocate(shuffled, ["district", "phase"], ["control", "intervention"], 2027)
    assert first["arm"].tolist() == again["arm"].tolist() and first["urn"].tolist() == again["urn"].tolist()
    other = algorithm.allocate(schools, ["district", "phase"], ["control", "intervention"], 2028)
    assert first["arm"].tolist() != other["arm"].tolist()
    assert algorithm.register_checksum(schools) == algorithm.register_checksum(shuffled)


def test_size_bands():
    assert algorithm.size_band([0, 199, 200, 599, 600, 5000]).tolist() == [
        "under 200", "under 200", "200 to 599", "200 to 599", "600 or more", "600 or more"]


@pytest.mark.parametrize("text_, message", [
    ("district,colour", "Unknown stratum 'colour'"),
    ("district,district", "Name each stratum once"),
    ("size", "Unknown stratum 'size'"),
])
def test_bad_strata_names_are_refused(text_, message):
    with pytest.raises(algorithm.AllocationError, match=message):
        algorithm.parse_strata(text_)


def test_strata_come_in_canonical_order():
    assert algorithm.parse_strata(" Phase , district") == ["district", "phase"]
    assert algorithm.parse_strata("") == []


@pytest.mark.parametrize("text_, message", [
    ("control", "between 2 and 12 arms"),
    ("a,A", "a different name"),
    ("=cmd,b", "starting with a letter or digit"),
    ("a," + "x" * 41, "at most 40"),
])
def test_bad_arms_are_refused(text_, message):
    with pytest.raises(algorithm.AllocationError, match=message):
        algorithm.parse_arms(text_)


def test_balance_table_is_the_outcome_reports_smd():
    schools = register(n=80)
    drawn = algorithm.allocate(schools, ["phase"], ["control", "intervention"], 11)
    table = algorithm.arm_balance(drawn, ["control", "intervention"])
    assert [(t["arm"], t["reference"]) for t in table] == [("intervention", "control")]
    rows = {row["variable"]: row for row in table[0]["rows"]}
    control, treated = (drawn.loc[drawn["arm"] == arm, "pupils"].to_numpy(float) for arm in ("control", "intervention"))
    expected = (treated.mean() - control.mean()) / np.sqrt((treated.var(ddof=1) + control.var(ddof=1)) / 2)
    assert rows["pupils"]["smd"] == pytest.approx(expected)
    assert rows["pupils"]["comparison_mean"] == pytest.approx(control.mean())
    primary = (drawn["phase"] == "Primary").to_numpy()
    assert rows["phase: Primary"]["treatment_mean"] == pytest.approx(primary[drawn["arm"] == "intervention"].mean())


# -- stored allocations -----------------------------------------------------------------------


@pytest.fixture
def county(make_school):
    """Thirty schools over three districts, two phases and all three size bands."""
    return [make_school(urn=300000 + 7 * n, district=("Rugby", "Stratford", "Warwick")[n % 3],
                        phase=("Primary", "Secondary")[n % 2], pupils=(150, 450, 900)[n % 3] + n,
                        fsm_percent=float(5 + n)) for n in range(30)]


# The allocation of `county` with strata district,phase and seed 2027, as it was first drawn. The
# suite runs on SQLite and on PostgreSQL, so both give exactly this.
GOLDEN_INTERVENTION = [300000, 300007, 300014, 300021, 300049, 300056, 300070, 300084, 300098, 300112, 300119,
                       300126, 300154, 300189, 300203]


def intervention_urns(rows):
    return sorted(row["urn"] for row in rows if row["arm"] == "intervention")


def test_allocate_command_stores_the_allocation_for_good(runner, county, db_session):
    result = runner.invoke(args=["trials", "allocate", "trial-2027", "--strata", "district,phase", "--seed", "2027"])
    assert result.exit_code == 0, result.output
    assert "Allocated 30 schools in 6 strata as trial-2027 (seed 2027): control 15, intervention 15." in result.output
    record = services.allocation_by_name("trial-2027")
    assert (record.seed, record.strata, record.arms, record.design) == (2027, ["district", "phase"],
                                                                        ["control", "intervention"], "parallel")
    assert (record.algorithm, record.algorithm_version) == ("stratified-permuted-deal", 1)
    assert record.app_version == "0.1.0" and record.source == "cli" and record.created_by_id is None
    assert record.created_at is not None and len(record.register_sha256) == 64
    rows = services.allocation_rows(record)
    assert intervention_urns(rows) == GOLDEN_INTERVENTION
    assert services.reproduces(record)

    again = runner.invoke(args=["trials", "allocate", "trial-2027", "--strata", "phase", "--seed", "1"])
    assert again.exit_code == 1
    assert again.output == ("Error: There is already an allocation called trial-2027, and an allocation is never "
                            "changed: choose another name\n")
    assert db_session.scalar(select(func.count()).select_from(TrialAllocation)) == 1
    assert services.allocation_rows(services.allocation_by_name("trial-2027")) == rows


@pytest.mark.parametrize("args, status, message", [
    (["--strata", "district,colour", "--seed", "1"], 1, "Unknown stratum 'colour'"),
    (["--strata", "district", "--seed", "-1"], 1, "The seed must be a whole number from 0"),
    (["--strata", "district", "--seed", "lots"], 2, "'lots' is not a valid integer"),
    (["--strata", "district"], 2, "Missing option '--seed'"),
    (["--seed", "1", "--arms", "only-one"], 1, "Give between 2 and 12 arms"),
])
def test_allocate_command_refuses_bad_input_in_one_line(runner, county, db_session, args, status, message):
    result = runner.invoke(args=["trials", "allocate", "bad", *args])
    assert result.exit_code == status and message in result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert db_session.scalar(select(func.count()).select_from(TrialAllocation)) == 0


def test_an_empty_register_cannot_be_allocated(runner, db_session):
    result = runner.invoke(args=["trials", "allocate", "empty", "--seed", "1"])
    assert result.exit_code == 1 and "no schools on the register" in result.output


def test_show_gives_csv_and_json_with_urn_stratum_and_arm(runner, county):
    runner.invoke(args=["trials", "allocate", "shown", "--strata", "district,phase", "--seed", "2027",
                        "--arms", "control,intervention"])
    rows = json.loads(runner.invoke(args=["trials", "show", "shown", "--format", "json"]).output)
    assert len(rows) == 30 and {"urn", "stratum", "arm"} <= set(rows[0])
    assert intervention_urns(rows) == GOLDEN_INTERVENTION
    assert rows[0]["stratum"] == "Rugby / Primary" and rows[0]["wave"] is None
    table = list(csv.DictReader(io.StringIO(runner.invoke(args=["trials", "show", "shown", "--format", "csv"]).output)))
    assert [(int(r["urn"]), r["stratum"], r["arm"]) for r in table] == [(r["urn"], r["stratum"], r["arm"]) for r in rows]
    missing = runner.invoke(args=["trials", "show", "nothing"])
    assert missing.exit_code == 1 and missing.output == "Error: There is no allocation called nothing\n"


def test_the_database_refuses_to_change_or_delete_an_allocation(runner, county, db_session):
    runner.invoke(args=["trials", "allocate", "fixed", "--strata", "phase", "--seed", "5"])
    record = services.allocation_by_name("fixed")
    statements = [
        ("UPDATE trial_allocation_schools SET arm = 'control' WHERE allocation_id = :id", {"id": record.id}),
        ("DELETE FROM trial_allocation_schools WHERE allocation_id = :id", {"id": record.id}),
        ("UPDATE trial_allocations SET seed = 6 WHERE id = :id", {"id": record.id}),
        ("DELETE FROM trial_allocations WHERE id = :id", {"id": record.id}),
    ]
    for statement, values in statements:
        with pytest.raises(IntegrityError, match="an allocation is never changed"):
            with db_session.begin_nested():
                db_session.execute(text(statement), values)
    assert db_session.scalar(select(func.count()).select_from(TrialAllocationSchool)
                             .where(TrialAllocationSchool.allocation_id == record.id)) == 30
    assert services.reproduces(record)


# -- pages ------------------------------------------------------------------------------------


def test_allocation_pages(client, login_as, county, db_session):
    user = login_as("evaluator")
    form = client.get("/trials/allocations/new").get_data(as_text=True)
    assert 'name="seed"' in form and "Size band: under 200, 200 to 599, 600 or more pupils" in form
    response = client.post("/trials/allocations/new", data={"name": "web-trial", "strata": ["phase", "district"],
                                                           "arms": "control, intervention", "seed": "2027"})
    assert response.status_code == 302
    record = services.allocation_by_name("web-trial")
    assert record.created_by_id == user.id and record.source == "web" and record.strata == ["district", "phase"]
    assert intervention_urns(services.allocation_rows(record)) == GOLDEN_INTERVENTION
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    for expected in ("30 schools have been allocated", "stratified-permuted-deal, version 1", record.register_sha256,
                     "Rugby / Primary", "intervention against control", "Yes: drawing again", user.name):
        assert expected in page
    download = client.get(f"/trials/allocations/{record.id}/allocation.csv")
    assert download.headers["Content-Disposition"].startswith("attachment; filename=web-trial-allocation.csv")
    table = list(csv.DictReader(io.StringIO(download.get_data().decode("utf-8-sig"))))
    assert len(table) == 30 and table[0]["urn"] == "300000" and table[0]["arm"] in ("control", "intervention")
    listing = client.get("/trials/").get_data(as_text=True)
    assert "web-trial" in listing


@pytest.mark.parametrize("fields, message", [
    ({"name": ""}, "Enter a name for the allocation"),
    ({"arms": "control"}, "Give between 2 and 12 arms"),
    ({"seed": "minus one"}, "Enter the seed as a whole number"),
    ({"seed": "-3"}, "The seed must be from 0 to 2,147,483,647"),
    ({"strata": ["colour"]}, "is not a valid choice for this field"),
    ({"name": "taken"}, "There is already an allocation called taken"),
])
def test_allocation_form_refuses_bad_input(client, login_as, county, db_session, runner, fields, message):
    runner.invoke(args=["trials", "allocate", "taken", "--seed", "3"])
    login_as("admin")
    data = {"name": "new-one", "strata": ["district"], "arms": "control,intervention", "seed": "1", **fields}
    response = client.post("/trials/allocations/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "govuk-error-summary" in page and message in page
    assert db_session.scalar(select(func.count()).select_from(TrialAllocation)) == 1
