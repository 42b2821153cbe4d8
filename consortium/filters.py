"""Jinja filters and globals shared by every template: money, pct, number, localtime, countdown.

One format for times and dates everywhere, pages and mail: `localtime` ("Dec 20, 2026, 3:00 PM
CST") and `localdate` ("Dec 20, 2026"), in the consortium's timezone. Counts of a solicitation's
unit read as English (`quantity`: "63,665 seats per year"); purchasing groups have one name
(`group_name`: "Group 3 · Acme LMS, tier 2"); optimiser reasons lose their rule code
(`plain_reason`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, url_for
from markupsafe import Markup, escape
from werkzeug.routing import BuildError

from consortium.clock import now

CURRENCY_SYMBOLS = {"USD": "$", "CAD": "CA$", "EUR": "€", "GBP": "£"}


def money(cents: int | None, currency: str = "USD") -> str:
    """Integer cents as currency: 123456 -> $1,234.56."""
    if cents is None:
        return "—"
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), currency.upper() + " ")
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{symbol}{whole:,}.{rest:02d}"


def pct(fraction: float | Decimal | None, digits: int = 1) -> str:
    """A fraction as a percentage: 0.125 -> 12.5%."""
    if fraction is None:
        return "—"
    return f"{float(fraction) * 100:,.{digits}f}%"


def number(value: int | float | None, digits: int = 0) -> str:
    """Thousands separators: 12345 -> 12,345."""
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


DATETIME_FORMAT = "%b %-d, %Y, %-I:%M %p %Z"
DATE_FORMAT = "%b %-d, %Y"


def _zone(tz: str | None) -> ZoneInfo:
    name = tz or current_app.config.get("TIMEZONE") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def localtime(value: datetime | None, tz: str | None = None, fmt: str = DATETIME_FORMAT) -> str:
    """An aware datetime in the consortium's zone (default: the TIMEZONE setting)."""
    if value is None:
        return "—"
    return value.astimezone(_zone(tz)).strftime(fmt)


def timetag(value: datetime | None, tz: str | None = None) -> Markup:
    """`localtime` inside <time datetime="..."> (the exact instant, for machines and hovering)."""
    if value is None:
        return Markup("—")
    return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), localtime(value, tz))


