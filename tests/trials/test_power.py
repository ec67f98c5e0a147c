"""The sample size and the minimum detectable reduction: the formula against a hand-worked closed form,
a simulation of negative binomial trials at the computed size, the command's JSON and errors, and the
page (pre-filled from the latest cohort, one-line messages for bad input)."""

import json
import math
import re
from datetime import date, datetime

import numpy as np
import pytest

from cohorts.models import Cohort, CohortMember, MashRecord
from core.models import ImportBatch
from trials import power
from trials.power import Design, PowerError

# Standard normal quantiles, typed in from tables so the check does not lean on scipy.
Z = {0.975: 1.959963984540054, 0.8: 0.8416212335729143, 0.9: 1.2815515655446004, 0.995: 2.5758293035489004}


def by_hand(baseline, k, reduction, z_alpha, z_power):
    mu1 = baseline * (1 - reduction / 100)
    return math.ceil((z_alpha + z_power) ** 2 * (1 / baseline + k + 1 / mu1 + k) / math.log(mu1 / baseline) ** 2)


@pytest.mark.parametrize("baseline, k, reduction, alpha, power_, z_alpha, z_power", [
    (0.57, 4.3, 20, 0.05, 0.8, Z[0.975], Z[0.8]),
    (1.0, 0.0, 50, 0.05, 0.8, Z[0.975], Z[0.8]),
    (2.5, 1.2, 15, 0.01, 0.9, Z[0.995], Z[0.9]),
    (0.1, 10.0, 65, 0.05, 0.9, Z[0.975], Z[0.9]),
])
def test_per_arm_matches_the_closed_form(baseline, k, reduction, alpha, power_, z_alpha, z_power):
    result = power.sample_size(Design(baseline, k, alpha, power_), reduction)
    assert result == {"per_arm": by_hand(baseline, k, reduction, z_alpha, z_power), "design_effect": 1.0,
                      "per_arm_clustered": by_hand(baseline, k, reduction, z_alpha, z_power)}


def test_the_contract_example_and_its_design_effect():
    result = power.sample_size(Design(0.57, 4.3, icc=0.05, cluster_size=4.6), 20)
    assert result["per_arm"] == 1978
    assert result["design_effect"] == pytest.approx(1.18)
    # ceil(1978 x 1.18) = ceil(2334.04)
    assert result["per_arm_clustered"] == 2335
    # Poisson counts (k = 0) with a baseline of 1 and a halving: 7.849 x 3 / ln(2)^2 = 49.01, so 50.
    assert power.sample_size(Design(1.0, 0.0), 50)["per_arm"] == 50


def test_a_whole_product_is_not_rounded_up_by_floating_point_dust():
    design = Design(0.57, 4.3, icc=0.1, cluster_size=2)  # design effect 1.1, stored as 1.1000000000000001
    result = power.sample_size(design, 40)
    assert result["per_arm"] == 400
    assert 400 * design.design_effect > 440  # the float product is 440.00000000000006
    assert result["per_arm_clustered"] == 440


@pytest.mark.parametrize("design, available", [
    (Design(0.57, 4.3), 500),
    (Design(0.57, 4.3, icc=0.05, cluster_size=4.6), 2335),
    (Design(2.0, 0.5, 0.01, 0.9), 120),
])
def test_minimum_detectable_reduction_is_the_smallest_on_its_grid(design, available):
    smallest = power.min_detectable_reduction(design, available)
    assert power.sample_size(design, smallest)["per_arm_clustered"] <= available
    assert power.sample_size(design, round(smallest - 0.01, 2))["per_arm_clustered"] > available
    assert smallest == round(smallest, 2)


def test_minimum_detectable_reduction_of_the_contract_example_is_about_20_percent():
    # 2,335 DSLs a side is what a 20% reduction needs with the example's clustering.
    smallest = power.min_detectable_reduction(Design(0.57, 4.3, icc=0.05, cluster_size=4.6), 2335)
    assert 19.9 < smallest <= 20.0


def test_too_few_dsls_detect_nothing():
    assert power.min_detectable_reduction(Design(0.05, 20.0), 2) is None
    answer = power.answer(Design(0.05, 20.0), per_arm_available=2)
    assert answer["min_detectable_reduction"] is None and "No reduction" in answer["note"]


def negative_binomial(rng, mean, k, size):
    """Counts with mean ``mean`` and variance mean + k mean^2 (k > 0)."""
    return rng.negative_binomial(1 / k, 1 / (1 + k * mean), size=size)


def wald_rejections(rng, baseline, k, reduction, per_arm, replicates, z_alpha=Z[0.975]):
    """Share of simulated trials whose Wald test of the log rate ratio rejects at 5%."""
    mu1 = baseline * (1 - reduction / 100)
    control = negative_binomial(rng, baseline, k, (replicates, per_arm))
    treated = negative_binomial(rng, mu1, k, (replicates, per_arm))
    m0, m1 = control.mean(axis=1), treated.mean(axis=1)
    variance = control.var(axis=1, ddof=1) / (per_arm * m0 ** 2) + treated.var(axis=1, ddof=1) / (per_arm * m1 ** 2)
    z = np.log(m1 / m0) / np.sqrt(variance)
    return float(np.mean(np.abs(z) > z_alpha))


