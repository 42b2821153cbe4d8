"""The confirmation step of an irreversible action, without JavaScript.

The button posts to the action's own URL; without `confirm=yes` the view answers with a page
that says what will happen (and changes nothing), whose button posts again with it. Views:

    if not confirmed():
        return confirmation(title=..., consequences=[...], action=request.path, button=...,
                            back_url=...)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask import render_template, request

CONFIRM_FIELD = "confirm"


def confirmed() -> bool:
    """The request is the second POST, sent from the confirmation page."""
    return request.form.get(CONFIRM_FIELD) == "yes"


def confirmation(
    *,
    title: str,
    consequences: Sequence[str],
    action: str,
    button: str,
    back_url: str,
    back_label: str = "Go back, change nothing",
    hidden: Mapping[str, object] | None = None,
    form=None,
    fields: Sequence[str] = (),
    error: str | None = None,
    status: int = 200,
):
    """The confirmation page: what will happen, the button that does it, the way back.

    `form` with `fields` names inputs asked on the page (a reason); `hidden` re-posts values
    the first request carried (a version).
    """
    page = render_template(
        "confirm.html", title=title, consequences=consequences, action=action, button=button,
        back_url=back_url, back_label=back_label, hidden=dict(hidden or {}), form=form,
        fields=[form[name] for name in fields] if form is not None else [], error=error,
    )
    return page, status
