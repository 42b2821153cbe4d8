"""The manager's view of the audit trail, and its CSV export."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from math import ceil
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, render_template, request

from consortium import policy
from consortium.audit import services
from consortium.audit.describe import describe
from consortium.bounds import FIRST_YEAR, LAST_YEAR

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _consortium():
    return policy.require_managed_consortium()


def _day(value: str | None, tz: str) -> datetime | None:
    """A yyyy-mm-dd filter value as the start of that day in the consortium's zone."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        return None  # no event is that old or that new; and a day past 9999 cannot be built
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(tz))


def _filters(consortium) -> dict:
    tz = consortium.timezone or current_app.config["TIMEZONE"]
    until = _day(request.args.get("until"), tz)
    return {
        "action": request.args.get("action") or None,
        "object_type": request.args.get("object_type") or None,
        "since": _day(request.args.get("since"), tz),
        "until": until + timedelta(days=1) if until else None,
    }


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return max(1, min(int(raw), 10**6)) if raw.isdigit() else 1


def _page(consortium, *, broken: list[int] | None = None) -> str:
    page = _page_number()
    events, total = services.events_page(consortium, page, **_filters(consortium))
    pages = max(1, ceil(total / services.PER_PAGE))
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "audit/index.html",
        consortium=consortium,
        events=events,
        total=total,
        page=page,
        pages=pages,
        first=(page - 1) * services.PER_PAGE + 1,
        filters=filters,
        args=request.args,
        actions=services.actions_for_consortium(consortium),
        names=services.actor_names(events),
        objects=describe(events),
        verified=broken is not None,
        broken=services.labels(broken or []),
    )


@bp.get("/")
def index():
    return _page(_consortium())


@bp.get("/verify")
def verify():
    """Re-hash the whole chain, on demand: it grows with every state change, so not per view."""
    consortium = _consortium()
    return _page(consortium, broken=services.verify_chain())


@bp.get("/export.csv")
def export():
    consortium = _consortium()
    events = services.events_for_consortium(consortium, **_filters(consortium))
    filename = f"audit-{consortium.slug}.csv"
    return Response(
        services.to_csv(reversed(events), describe(events)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
