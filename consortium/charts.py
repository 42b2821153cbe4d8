"""Server-side SVG charts: no CDN, no JavaScript.

Each function returns a `Chart`: the SVG markup (with <title> and <desc> for screen
readers) and the same numbers as a table, which templates render beside the picture
(macro `chart` in templates/_charts.html) so nobody depends on seeing the graphic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

from markupsafe import Markup, escape

WIDTH, HEIGHT = 560, 300
LEFT, RIGHT, TOP, BOTTOM = 78, 20, 20, 54
# Text sizes in viewBox units. A chart scales down to about 0.6 on a 390 px phone, so nothing
# is drawn smaller than MIN_FONT (about 9 px there, 14 px on a desktop).
FONT, MIN_FONT = 15, 14
# Colour-blind safe (Okabe-Ito), dark enough for text contrast on white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C6D00")
# Twenty colours no two alike (Okabe-Ito first, then Kelly's and Tableau's distinct hues) for
# series such as purchasing groups; past twenty, markers change shape as well (SHAPES).
SERIES_COLOURS = (*PALETTE, "#882255", "#117733", "#332288", "#AA4499", "#44AA99", "#999933",
                  "#661100", "#6699CC", "#E41A1C", "#7F3C8D", "#A6761D", "#1B9E77")
SHAPES = ("circle", "square", "triangle", "diamond")
_ids = count(1)


@dataclass(frozen=True, slots=True)
class Chart:
    """An SVG picture and the table of the numbers it draws."""

    svg: Markup
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _svg(title: str, desc: str, body: list[str], height: int = HEIGHT) -> Markup:
    uid = next(_ids)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" class="chart" '
        f'aria-labelledby="chart-t{uid} chart-d{uid}">'
        f'<title id="chart-t{uid}">{escape(title)}</title>'
        f'<desc id="chart-d{uid}">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _text(
    x: float, y: float, label: str, anchor: str = "middle", size: int = FONT, **extra: str
) -> str:
    size = max(size, MIN_FONT)
    attrs = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in extra.items())
    # The size is an inline style too, so the page's stylesheet cannot shrink it.
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"'
        f' style="font-size:{size}px" font-family="sans-serif" fill="#222"{attrs}>'
        f"{escape(label)}</text>"
    )


def _count_label(value: float) -> str:
    """Short tick labels for counts: 500, 2k, 10k, 1.5M (long numbers collide on a phone)."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1_000:
        return f"{value / 1_000:g}k"
    return f"{value:,.0f}"


def figure(value: float) -> str:
    """A measured number for a data table, rounded as people read it: 0.0617284 -> 0.06."""
    size = abs(value)
    if size >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def marker(shape: str, x: float, y: float, colour: str, size: float = 5, extra: str = "") -> str:
    """One point of a series: a circle, square, triangle or diamond around (x, y)."""
    if shape == "square":
        return (f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{2 * size:.1f}" '
                f'height="{2 * size:.1f}" fill="{colour}"{extra}/>')
    if shape in ("triangle", "diamond"):
        corners = (
            [(x, y - size * 1.2), (x + size * 1.1, y + size * 0.9), (x - size * 1.1, y + size * 0.9)]
            if shape == "triangle"
            else [(x, y - size * 1.3), (x + size * 1.1, y), (x, y + size * 1.3), (x - size * 1.1, y)]
        )
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in corners)
        return f'<polygon points="{points}" fill="{colour}"{extra}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" fill="{colour}"{extra}/>'


