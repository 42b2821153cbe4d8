"""Instances built from real district rows (the EducationSuperHighway / NCES district table).

`read_districts` reads the CSV layout of `shared/data/real-districts/districts.csv`;
`real_instance` turns a selection of its rows into an instance with the benchmark's vendor
mix (tiered bids, some graduated, capacities that bind, ceilings, eligibility limits), so
the engine is developed and measured on real enrollment, bandwidth and locale, not only on
generated ones. Deterministic per seed.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pricing.generate import SEAT_SHARES, default_policy, vendor_mix
from pricing.types import Buyer, Instance, Policy

# NCES locale groups as the marketplace names them.
LOCALES = {"rural": "rural", "small town": "town", "town": "town", "suburban": "suburban",
           "suburb": "suburban", "urban": "urban", "city": "urban"}  # fmt: skip
COLUMNS = ("nces_id", "state", "locale", "enrollment", "kbps_per_student")


@dataclass(frozen=True, slots=True)
class District:
    """One real district row: what an opt-in's features are made of."""

    nces_id: str
    name: str
    state: str
    locale: str
    enrollment: int
    kbps_per_student: float


def read_districts(source: str | Path | Iterable[str]) -> list[District]:
    """Every usable row of a districts CSV; rows without an enrollment or locale are skipped.

    `source` is a path or the lines of the file. Bandwidth of 0 and tiny districts are kept:
    they are real, and the instance builder decides what a rule can compare.
    """
    if isinstance(source, str | Path):
        text = Path(source).read_text(encoding="utf-8")
        lines: Iterable[str] = io.StringIO(text)
    else:
        lines = source
    reader = csv.DictReader(lines)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise ValueError(f"districts CSV: missing column(s) {', '.join(missing)}")
    out = []
    for row in reader:
        locale = LOCALES.get((row.get("locale") or "").strip().lower())
        try:
            enrollment = int(float(row["enrollment"]))
            kbps = float(row["kbps_per_student"] or "nan")
        except ValueError:
            continue
        if locale is None or enrollment < 1 or kbps != kbps:  # NaN: no measurement
            continue
        out.append(District(row["nces_id"].strip(), (row.get("name") or "").strip(),
                            row["state"].strip().upper(), locale, enrollment, kbps))
    return out


def real_instance(
    districts: Sequence[District],
    offers: int,
    seed: int,
    *,
    states: Sequence[str] | None = None,
    share: float = 1.0,
    sample: int | None = None,
    policy: Policy | None = None,
    tier_counts: tuple[int, int] = (3, 6),
) -> Instance:
    """An instance of real districts opting in, with `offers` generated bids.

    `states` keeps those states' rows; `share` is the fraction of them that opts in (drawn
    per seed); `sample` draws that many rows instead (a national consortium). Quantities are
    a share of enrollment (a grade band or the whole district). A district whose value of a
    `max_ratio` feature is not positive (a bandwidth of 0) cannot be compared by ratio, so
    it is left out of the instance, as the web application leaves it out with a reason.
    """
    if not 0 < share <= 1:
        raise ValueError("share: must be in (0, 1]")
    if offers < 1:
        raise ValueError("offers: must be at least 1")
    rng = random.Random(seed)
    policy = policy or default_policy()
    rows = list(districts)
    if states:
        wanted = {s.strip().upper() for s in states}
        rows = [d for d in rows if d.state in wanted]
    ratio_features = {r.feature for r in policy.similarity if r.max_ratio is not None}
    rows = [d for d in rows if all(_features(d)[f] > 0 for f in ratio_features)]  # type: ignore[operator]
    if sample is not None:
        rows = rng.sample(rows, min(sample, len(rows)))
    elif share < 1:
        rows = rng.sample(rows, max(1, round(len(rows) * share)))
    rows.sort(key=lambda d: d.nces_id)
    seen: set[str] = set()
    rows = [d for d in rows if not (d.nces_id in seen or seen.add(d.nces_id))]  # type: ignore[func-returns-value]
    if not rows:
        raise ValueError("no district matches the selection")
    quantities = [max(1, round(d.enrollment * rng.choice(SEAT_SHARES))) for d in rows]
    bids, ceiling_of, eligible_of = vendor_mix(rng, offers, tier_counts, sum(quantities))
    buyers = tuple(
        Buyer(d.nces_id, q, _features(d), ceiling_of(), eligible_of())
        for d, q in zip(rows, quantities, strict=True)
    )
    return Instance("usd", buyers, bids, policy)


def _features(d: District) -> dict[str, float | int | str]:
    # kbps are published to the hundredth: five decimals of Mbps keep every digit, no float noise.
    return {"enrollment": d.enrollment, "mbps_per_student": round(d.kbps_per_student / 1000, 5),
            "locale": d.locale}