@pytest.mark.parametrize("baseline, k, reduction", [(0.57, 4.3, 30), (1.5, 1.0, 20)])
def test_simulated_trials_of_the_computed_size_have_the_power_asked_for(baseline, k, reduction):
    rng = np.random.default_rng(2027)
    per_arm = power.sample_size(Design(baseline, k), reduction)["per_arm"]
    achieved = wald_rejections(rng, baseline, k, reduction, per_arm, replicates=2000)
    assert abs(achieved - 0.8) < 0.05, achieved
    # Half the size has clearly less power, and with no effect the test rejects about 5% of the time.
    assert wald_rejections(rng, baseline, k, reduction, per_arm // 2, replicates=2000) < 0.6
    assert abs(wald_rejections(rng, baseline, k, 1e-9, per_arm, replicates=2000) - 0.05) < 0.02


@pytest.mark.parametrize("fields, message", [
    ({"baseline": 0}, "The baseline must be"),
    ({"baseline": float("nan")}, "The baseline must be"),
    ({"dispersion": -1}, "The dispersion must be"),
    ({"alpha": 0}, "The significance level must be"),
    ({"alpha": 0.6}, "The significance level must be"),
    ({"power": 1}, "The power must be"),
    ({"power": 0.3}, "The power must be"),
    ({"icc": 0.05}, "Give both the ICC and the cluster size"),
    ({"cluster_size": 4}, "Give both the ICC and the cluster size"),
    ({"icc": 1.5, "cluster_size": 4}, "The ICC must be"),
    ({"icc": 0.1, "cluster_size": 0.5}, "The cluster size must be"),
])
def test_bad_inputs_are_refused_with_a_message(fields, message):
    values = {"baseline": 0.57, "dispersion": 4.3, **fields}
    with pytest.raises(PowerError, match=message):
        power.sample_size(Design(**values), 20)


@pytest.mark.parametrize("reduction", [0, 100, -5, float("inf")])
def test_a_reduction_outside_0_to_100_is_refused(reduction):
    with pytest.raises(PowerError, match="The reduction must be"):
        power.sample_size(Design(0.57, 4.3), reduction)


# -- the command ------------------------------------------------------------------------------


def test_power_command_prints_the_contract_keys(runner):
    result = runner.invoke(args=["trials", "power", "--baseline", "0.57", "--dispersion", "4.3", "--reduction", "20",
                                 "--icc", "0.05", "--cluster-size", "4.6"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["per_arm"], data["per_arm_clustered"]) == (1978, 2335)
    assert data["design_effect"] == pytest.approx(1.18)
    plain = json.loads(runner.invoke(args=["trials", "power", "--baseline", "0.57", "--dispersion", "4.3",
                                           "--reduction", "20"]).output)
    assert (plain["per_arm"], plain["design_effect"], plain["per_arm_clustered"]) == (1978, 1.0, 1978)


def test_power_command_per_arm_gives_the_minimum_detectable_reduction(runner):
    result = runner.invoke(args=["trials", "power", "--baseline", "0.57", "--dispersion", "4.3", "--per-arm", "500"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["min_detectable_reduction"] == power.min_detectable_reduction(Design(0.57, 4.3), 500)
    assert data["precision"] == 0.01 and "per_arm" not in data


@pytest.mark.parametrize("args, status, message", [
    (["--baseline", "abc", "--dispersion", "4.3", "--reduction", "20"], 2, "'abc' is not a valid float"),
    (["--dispersion", "4.3", "--reduction", "20"], 2, "Missing option '--baseline'"),
    (["--baseline", "0", "--dispersion", "4.3", "--reduction", "20"], 1, "The baseline must be"),
    (["--baseline", "0.57", "--dispersion", "4.3", "--reduction", "120"], 1, "The reduction must be"),
    (["--baseline", "0.57", "--dispersion", "4.3"], 1, "Give either the reduction"),
    (["--baseline", "0.57", "--dispersion", "4.3", "--reduction", "20", "--per-arm", "9"], 1, "not both"),
    (["--baseline", "0.57", "--dispersion", "4.3", "--reduction", "20", "--icc", "0.05"], 1, "Give both the ICC"),
    (["--baseline", "0.57", "--dispersion", "4.3", "--per-arm", "1"], 1, "2 or more"),
])
def test_power_command_bad_input_is_one_line(runner, args, status, message):
    result = runner.invoke(args=["trials", "power", *args])
    assert result.exit_code == status
    assert result.output.strip().count("\n") == 0 and message in result.output
    assert result.output.startswith("Error: ") and "Traceback" not in result.output


# -- the page ---------------------------------------------------------------------------------


def field_value(page: str, name: str) -> str | None:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(rf'value="([^"]*)"[^>]*name="{name}"', page)
    return match.group(1) if match else None


def test_power_page_without_a_cohort_leaves_the_baseline_empty(client, login_as):
    login_as("evaluator")
    page = client.get("/trials/power").get_data(as_text=True)
    assert "There is no cohort yet" in page
    assert field_value(page, "baseline") in (None, "")
    assert field_value(page, "alpha") == "0.05" and field_value(page, "power") == "0.8"


@pytest.fixture
def cohort_with_contacts(db_session, make_school, make_dsl):
    """A cohort of 40 DSLs: 20 in comparison whose contacts are over-dispersed, 20 in treatment."""
    schools = [make_school() for _ in range(8)]
    comparison_counts = [0, 0, 0, 1, 0, 4, 0, 2, 0, 0, 7, 0, 1, 0, 0, 3, 0, 0, 1, 0]
    treatment_counts = [0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 3, 0, 0]
    cohort = Cohort(name="prefill", courses=["refresher"], exposure_start=date(2020, 9, 1),
                    exposure_end=date(2020, 9, 30), outcome_start=date(2020, 10, 1), outcome_end=date(2020, 12, 31))
    db_session.add(cohort)
    batch = ImportBatch(kind="contacts", filename="mash.csv", checksum="b" * 64, source="cli", rows=1, created=1,
                        updated=0, unchanged=0)
    db_session.add(batch)
    db_session.flush()
    n = 0
    for i, count in enumerate(comparison_counts + treatment_counts):
        dsl = make_dsl(school=schools[i % 8])
        group = "comparison" if i < 20 else "treatment"
        db_session.add(CohortMember(cohort_id=cohort.id, dsl_id=dsl.id, group_name=group, school_urn=dsl.school.urn,
                                    pupils=300, fsm_percent=15.0, phase="Primary"))
        for _ in range(count):
            n += 1
            db_session.add(MashRecord(contact_id=f"P-{n}", received_at=datetime(2020, 10, 5, 10), source="School",
                                      method="Telephone", classification="contact", dsl_id=dsl.id,
                                      import_batch_id=batch.id))
    db_session.commit()
    return comparison_counts, treatment_counts


def test_power_page_is_prefilled_from_the_latest_cohort(client, login_as, cohort_with_contacts):
    from statsmodels.discrete.discrete_model import NegativeBinomial

    comparison, treatment = cohort_with_contacts
    login_as("evaluator")
    page = client.get("/trials/power").get_data(as_text=True)
    assert "latest cohort, prefill" in page and "The register has 5.0 DSLs per school." in page
    assert float(field_value(page, "baseline")) == round(sum(comparison) / len(comparison), 3) == 0.95
    counts = np.array(comparison + treatment, dtype=float)
    design = np.column_stack([np.ones(40), np.r_[np.zeros(20), np.ones(20)]])
    alpha = NegativeBinomial(counts, design, loglike_method="nb2").fit(disp=0).params[-1]
    assert float(field_value(page, "dispersion")) == round(alpha, 2)


def test_power_page_answers_in_a_sentence_with_alternatives(client, login_as):
    login_as("evaluator")
    query = {"baseline": "0.57", "dispersion": "4.3", "reduction": "20", "alpha": "0.05", "power": "0.8",
             "icc": "0.05", "cluster_size": "4.6", "per_arm": "500"}
    page = client.get("/trials/power", query_string=query).get_data(as_text=True)
    assert "You need 1,978 DSLs in each arm, 2,335 allowing for schools." in page
    for reduction in range(10, 80, 10):
        expected = power.sample_size(Design(0.57, 4.3, icc=0.05, cluster_size=4.6), reduction)["per_arm_clustered"]
        assert f"{expected:,}" in page
    smallest = power.min_detectable_reduction(Design(0.57, 4.3, icc=0.05, cluster_size=4.6), 500)
    assert f"the smallest reduction you could detect is {smallest:.2f}%" in page


@pytest.mark.parametrize("changes, message", [
    ({"baseline": "lots"}, "Enter the baseline as a number, like 0.57"),
    ({"baseline": ""}, "Enter the baseline, like 0.57"),
    ({"baseline": "-1"}, "The baseline must be a number of contacts per DSL above 0"),
    ({"reduction": "100"}, "The reduction must be a percentage above 0 and below 100"),
    ({"icc": "0.05"}, "Give both the ICC and the cluster size, or neither"),
    ({"power": "1.2"}, "The power must be at least 0.5 and below 1"),
    ({"per_arm": "1"}, "The DSLs in each arm must be a whole number, 2 or more"),
])
def test_power_page_bad_input_shows_the_error_summary(client, login_as, changes, message):
    login_as("admin")
    query = {"baseline": "0.57", "dispersion": "4.3", "reduction": "20", "alpha": "0.05", "power": "0.8", **changes}
    response = client.get("/trials/power", query_string=query)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "govuk-error-summary" in page and message in page
    assert "You need" not in page