def series_style(index: int) -> tuple[str, str]:
    """(colour, shape) of the index-th series: twenty distinct colours, then new shapes."""
    colours = len(SERIES_COLOURS)
    return SERIES_COLOURS[index % colours], SHAPES[(index // colours) % len(SHAPES)]


def _axes() -> list[str]:
    x0, y0, x1 = LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT
    return [
        f'<line x1="{x0}" y1="{TOP}" x2="{x0}" y2="{y0}" stroke="#444"/>',
        f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#444"/>',
    ]


def _money(cents: float) -> str:
    return f"${cents / 100:,.2f}"


class _Scale:
    """Maps a data range onto a pixel range, linearly or on a log scale."""

    def __init__(self, low: float, high: float, start: float, end: float, log: bool = False):
        self.log = log
        if log:
            low, high = math.log10(low), math.log10(high)
        if high <= low:
            high = low + 1
        self.low, self.high, self.start, self.end = low, high, start, end

    def __call__(self, value: float) -> float:
        v = math.log10(value) if self.log else value
        return self.start + (v - self.low) / (self.high - self.low) * (self.end - self.start)

    def ticks(self) -> list[float]:
        if self.log:
            decades = range(math.floor(self.low), math.ceil(self.high) + 1)
            # Few decades in view: label 1-2-5 steps so the axis still reads.
            steps = (1,) if len(decades) > 3 else (1, 2, 5)
            return [
                m * 10.0**e
                for e in decades
                for m in steps
                if self.low - 1e-9 <= math.log10(m * 10.0**e) <= self.high + 1e-9
            ]
        step = _nice_step((self.high - self.low) / 5)
        first = math.ceil(self.low / step) * step
        return [first + i * step for i in range(int((self.high - first) / step) + 1)]


def _nice_step(raw: float) -> float:
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def tier_ladder(
    tiers: Sequence[tuple[int | None, int]],
    quantity: int,
    *,
    title: str,
    mode: str = "volume",
    marker_label: str = "group",
    alone: tuple[int, int] | None = None,
) -> Chart:
    """Unit price per tier as a descending staircase, with the group's quantity marked.

    The left axis is a price scale. `marker_label` names the marked quantity ("group",
    "total demand"); `alone` = (seats, unit cents) marks what one district would pay per
    seat buying its seats alone, as a dashed line and a point at its own quantity.
    """
    bounded = [up for up, _ in tiers if up is not None]
    current = next(i for i, (up, _) in enumerate(tiers) if up is None or quantity <= up)
    alone_q = alone[0] if alone else quantity
    # Whole decades on a log axis, from one below the smallest boundary to past the group.
    x_low = 10 ** max(0, math.floor(math.log10(max(1, min([quantity, alone_q, *bounded])))) - 1)
    top_q = 10 ** math.ceil(math.log10(max([quantity * 1.5, *(b * 2 for b in bounded[-1:]), 10])))
    xs = _Scale(x_low, top_q, LEFT, WIDTH - RIGHT, log=True)
    prices = [unit for _, unit in tiers]
    # Room at the top for the key line(s): the marker's label, and what buying alone costs.
    key_lines = 2 if alone else 1
    ys = _Scale(0, max([*prices, alone[1] if alone else 0]) * 1.1 or 1, HEIGHT - BOTTOM,
                TOP + 4 + 18 * key_lines)
    body = _axes()
    for tick in ys.ticks():
        y = ys(tick)
        body.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                    'stroke="#e3e7ee" class="grid"/>')
        body.append(_text(LEFT - 6, y + 4, _money(tick), anchor="end", size=MIN_FONT,
                          **{"class": "price-tick"}))
    low = 1
    rows = []
    for index, (up_to, unit) in enumerate(tiers):
        high = up_to if up_to is not None else top_q
        colour = PALETTE[1] if index == current else PALETTE[0]
        body.append(
            f'<line x1="{xs(max(low, x_low)):.1f}" y1="{ys(unit):.1f}" x2="{xs(high):.1f}" y2="{ys(unit):.1f}"'
            f' stroke="{colour}" stroke-width="{5 if index == current else 3}"/>'
        )
        if xs(high) - xs(max(low, x_low)) > 70:  # room for the step's own price
            body.append(_text((xs(max(low, x_low)) + xs(high)) / 2, ys(unit) - 7, _money(unit),
                              size=MIN_FONT))
        rows.append(
            (
                f"{low:,}–{up_to:,}" if up_to is not None else f"{low:,} and more",
                _money(unit),
                "yes" if index == current else "",
            )
        )
        low = (up_to or 0) + 1
    marker_x = xs(max(quantity, 1))
    body.append(
        f'<line x1="{marker_x:.1f}" y1="{TOP}" x2="{marker_x:.1f}" y2="{HEIGHT - BOTTOM}"'
        f' stroke="{PALETTE[1]}" stroke-dasharray="4 3"/>'
    )
    body.append(
        f'<circle cx="{marker_x:.1f}" cy="{ys(tiers[current][1]):.1f}" r="6" fill="{PALETTE[1]}"/>'
    )
    # The label sits on the side with room, so it is never cut off at the chart's edge.
    right_half = marker_x > (LEFT + WIDTH - RIGHT) / 2
    body.append(_text(marker_x + (-6 if right_half else 6), TOP + 4 + 18 * (key_lines - 1),
                      f"{marker_label}: {quantity:,} seat{'' if quantity == 1 else 's'}",
                      anchor="end" if right_half else "start", **{"class": "marker-label"}))
    desc = (
        f"{mode.capitalize()} tiers from {_money(prices[0])} down to {_money(prices[-1])} per seat; "
        f"the {marker_label} of {quantity:,} seats is in tier {current + 1} of {len(tiers)}."
    )
    if alone:
        seats, unit = alone
        y = ys(unit)
        body.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                    f'stroke="{PALETTE[6]}" stroke-dasharray="2 4" class="alone"/>')
        body.append(marker("diamond", xs(max(seats, 1)), y, PALETTE[6], 6))
        # Its label is a key line at the top left, clear of the steps and their prices.
        body.append(marker("diamond", LEFT + 14, TOP, PALETTE[6], 6))
        body.append(_text(LEFT + 26, TOP + 5, f"buying alone: {_money(unit)} per seat",
                          anchor="start", **{"class": "alone-label"}))
        desc += f" Buying its {seats:,} seats alone costs {_money(unit)} per seat."
        rows.append((f"{seats:,} alone", _money(unit), "buying alone"))
    for tick in xs.ticks():
        body.append(_text(xs(tick), HEIGHT - BOTTOM + 18, _count_label(tick), size=MIN_FONT))
    body.append(_text((LEFT + WIDTH - RIGHT) / 2, HEIGHT - 10, "seats (log scale)"))
    body.append(
        _text(
            16,
            (TOP + HEIGHT - BOTTOM) / 2,
            "price per seat",
            transform=f"rotate(-90 16 {(TOP + HEIGHT - BOTTOM) / 2})",
        )
    )
    return Chart(_svg(title, desc, body), title, ("seats", "price per seat", "this group"), tuple(rows))


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    value_label: str,
    category_label: str = "category",
    percent: bool = False,
) -> Chart:
    """Vertical bars, one per label (e.g. savings per enrollment band)."""
    fmt = (lambda v: f"{v:.1f}%") if percent else _money
    values = [v for _, v in bars]
    high = max([0.0, *values]) * 1.1 or 1.0
    low = min([0.0, *values])
    ys = _Scale(low, high, HEIGHT - BOTTOM, TOP)
    body = _axes()
    slot = (WIDTH - LEFT - RIGHT) / max(len(bars), 1)
    for index, (label, value) in enumerate(bars):
        x = LEFT + index * slot + slot * 0.15
        y_top, y_zero = ys(max(value, 0)), ys(0)
        height = abs(ys(value) - y_zero)
        body.append(
            f'<rect x="{x:.1f}" y="{min(y_top, ys(value)):.1f}" width="{slot * 0.7:.1f}"'
            f' height="{height:.1f}" fill="{PALETTE[index % len(PALETTE)]}"/>'
        )
        body.append(_text(x + slot * 0.35, min(y_top, ys(value)) - 4, fmt(value)))
        body.append(_text(x + slot * 0.35, HEIGHT - BOTTOM + 16, label))
    for tick in ys.ticks():
        body.append(_text(LEFT - 6, ys(tick) + 4, fmt(tick), anchor="end", size=10))
    desc = "; ".join(f"{label}: {fmt(v)}" for label, v in bars) or "no data"
    return Chart(
        _svg(title, f"{value_label} — {desc}", body),
        title,
        (category_label, value_label),
        tuple((label, fmt(v)) for label, v in bars),
    )


