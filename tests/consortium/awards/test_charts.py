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


def _texts(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{SVG}text"))


def test_tier_ladder_has_a_price_scale_and_marks_the_price_of_buying_alone():
    chart = charts.tier_ladder(TIERS, 1_300, title="Contract", alone=(400, 2_000))
    root = parse(chart)
    ticks = [t.text for t in _texts(root) if t.get("class") == "price-tick"]
    assert len(ticks) >= 3 and ticks[0] == "$0.00" and all(t.startswith("$") for t in ticks)
    assert any(t.text == "price per seat" for t in _texts(root))  # the axis is named
    assert any(t.text == "buying alone: $20.00 per seat" for t in _texts(root))
    assert root.find(f"{SVG}line[@class='alone']") is not None
    assert chart.rows[-1] == ("400 alone", "$20.00", "buying alone")
    assert "alone costs $20.00 per seat" in root.find(f"{SVG}desc").text


@pytest.mark.parametrize("quantity", [1, 40, 3_000, 90_000])
def test_tier_ladder_marker_label_names_total_demand_and_stays_inside(quantity):
    root = parse(charts.tier_ladder(TIERS, quantity, title="Preview", marker_label="total demand"))
    label = next(t for t in _texts(root) if t.get("class") == "marker-label")
    assert label.text == f"total demand: {quantity:,} seat{'' if quantity == 1 else 's'}"
    x, anchor = float(label.get("x")), label.get("text-anchor")
    width = len(label.text) * 8  # generous: about 8 units a character at the chart's font
    start, end = (x - width, x) if anchor == "end" else (x, x + width)
    assert start >= 0 and end <= charts.WIDTH, (anchor, x)


def test_no_chart_text_is_smaller_than_the_minimum():
    figures = [
        charts.tier_ladder(TIERS, 2_000, title="t", alone=(10, 2_000)),
        charts.bar_chart([("a", 1.0)], title="b", value_label="v"),
        charts.scatter([charts.Point(10, 1, "g1", "x")], title="s", x_label="x", y_label="y"),
    ]
    for figure in figures:
        root = parse(figure)
        assert root.get("viewBox") == f"0 0 {charts.WIDTH} {root.get('height')}"
        for text in _texts(root):
            assert float(text.get("font-size")) >= charts.MIN_FONT
            assert f"font-size:{text.get('font-size')}px" in text.get("style")


def _group_points(groups: int) -> list[charts.Point]:
    return [charts.Point(100 + 37 * i, 0.5 + i / 50, f"Group {i + 1} · Vendor", f"District {i}")
            for i in range(groups)]


@pytest.mark.parametrize("groups", [2, 12, 20])
def test_group_map_gives_each_group_its_own_colour_and_a_legend_line(groups):
    chart = charts.scatter(_group_points(groups), title="Groups", x_label="enrollment",
                           y_label="Mbps per student")
    root = parse(chart)
    points = root.findall(f"{SVG}circle")
    assert len({p.get("fill") for p in points}) == groups  # no colour used twice
    legend = root.find(f"{SVG}g[@class='legend']")
    names = [t.text for t in legend.iter(f"{SVG}text")]
    assert names == [f"Group {i + 1} · Vendor" for i in range(groups)]  # in order, none dropped
    assert float(root.get("height")) >= charts.HEIGHT + groups * 20  # the legend fits


def test_group_map_past_twenty_groups_changes_shape_and_keeps_every_group():
    chart = charts.scatter(_group_points(26), title="Groups", x_label="e", y_label="m")
    root = parse(chart)
    styles = {charts.series_style(i) for i in range(26)}
    assert len(styles) == 26  # (colour, shape) never repeats
    legend = root.find(f"{SVG}g[@class='legend']")
    assert len(list(legend.iter(f"{SVG}text"))) == 26
    assert root.findall(f"{SVG}rect")  # groups 21 to 26 are squares


def test_group_map_lists_a_group_without_drawable_points_and_rounds_its_table():
    points = [charts.Point(1_234, 0.0617284, "Group 1", "Apple"), charts.Point(0, 0, "Group 2", "Birch")]
    chart = charts.scatter(points, title="G", x_label="enrollment", y_label="Mbps per student",
                           series=["Group 1", "Group 2", "Group 3"])
    legend = parse(chart).find(f"{SVG}g[@class='legend']")
    assert [t.text for t in legend.iter(f"{SVG}text")] == ["Group 1", "Group 2", "Group 3"]
    assert chart.rows[0] == ("Apple", "Group 1", "1,234", "0.06")
    assert chart.rows[1] == ("Birch", "Group 2", "0", "0")


@pytest.mark.parametrize(("value", "shown"), [(0.0617284, "0.06"), (12.345, "12.3"),
                                              (1_234.5, "1,234"), (40.0, "40"), (-0.5, "-0.50")])
def test_table_figures_are_rounded(value, shown):
    assert charts.figure(value) == shown


def test_convergence_chart_keys_sit_side_by_side_without_overlapping():
    import re

    figure = charts.step_lines(
        [("spend of the best allocation", [(0.0, 500.0), (2.0, 450.0)]),
         ("proven lower bound", [(1.0, 400.0), (2.0, 440.0)])],
        title="Spend", y_label="spend", money=True)
    keys = re.findall(r'<text x="([\d.]+)" y="18\.0" text-anchor="start" font-size="(\d+)"[^>]*>([^<]+)</text>',
                      str(figure.svg))
    assert [name for _, _, name in keys] == ["spend of the best allocation", "proven lower bound"]  # the run page's
    (x1, size, first), (x2, _, _) = keys
    assert float(x2) >= float(x1) + len(first) * int(size) * 0.58  # the second starts after the first
    assert float(x2) + len(keys[1][2]) * int(size) * 0.58 <= charts.WIDTH  # and fits the chart
