"""Pure pieces: the policy form <-> ALLOCATION.md policy, plain words, deadlines typed in a timezone."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from consortium.allocation.forms import RunForm
from consortium.procurement.forms import GroupingPolicyForm, SolicitationForm, to_local, to_utc
from consortium.procurement.services import (
    PolicyChoices,
    describe_policy,
    describe_requirements,
    enrollment_band,
)
from pricing.io import load_instance


def wall(*parts: int) -> datetime:
    """A naive wall-clock time, as a datetime-local input gives it."""
    return datetime(*parts)  # noqa: DTZ001


def test_policy_choices_make_an_allocation_policy_that_pricing_accepts():
    choices = PolicyChoices(enrollment_max_ratio=4, mbps_max_ratio=3.5, same_locale=True,
                            same_state=True, min_group_size=2, max_group_size=8,
                            individual_rationality=True, time_limit_s=30, mip_gap=0.001)
    policy = choices.as_policy()
    assert policy == {
        "similarity": [
            {"feature": "enrollment", "max_ratio": 4.0},
            {"feature": "mbps_per_student", "max_ratio": 3.5},
            {"feature": "locale", "same": True},
            {"feature": "state", "same": True},
        ],
        "min_group_size": 2,
        "max_group_size": 8,
        "individual_rationality": True,
        "time_limit_s": 30,
        "mip_gap": 0.001,
    }
    instance = load_instance({
        "currency": "usd",
        "buyers": [{"id": "1", "quantity": 10, "features": {
            "enrollment": 100, "mbps_per_student": 1.0, "locale": "rural", "state": "IL"}}],
        "offers": [{"id": "o", "vendor": "V", "tiers_mode": "volume",
                    "tiers": [{"up_to": None, "unit_amount": 100}]}],
        "policy": policy,
    })
    assert len(instance.policy.similarity) == 4
    assert PolicyChoices.from_policy(policy) == choices


def test_empty_policy_reads_as_defaults():
    assert PolicyChoices.from_policy({}) == PolicyChoices()
    assert PolicyChoices().as_policy()["similarity"] == []
    assert PolicyChoices().as_policy()["time_limit_s"] == 60  # ALLOCATION.md's default


def test_one_policy_form_for_solicitations_and_runs():
    """The run form is the solicitation's policy form: same fields, same defaults, the spread."""
    spread = {"similarity": [{"feature": "mbps_per_student", "max_spread": 1.5}],
              "min_group_size": 2, "time_limit_s": 45, "mip_gap": 0.002}
    assert PolicyChoices.from_policy(spread).mbps_max_spread == 1.5
    assert PolicyChoices.from_policy(spread).as_policy()["similarity"] == spread["similarity"]
    assert issubclass(RunForm, GroupingPolicyForm) and issubclass(SolicitationForm, GroupingPolicyForm)
    data = GroupingPolicyForm.data_from_policy(spread)
    assert (data["mbps_max_spread"], data["time_limit_s"], data["mip_gap_pct"]) == (
        Decimal("1.5"), 45, Decimal("0.2"))
    assert GroupingPolicyForm.data_from_policy(None)["time_limit_s"] == 60


def test_policy_in_plain_words():
    words = describe_policy(PolicyChoices(enrollment_max_ratio=4, same_locale=True,
                                          min_group_size=2, max_group_size=10).as_policy())
    assert words[0] == "In a group, the largest enrollment is at most 4 times the smallest."
    assert "All districts in a group share the same locale (rural, town, suburban, urban)." in words
    assert "Groups have 2 to 10 districts." in words
    assert "No district pays more in its group than it would buying alone." in words
    assert describe_requirements({"dpa_required": True, "certifications": ["OneRoster 1.2"],
                                  "accessibility": "WCAG 2.1 AA"}) == [
        "A data-privacy agreement signed for each district's state.",
        "1EdTech OneRoster 1.2 certified.",
        "Accessibility conformance: WCAG 2.1 AA.",
    ]
    assert describe_requirements(None) == ["No compliance requirements."]


def test_deadline_typed_in_the_consortium_zone_is_stored_utc():
    # 5 pm in Chicago in March (after the DST change on March 8, 2026) is 22:00 UTC.
    typed = wall(2026, 3, 20, 17, 0)
    stored = to_utc(typed, "America/Chicago")
    assert stored == datetime(2026, 3, 20, 22, 0, tzinfo=UTC)
    assert to_local(stored, "America/Chicago") == typed
    assert to_utc(wall(2026, 1, 20, 17, 0), "America/Chicago") == datetime(2026, 1, 20, 23, 0, tzinfo=UTC)


def test_a_wall_time_the_clocks_skip_is_refused():
    with pytest.raises(ValueError, match="does not exist in America/Chicago"):
        to_utc(wall(2026, 3, 8, 2, 30), "America/Chicago")


@pytest.mark.parametrize(("enrollment", "band"), [
    (None, "not given"), (0, "under 500"), (499, "under 500"), (500, "500 to 2,499"),
    (2_499, "500 to 2,499"), (2_500, "2,500 to 9,999"), (10_000, "10,000 and over"),
])
def test_enrollment_bands(enrollment, band):
    assert enrollment_band(enrollment) == band
