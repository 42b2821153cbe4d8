"""The grouping policy as a manager sets it, and policy and requirements in plain words.

Pure: the policy object is ALLOCATION.md's, passed to the optimiser as is. `PolicyChoices`
is the one mapping between that object and the choices a manager makes; the one form for
those choices is `procurement.forms.GroupingPolicyForm` (solicitations and allocation runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_POLICY: dict[str, Any] = {
    "similarity": [],
    "min_group_size": 1,
    "max_group_size": None,
    "individual_rationality": True,
    "time_limit_s": 60,
    "mip_gap": 0.001,
}


@dataclass(frozen=True)
class PolicyChoices:
    """The grouping policy as a manager sets it; `as_policy()` is ALLOCATION.md's policy object."""

    enrollment_max_ratio: float | None = None
    mbps_max_ratio: float | None = None
    mbps_max_spread: float | None = None  # largest - smallest Mbps per student
    same_locale: bool = False
    same_state: bool = False
    min_group_size: int = 1
    max_group_size: int | None = None
    individual_rationality: bool = True
    time_limit_s: int = 60
    mip_gap: float = 0.001

    def as_policy(self) -> dict[str, Any]:
        similarity: list[dict[str, Any]] = []
        if self.enrollment_max_ratio is not None:
            similarity.append({"feature": "enrollment", "max_ratio": float(self.enrollment_max_ratio)})
        if self.mbps_max_ratio is not None:
            similarity.append({"feature": "mbps_per_student", "max_ratio": float(self.mbps_max_ratio)})
        if self.mbps_max_spread is not None:
            similarity.append(
                {"feature": "mbps_per_student", "max_spread": float(self.mbps_max_spread)}
            )
        if self.same_locale:
            similarity.append({"feature": "locale", "same": True})
        if self.same_state:
            similarity.append({"feature": "state", "same": True})
        return {
            "similarity": similarity,
            "min_group_size": int(self.min_group_size),
            "max_group_size": None if self.max_group_size is None else int(self.max_group_size),
            "individual_rationality": bool(self.individual_rationality),
            "time_limit_s": int(self.time_limit_s),
            "mip_gap": float(self.mip_gap),
        }

    @classmethod
    def from_policy(cls, policy: dict[str, Any] | None) -> PolicyChoices:
        policy = {**DEFAULT_POLICY, **(policy or {})}
        values: dict[str, Any] = {}
        for rule in policy.get("similarity") or []:
            feature = rule.get("feature")
            if feature == "enrollment" and rule.get("max_ratio") is not None:
                values["enrollment_max_ratio"] = rule["max_ratio"]
            elif feature == "mbps_per_student" and rule.get("max_ratio") is not None:
                values["mbps_max_ratio"] = rule["max_ratio"]
            elif feature == "mbps_per_student" and rule.get("max_spread") is not None:
                values["mbps_max_spread"] = rule["max_spread"]
            elif feature == "locale" and rule.get("same"):
                values["same_locale"] = True
            elif feature == "state" and rule.get("same"):
                values["same_state"] = True
        return cls(
            min_group_size=policy["min_group_size"],
            max_group_size=policy["max_group_size"],
            individual_rationality=policy["individual_rationality"],
            time_limit_s=policy["time_limit_s"],
            mip_gap=policy["mip_gap"],
            **values,
        )


def _ratio(value: float) -> str:
    return f"{value:g}"


def describe_policy(policy: dict[str, Any] | None) -> list[str]:
    """The grouping policy in plain words, one sentence per rule."""
    policy = {**DEFAULT_POLICY, **(policy or {})}
    words: list[str] = []
    for rule in policy["similarity"]:
        feature = rule.get("feature")
        name = {
            "enrollment": "enrollment",
            "mbps_per_student": "broadband per student",
            "locale": "locale (rural, town, suburban, urban)",
            "state": "state or province",
        }.get(feature, str(feature))
        if rule.get("same"):
            words.append(f"All districts in a group share the same {name}.")
        elif rule.get("max_ratio") is not None:
            words.append(
                f"In a group, the largest {name} is at most {_ratio(rule['max_ratio'])} times the smallest."
            )
        elif rule.get("max_spread") is not None:
            words.append(f"In a group, {name} differs by at most {_ratio(rule['max_spread'])}.")
    low, high = policy["min_group_size"], policy["max_group_size"]
    if high is None:
        words.append(
            "Groups have any number of districts."
            if low <= 1
            else f"Groups have at least {low} districts."
        )
    elif low == high:
        words.append(f"Groups have exactly {low} districts.")
    else:
        words.append(f"Groups have {low} to {high} districts.")
    if policy["individual_rationality"]:
        words.append("No district pays more in its group than it would buying alone.")
    words.append(
        f"The optimiser searches for at most {_ratio(policy['time_limit_s'])} seconds "
        f"and stops within {policy['mip_gap'] * 100:g}% of the best possible total."
    )
    return words


def describe_requirements(requirements: dict[str, Any] | None) -> list[str]:
    """What a vendor's product must meet, in plain words."""
    requirements = requirements or {}
    words = []
    if requirements.get("dpa_required"):
        words.append("A data-privacy agreement signed for each district's state.")
    for certification in requirements.get("certifications") or []:
        words.append(f"1EdTech {certification} certified.")
    if requirements.get("accessibility"):
        words.append(f"Accessibility conformance: {requirements['accessibility']}.")
    return words or ["No compliance requirements."]