def localdate(value: date | datetime | None, tz: str | None = None) -> str:
    """A calendar day: a date as is, an aware datetime as the day it is in `tz`: Dec 20, 2026."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return localtime(value, tz, DATE_FORMAT)
    return value.strftime(DATE_FORMAT)


def daterange(start: date | None, end: date | None) -> str:
    """A term: 'Nov 5, 2026 to Nov 5, 2029'."""
    return f"{localdate(start)} to {localdate(end)}"


_ES = re.compile(r"(s|x|z|ch|sh)$")
_Y = re.compile(r"[^aeiou]y$")


def plural(word: str, count: int | float = 2) -> str:
    """An English noun for `count` of it: seat -> seats, license -> licenses, copy -> copies.

    A unit of several words pluralises its head: "seat per year" -> "seats per year",
    "student license" -> "student licenses".
    """
    if count == 1 or not word:
        return word
    head, sep, tail = word.partition(" per ")
    *before, last = head.split(" ")
    if _Y.search(last):
        last = last[:-1] + "ies"
    elif _ES.search(last):
        last += "es"
    else:
        last += "s"
    return " ".join([*before, last]) + sep + tail


def quantity(count: int | None, unit: str) -> str:
    """A count with its unit: 63665, "seat per year" -> "63,665 seats per year"."""
    if count is None:
        return "—"
    return f"{count:,} {plural(unit, count)}"


def group_name(group, *, tier: bool = True) -> str:
    """A purchasing group as people read it: 'Group 3 · Acme LMS, tier 2'.

    Accepts an AwardGroup (number from its label, e.g. "g3"), or anything with `label`,
    `vendor_name` and `tier_index`. One helper, so every page and mail names groups alike.
    """
    label = str(getattr(group, "label", "") or "")
    match = re.fullmatch(r"[A-Za-z]*0*(\d+)", label)
    name = f"Group {match.group(1)}" if match else (f"Group {label}" if label else "Group")
    vendor = getattr(group, "vendor_name", None)
    if vendor is None and getattr(group, "vendor", None) is not None:
        vendor = group.vendor.name
    if vendor:
        name += f" · {vendor}"
    tier_index = getattr(group, "tier_index", None)
    if tier and tier_index is not None:
        name += f", tier {tier_index + 1}" if vendor else f" · tier {tier_index + 1}"
    return name


# The optimiser's reasons start with the rule they name ("capacity: ...", ALLOCATION.md);
# older runs and other tools used field names. People read the rule in words.
_REASON_RULES = {
    "max_unit_amount": "price ceiling",
    "price ceiling": "price ceiling",
    "capacity": "capacity",
    "eligibility": "eligibility",
    "eligible_offers": "eligibility",
    "group size": "group size",
    "min_group_size": "group size",
    "max_group_size": "group size",
    "individual_rationality": "no dearer than alone",
    "no dearer than alone": "no dearer than alone",
    "similarity": "similar districts",
    "not placed": "not placed",
}
_REASON = re.compile(r"^\s*([a-z][a-z_ ]{1,40}?)\s*:\s*(.+)$", re.S)


def plain_reason(reason: str | None) -> str:
    """'max_unit_amount: no bid ...' -> 'Price ceiling: no bid ...' (never a code first)."""
    if not reason:
        return "No reason recorded."
    match = _REASON.match(reason)
    if not match:
        return reason[:1].upper() + reason[1:]
    code, rest = match.groups()
    rules = [_REASON_RULES.get(part.strip(), part.strip().replace("_", " "))
             for part in code.split(" and ")]
    rule = " and ".join(dict.fromkeys(rules))
    return f"{rule[:1].upper()}{rule[1:]}: {rest}"


def duration(delta: timedelta) -> str:
    """A human span: '3 days 4 h', '5 h 12 min', '42 min', 'less than a minute'."""
    seconds = int(delta.total_seconds())
    days, rem = divmod(seconds, 86400)
    hours, rem = divmod(rem, 3600)
    minutes = rem // 60
    if days:
        unit = "day" if days == 1 else "days"
        return f"{days} {unit} {hours} h" if hours else f"{days} {unit}"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return "less than a minute"


def countdown(deadline: datetime | None, verb: str = "closes") -> str:
    """'closes in 3 days 4 h' or 'closed 2 h ago', from the server clock."""
    if deadline is None:
        return "no deadline"
    delta = deadline - now()
    if delta.total_seconds() > 0:
        return f"{verb} in {duration(delta)}"
    past = {"closes": "closed", "expires": "expired", "opens": "opened"}.get(verb, verb)
    return f"{past} {duration(-delta)} ago"


def nl2br(text: str | None) -> Markup:
    return Markup("<br>").join(escape(text or "").splitlines())


# Navigation by role. Each entry lists candidate endpoints; the first that exists (and needs no
# arguments) is shown, so a domain's pages appear in the menu as soon as they are registered.
NAV: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "public": [
        ("Solicitations", ("procurement.index", "procurement.public_list")),
        ("Awards", ("awards.index",)),
    ],
    "district": [
        ("Dashboard", ("dashboard.index",)),
        ("My district", ("accounts.profile",)),
        ("Solicitations", ("procurement.index",)),
        ("Opt-ins", ("procurement.my_opt_ins", "procurement.opt_ins")),
        ("Contracts", ("awards.my_contracts", "awards.contracts")),
        ("Invoices", ("payments.invoices",)),
    ],
    "vendor": [
        ("Dashboard", ("dashboard.index",)),
        ("Demand", ("bids.demand",)),
        ("Bids", ("bids.my_bids", "bids.index")),
        ("Products", ("bids.products",)),
        ("Groups", ("awards.my_groups",)),
        ("Invoices", ("payments.invoices",)),
        ("Company", ("accounts.profile",)),
    ],
    "consortium": [
        ("Dashboard", ("dashboard.index",)),
        ("Solicitations", ("procurement.manage", "procurement.manager_index", "procurement.index")),
        ("Verification", ("accounts.verification",)),
        ("Runs", ("allocation.index", "allocation.all_runs")),
        ("Reports", ("awards.reports", "awards.index")),
        ("Payments", ("payments.manage.index",)),
        ("Audit", ("audit.index",)),
    ],
}


def nav_items(role: str) -> list[tuple[str, str, str]]:
    """(label, url, endpoint) for the role's menu, skipping pages that do not exist yet."""
    items = []
    for label, candidates in NAV.get(role, NAV["public"]):
        for endpoint in candidates:
            if endpoint not in current_app.view_functions:
                continue
            try:
                items.append((label, url_for(endpoint), endpoint))
            except BuildError:
                continue
            break
    return items


def url_if(endpoint: str, **values) -> str | None:
    """url_for, or None when the endpoint is not registered (templates link only if it exists)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def init_app(app: Flask) -> None:
    app.add_template_global(nav_items)
    app.add_template_global(url_if)
    app.add_template_filter(money)
    app.add_template_filter(pct)
    app.add_template_filter(number)
    app.add_template_filter(localtime)
    app.add_template_filter(localdate)
    app.add_template_filter(timetag)
    app.add_template_filter(quantity)
    app.add_template_filter(plural)
    app.add_template_filter(plain_reason)
    app.add_template_global(daterange)
    app.add_template_global(group_name)
    app.add_template_filter(group_name)
    app.add_template_filter(countdown)
    app.add_template_filter(duration)
    app.add_template_filter(nl2br)
    app.add_template_global(now, "now")

    @app.context_processor
    def inject_org():
        from consortium.context import current_membership
        from consortium.policy import is_manager_of

        membership = current_membership()
        org = membership.organisation if membership else None
        return {
            "current_org": org,
            "current_membership": membership,
            "current_role": org.kind.value if org else "public",
            "is_manager": bool(org and org.is_consortium),
            "is_manager_of": is_manager_of,
            "demo_mode": app.config.get("DEMO_MODE", False),
        }
