"""A tier schedule uploaded as CSV: one tier per line, checked by the bid form's rules, every
problem reported with its line.

    up_to,unit_price
    999,12.00
    4999,10.50
    ,9.00

`up_to` is the last seat of the tier (empty on the last line), `unit_price` dollars per seat
(whole cents; "$" and thousands separators allowed). Lines count as a spreadsheet shows them:
the header is line 1.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from consortium.bids.schedules import Schedule, schedule_problems
from consortium.bounds import MAX_UNIT_CENTS
from pricing.types import Tier

COLUMNS = ("up_to", "unit_price")
MAX_TIERS = 20
MAX_PRICE = Decimal(MAX_UNIT_CENTS) / 100  # dollars per seat, as the bid form
TEMPLATE = "up_to,unit_price\n999,12.00\n4999,10.50\n,9.00\n"


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    column: str
    message: str


def _price(raw: str) -> Decimal:
    cleaned = raw.strip().replace("$", "").replace(",", "")
    try:
        price = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("not a price: use dollars, e.g. 12.50") from None
    if not price.is_finite():
        raise ValueError("not a price: use dollars, e.g. 12.50")
    if price < 0:
        raise ValueError("must be zero or more")
    if price > MAX_PRICE:
        raise ValueError("more than $1,000,000 per seat: check the column")
    if price != price.quantize(Decimal("0.01")):
        raise ValueError("whole cents only")
    return price


def _up_to(raw: str) -> int | None:
    cleaned = raw.strip().replace(",", "")
    if not cleaned:
        return None
    if not cleaned.isdigit() or len(cleaned) > 9:
        raise ValueError("a whole number of seats (or empty on the last tier)")
    return int(cleaned)


def parse_schedule(
    text: str, tiers_mode: str, capacity: int | None
) -> tuple[Schedule | None, list[LineError]]:
    """The schedule the file describes, or None and every problem by line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [cell.strip().lower() for cell in next(reader, [])]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        return None, [LineError(1, ", ".join(missing),
                                "the header must name the columns up_to and unit_price")]
    where = {name: header.index(name) for name in COLUMNS}
    errors: list[LineError] = []
    tiers: list[Tier] = []
    lines: list[int] = []
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        lines.append(line)
        if len(lines) > MAX_TIERS:
            errors.append(LineError(line, "file", f"at most {MAX_TIERS} tiers"))
            break
        cells = {name: row[index] if index < len(row) else "" for name, index in where.items()}
        try:
            up_to = _up_to(cells["up_to"])
        except ValueError as exc:
            errors.append(LineError(line, "up_to", str(exc)))
            up_to = None
        try:
            price = _price(cells["unit_price"]) if cells["unit_price"].strip() else None
        except ValueError as exc:
            errors.append(LineError(line, "unit_price", str(exc)))
            continue
        if price is None:
            errors.append(LineError(line, "unit_price", "enter the price per seat"))
            continue
        tiers.append(Tier(up_to, int(price * 100)))
    if not tiers and not errors:
        errors.append(LineError(2, "unit_price", "the file has no tiers"))
    if errors:
        return None, errors
    schedule = Schedule(tiers_mode, tuple(tiers), capacity)
    for field, message in schedule_problems(schedule):
        if field.startswith("tiers-"):
            _, index, column = field.split("-", 2)
            errors.append(LineError(lines[int(index)], column, message))
        else:
            errors.append(LineError(0, field, message))
    return (None, errors) if errors else (schedule, [])
