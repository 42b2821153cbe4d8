"""The public award page: each group by a readable name, its vendor, tier and price, its
districts and seats, each district's savings and the totals; the verification stays."""

from __future__ import annotations

import pytest

from consortium.awards.results import describe_districts
from tests.consortium.awards.test_awards import run_and_publish, scenario  # noqa: F401
from tests.consortium.procurement.helpers import text


def test_anyone_reads_the_groups_prices_districts_and_savings(client, login, scenario):  # noqa: F811
    award = run_and_publish(client, login, scenario)
    group = award.groups[0]
    page = text(client.get(f"/awards/{award.id}"))  # anonymous
    vendor = scenario.vendor_a.org.name
    # Apple Creek (800 students) and Birch Valley (1,200), both rural, at vendor A's tier 2.
    assert f"Group 1 · {vendor}, tier 2 · Rural, 800–1,200 students" in page
    assert group.label not in page.split("Check it yourself")[0]  # no solver label ("g1")
    assert f"{vendor} · tier 2 · $15.00 per seat per year · 1,000 seats · $15,000.00" in page
    assert "Apple Creek CUSD 400 $6,000.00 $8,000.00 $2,000.00 (25.0%)" in page
    assert "Birch Valley SD 600 $9,000.00 $12,000.00 $3,000.00 (25.0%)" in page
    assert "Group 1,000 $15,000.00 $20,000.00 $5,000.00" in page
    assert "Buying alone, the same districts would pay $20,000.00 Savings $5,000.00 (25.0%)" in page
    assert "Districts served 2" in page and "Seats 1,000" in page
    # The district left out (its ceiling is below every bid) is not in a group.
    assert "Cedar City" not in page
    # The verification block stays.
    assert award.input_sha256 in page and "Download input.json" in page


@pytest.mark.parametrize(("features", "words"), [
    ([{"locale": "rural", "enrollment": 1_040}, {"locale": "rural", "enrollment": 3_960}],
     "Rural, 1,000–4,000 students"),
    ([{"locale": "town", "enrollment": 85}], "Town, 85 students"),
    ([{"locale": "urban", "enrollment": 18_400}, {"locale": "rural", "enrollment": 17_900}],
     "Rural and Urban, 18,000 students"),
    ([{"enrollment": 500}, {}], "Mixed locales, 500 students"),
])
def test_a_group_is_named_after_its_districts(features, words):
    assert describe_districts(features) == words