@dataclass(frozen=True, slots=True)
class Point:
    """One district in a scatter: position, its series (group) and a label."""

    x: float
    y: float
    series: str
    label: str


def _natural(text: str) -> list:
    """Sort key that puts "Group 2" before "Group 10"."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def scatter(
    points: Sequence[Point],
    *,
    title: str,
    x_label: str,
    y_label: str,
    series: Sequence[str] = (),
) -> Chart:
    """Points on log-log axes, coloured by series (e.g. districts coloured by group).

    Every series gets its own colour (twenty, then shapes too) and a line in the legend,
    which sits below the plot and grows the picture as needed. `series` lists series to
    show in the legend even if none of their points can be drawn.
    """
    usable = [p for p in points if p.x > 0 and p.y > 0]
    xs = _Scale(
        min([p.x for p in usable], default=1) / 1.2,
        max([p.x for p in usable], default=10) * 1.2,
        LEFT,
        WIDTH - RIGHT,
        log=True,
    )
    ys = _Scale(
        min([p.y for p in usable], default=0.1) / 1.2,
        max([p.y for p in usable], default=10) * 1.2,
        HEIGHT - BOTTOM,
        TOP,
        log=True,
    )
    names = sorted({*series, *(p.series for p in points)}, key=_natural)
    style = {s: series_style(i) for i, s in enumerate(names)}
    body = _axes()
    for p in usable:
        colour, shape = style[p.series]
        tip = f"<title>{escape(p.label)} ({escape(p.series)})</title>"
        body.append(marker(shape, xs(p.x), ys(p.y), colour, 5, ' fill-opacity="0.85"')
                    .replace("/>", f">{tip}</{_tag(shape)}>", 1))
    for tick in xs.ticks():
        body.append(_text(xs(tick), HEIGHT - BOTTOM + 18, _count_label(tick), size=MIN_FONT))
    for tick in ys.ticks():
        body.append(_text(LEFT - 6, ys(tick) + 4, f"{tick:g}", anchor="end", size=MIN_FONT))
    body.append(_text((LEFT + WIDTH - RIGHT) / 2, HEIGHT - 10, f"{x_label} (log scale)"))
    body.append(
        _text(
            16,
            (TOP + HEIGHT - BOTTOM) / 2,
            f"{y_label} (log)",
            transform=f"rotate(-90 16 {(TOP + HEIGHT - BOTTOM) / 2})",
        )
    )
    columns, line = 1, 22  # one a line: group names are long ("Group 12 · Vendor, tier 3")
    column_width = (WIDTH - 20) / columns
    legend = ['<g class="legend">']
    for i, name in enumerate(names):
        colour, shape = style[name]
        x = 14 + (i % columns) * column_width
        y = HEIGHT + 8 + (i // columns) * line
        legend.append(marker(shape, x + 6, y - 5, colour, 6))
        legend.append(_text(x + 18, y, name, anchor="start", size=MIN_FONT))
    legend.append("</g>")
    height = HEIGHT + 14 + math.ceil(len(names) / columns) * line
    desc = f"{len(usable)} districts in {len(names)} groups, {x_label} against {y_label}."
    rows = tuple((p.label, p.series, figure(p.x), figure(p.y)) for p in points)
    return Chart(_svg(title, desc, body + legend, height), title,
                 ("district", "group", x_label, y_label), rows)


def _tag(shape: str) -> str:
    return {"square": "rect", "triangle": "polygon", "diamond": "polygon"}.get(shape, "circle")


# --- allocation runs: the compare chart and the convergence chart (issue 6) ---------------

LABEL_COLUMN = 200  # px for the category labels of a horizontal bar chart
ROW = 30


CHAR_EM = 0.58  # the width of an average sans-serif character, in em


def _text_width(label: str, size: int = MIN_FONT) -> float:
    """About how many px `label` takes at `size`."""
    return len(label) * size * CHAR_EM


def _fit(label: str, width: float, size: int = MIN_FONT) -> str:
    """The label cut with an ellipsis to fit `width` px."""
    room = max(4, int(width / (size * CHAR_EM)))
    return label if len(label) <= room else label[: room - 1].rstrip() + "…"


def hbar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    value_label: str,
    category_label: str = "category",
    percent: bool = False,
) -> Chart:
    """Horizontal bars, one row per label: long labels never overlap (cut, full in a tooltip)."""
    fmt = (lambda v: f"{v:.1f}%") if percent else _money
    values = [v for _, v in bars]
    low, high = min([0.0, *values]), max([0.0, *values]) * 1.15 or 1.0
    height = TOP + ROW * max(len(bars), 1) + 40
    xs = _Scale(low, high, LEFT + LABEL_COLUMN - 60, WIDTH - RIGHT - 50)
    x0 = xs(0)
    body = [f'<line x1="{x0:.1f}" y1="{TOP}" x2="{x0:.1f}" y2="{height - 40}" stroke="#444"/>']
    for index, (label, value) in enumerate(bars):
        y = TOP + index * ROW
        left, right = sorted((x0, xs(value)))
        body.append(
            f'<rect x="{left:.1f}" y="{y + 5}" width="{max(right - left, 1):.1f}" height="{ROW - 10}"'
            f' fill="{PALETTE[index % len(PALETTE)]}"><title>{escape(label)}: {escape(fmt(value))}'
            "</title></rect>"
        )
        body.append(_text(8, y + ROW / 2 + 4, _fit(label, LABEL_COLUMN - 70), anchor="start"))
        body.append(_text(right + 4, y + ROW / 2 + 4, fmt(value), anchor="start"))
    for tick in xs.ticks():
        body.append(_text(xs(tick), height - 24, fmt(tick), size=10))
    body.append(_text((x0 + WIDTH - RIGHT) / 2, height - 6, value_label))
    desc = "; ".join(f"{label}: {fmt(v)}" for label, v in bars) or "no data"
    return Chart(
        _svg(title, f"{value_label} — {desc}", body, height=height),
        title,
        (category_label, value_label),
        tuple((label, fmt(v)) for label, v in bars),
    )


def step_lines(
    series: Sequence[tuple[str, Sequence[tuple[float, float | None]]]],
    *,
    title: str,
    y_label: str,
    money: bool = False,
    x_label: str = "seconds since the start",
) -> Chart:
    """Values over time as step lines (each holds until it changes), one colour per series."""
    fmt = _money if money else (lambda v: f"{v:,.0f}")
    tick_fmt = _short_money if money else fmt
    points = [(t, v) for _, line in series for t, v in line if v is not None]
    t_high = max([t for t, _ in points], default=1.0) or 1.0
    v_low = min([v for _, v in points], default=0.0)
    v_high = max([v for _, v in points], default=1.0)
    pad = (v_high - v_low) * 0.1 or abs(v_high) * 0.05 or 1.0
    xs = _Scale(0, t_high, LEFT + 20, WIDTH - RIGHT)
    ys = _Scale(v_low - pad, v_high + pad, HEIGHT - BOTTOM, TOP + 16)
    body = _axes()
    key_x = LEFT + 20.0  # the keys side by side above the plot, each as wide as its words
    for index, (name, line) in enumerate(series):
        known = [(t, v) for t, v in line if v is not None]
        if not known:
            continue
        colour = PALETTE[index % len(PALETTE)]
        path = [f"M{xs(known[0][0]):.1f},{ys(known[0][1]):.1f}"]
        for t, v in known[1:]:
            path.append(f"H{xs(t):.1f}V{ys(v):.1f}")
        path.append(f"H{xs(t_high):.1f}")
        dash = ' stroke-dasharray="6 3"' if index % 2 else ""
        body.append(f'<path d="{"".join(path)}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        body.append(f'<rect x="{key_x:.1f}" y="{TOP - 8}" width="12" height="4" fill="{colour}"/>')
        body.append(_text(key_x + 16, TOP - 2, name, anchor="start", size=MIN_FONT))
        key_x += 16 + _text_width(name) + 24
    for tick in xs.ticks():
        body.append(_text(xs(tick), HEIGHT - BOTTOM + 16, f"{tick:g}", size=10))
    ticks = ys.ticks()
    for tick in ticks[:: max(1, len(ticks) // 5)]:
        body.append(_text(LEFT - 4, ys(tick) + 4, tick_fmt(tick), anchor="end", size=10))
    body.append(_text((LEFT + WIDTH - RIGHT) / 2, HEIGHT - 10, x_label))
    mid = (TOP + HEIGHT - BOTTOM) / 2
    body.append(_text(12, mid, y_label, transform=f"rotate(-90 12 {mid})"))
    finals = [(name, [v for _, v in line if v is not None]) for name, line in series]
    desc = "; ".join(f"{name}: {fmt(vals[-1])} after {t_high:g} s" for name, vals in finals if vals)
    rows = _changes(series, fmt)
    return Chart(_svg(title, desc or "no data yet", body), title,
                 ("seconds", *(name for name, _ in series)), rows)


def _short_money(cents: float) -> str:
    """An axis label that fits the margin: $1.25M, $480k, $950."""
    dollars = cents / 100
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(dollars) >= size:
            return f"${dollars / size:,.3g}{suffix}"
    return f"${dollars:,.0f}"


def _changes(series, fmt) -> tuple[tuple[str, ...], ...]:
    """The table of a step chart: one row per moment a value changed."""
    times = sorted({t for _, line in series for t, _ in line})
    lookup = [dict(line) for _, line in series]
    rows, last = [], None
    for t in times:
        values = tuple(lookup[i].get(t) for i in range(len(series)))
        if values != last:
            rows.append((f"{t:g}", *("—" if v is None else fmt(v) for v in values)))
            last = values
    return tuple(rows)
