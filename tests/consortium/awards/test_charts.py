"""Server-side SVG charts: well-formed XML, accessible names, and the numbers they claim."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from consortium import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart: charts.Chart) -> ET.Element:
    root = ET.fromstring(str(chart.svg))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text and desc is not None and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    return root


TIERS = [(999, 2_000), (4_999, 1_500), (None, 1_200)]


@pytest.mark.parametrize(("quantity", "tier"), [(1, 0), (999, 0), (1_000, 1), (4_999, 1), (20_000, 2)])
def test_tier_ladder_marks_the_groups_tier(quantity, tier):
    chart = charts.tier_ladder(TIERS, quantity, title="Acme <tiers> & more")
    root = parse(chart)
    assert root.find(f"{SVG}title").text == "Acme <tiers> & more"  # escaped, then parsed back
    assert f"tier {tier + 1} of 3" in root.find(f"{SVG}desc").text
    assert [row[2] for row in chart.rows] == ["yes" if i == tier else "" for i in range(3)]
    assert [row[1] for row in chart.rows] == ["$20.00", "$15.00", "$12.00"]


def test_bar_chart_has_one_bar_per_category_and_a_table():
    bars = [("under 500", 31.5), ("500–2,499", 22.0), ("10,000 and more", -3.0)]
    chart = charts.bar_chart(bars, title="Savings by size", value_label="savings (%)",
                             category_label="enrollment", percent=True)
    root = parse(chart)
    assert len(root.findall(f"{SVG}rect")) == 3
    assert chart.headers == ("enrollment", "savings (%)")
    assert chart.rows == (("under 500", "31.5%"), ("500–2,499", "22.0%"), ("10,000 and more", "-3.0%"))


def test_bar_chart_without_data_is_still_valid():
    parse(charts.bar_chart([], title="Nothing yet", value_label="savings"))


def test_scatter_colours_points_by_group_on_log_axes():
    points = [charts.Point(300, 0.2, "g1", "Apple"), charts.Point(1_200, 0.8, "g1", "Birch"),
              charts.Point(40_000, 0.05, "g2", "Cedar & Sons"), charts.Point(0, 1.0, "g2", "No data")]
    chart = charts.scatter(points, title="Groups", x_label="enrollment", y_label="Mbps per student")
    root = parse(chart)
    circles = root.findall(f"{SVG}circle")
    assert len(circles) == 3  # a zero cannot sit on a log axis; it stays in the table
    assert len({c.get("fill") for c in circles}) == 2
    assert circles[2].find(f"{SVG}title").text == "Cedar & Sons (g2)"
    assert len(chart.rows) == 4
    xs = [float(c.get("cx")) for c in circles]
    assert xs[0] < xs[1] < xs[2]
