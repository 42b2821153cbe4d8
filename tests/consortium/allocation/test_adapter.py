"""ORM rows to pricing types and back: what goes into an instance, what comes out as award rows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from consortium.allocation import adapter
from consortium.allocation.models import AllocationRun
from consortium.awards.models import Award
from consortium.extensions import db
from consortium.procurement.models import OptIn
from pricing.check import check_result
from pricing.errors import InstanceError
from pricing.tiers import schedule_total
from tests.consortium.allocation.fakes import fake_solve


@pytest.fixture
def scenario(make, clock):
    return make.allocation_scenario()


def test_withdrawn_opt_ins_are_not_buyers(scenario):
    opt_in = db.session.scalars(
        select(OptIn).where(OptIn.district_id == scenario.district_c.org.id)
    ).one()
    opt_in.status = "withdrawn"
    instance, maps = adapter.build_instance(scenario.solicitation)
    assert [b.id for b in instance.buyers] == sorted(
        (str(scenario.district_a.org.id), str(scenario.district_b.org.id)), key=int
    )
    assert maps.names[str(scenario.district_a.org.id)] == "Apple Creek CUSD"
    assert set(maps.vendors.values()) == {scenario.vendor_a.org.id, scenario.vendor_b.org.id}


def test_policy_overrides_replace_keys_of_the_solicitation_policy(scenario):
    instance, _ = adapter.build_instance(scenario.solicitation, {"min_group_size": 2})
    assert instance.policy.min_group_size == 2 and instance.policy.time_limit_s == 10


def test_unknown_features_are_left_out_until_a_rule_needs_them(scenario):
    scenario.district_a.org.district_profile.broadband_mbps = None
    instance, maps = adapter.build_instance(scenario.solicitation)
    a = next(b for b in instance.buyers if b.id == str(scenario.district_a.org.id))
    assert "mbps_per_student" not in a.features and a.features["enrollment"] == 800
    assert maps.set_aside == []
    # A rule that compares broadband cannot place Apple Creek: it is set aside with why.
    instance, maps = adapter.build_instance(
        scenario.solicitation, {"similarity": [{"feature": "mbps_per_student", "max_ratio": 4}]}
    )
    assert str(scenario.district_a.org.id) not in {b.id for b in instance.buyers}
    assert len(instance.buyers) == 2
    [entry] = maps.set_aside
    assert entry["name"] == "Apple Creek CUSD" and entry["quantity"] == 400
    assert entry["reason"] == (
        "Its district profile does not give its enrollment or its broadband (Mbps), which the"
        " rule “broadband per student within a factor of 4” compares; complete the profile and"
        " run again to include it."
    )


@pytest.mark.parametrize(
    ("field", "value", "rule", "words"),
    [
        ("broadband_mbps", 0, {"feature": "mbps_per_student", "max_ratio": 4},
         "Its broadband per student is 0, and the rule “broadband per student within a factor"
         " of 4” only compares figures above 0"),
        ("enrollment", 0, {"feature": "enrollment", "max_ratio": 2},
         "Its enrollment is 0, and the rule “enrollment within a factor of 2” only compares"),
        ("enrollment", None, {"feature": "enrollment", "max_spread": 100},
         "does not give its enrollment, which the rule “enrollment within 100 of each other”"),
        ("locale", None, {"feature": "locale", "same": True},
         "does not give its locale, which the rule “the same locale” compares"),
    ],
)
def test_a_profile_the_rules_cannot_compare_sets_the_district_aside(scenario, field, value, rule, words):
    setattr(scenario.district_b.org.district_profile, field, value)
    instance, maps = adapter.build_instance(scenario.solicitation, {"similarity": [rule]})
    assert [e["name"] for e in maps.set_aside] == ["Birch Valley SD"]
    assert words in maps.set_aside[0]["reason"]
    assert str(scenario.district_b.org.id) not in {b.id for b in instance.buyers}


def test_zero_bandwidth_without_a_broadband_rule_is_an_ordinary_buyer(scenario):
    scenario.district_b.org.district_profile.broadband_mbps = 0
    instance, maps = adapter.build_instance(
        scenario.solicitation, {"similarity": [{"feature": "mbps_per_student", "max_spread": 1}]}
    )
    b = next(b for b in instance.buyers if b.id == str(scenario.district_b.org.id))
    assert b.features["mbps_per_student"] == 0 and maps.set_aside == []


def test_when_every_district_is_set_aside_the_error_names_each(scenario):
    for district in (scenario.district_a, scenario.district_b, scenario.district_c):
        district.org.district_profile.locale = None
    with pytest.raises(InstanceError) as caught:
        adapter.build_instance(scenario.solicitation, {"similarity": [{"feature": "locale", "same": True}]})
    assert len(caught.value.problems) == 3
    assert caught.value.problems[0].startswith("Apple Creek CUSD: Its district profile does not give")


def test_graduated_groups_keep_the_result_amounts_and_show_an_average(make, clock):
    scenario = make.allocation_scenario(tiers_mode="graduated")
    for opt_in in db.session.scalars(select(OptIn)):
        opt_in.max_unit_amount = None if opt_in.district_id != scenario.district_c.org.id else 100
    instance, _ = adapter.build_instance(scenario.solicitation)
    result = fake_solve(instance)
    assert check_result(instance, result) == []
    run = AllocationRun(solicitation=scenario.solicitation, label="graduated", status="succeeded")
    award = Award(solicitation=scenario.solicitation, run=run, input_sha256="0" * 64)
    db.session.add(award)
    contracts = adapter.apply_result(
        award, instance, result, accept_by=clock.now + timedelta(days=1),
        starts_on=date(2026, 3, 2), expires_on=date(2027, 3, 2),
    )
    group = award.groups[0]
    offer = next(o for o in instance.offers if o.id == group.bid.public_id)
    assert group.total_amount == schedule_total(offer, 1_000) == 999 * 2_000 + 1 * 1_500
    assert group.tiers_mode == "graduated" and group.unit_is_average
    assert group.unit_amount == round(group.total_amount / 1_000) and group.tier_index == 1
    assert sum(c.amount for c in contracts) == group.total_amount
    assert [c.amount for c in contracts] == [a.amount for a in result.assignments]
