"""Jinja filters and globals shared by every template: money, pct, number, localtime, countdown."""

from __future__ import annotations

from datetime import datetime, timedelta
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


def _zone(tz: str | None) -> ZoneInfo:
    name = tz or current_app.config.get("TIMEZONE") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def localtime(value: datetime | None, tz: str | None = None, fmt: str = "%b %-d, %Y %-I:%M %p %Z") -> str:
    """An aware datetime in the consortium's zone (default: the TIMEZONE setting)."""
    if value is None:
        return "—"
    return value.astimezone(_zone(tz)).strftime(fmt)


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
