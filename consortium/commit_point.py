"""The one commit point of a request, and how a refusal is answered.

Views parse input, call services and render or redirect; they never commit or roll back.
After the view returns, `_finish` decides for the whole request (as Indico's `RH.process` and
Warehouse's transaction manager do):

- a POST (PUT, PATCH, DELETE) answered below 400 is committed, then what waited for the
  commit runs (mail from `notify`, jobs from `jobs.run_after_commit`);
- anything else rolls back: a GET never writes, and neither does a 4xx or 5xx answer.

A service refuses with `DomainError`. `_refused` rolls back at once, so the answer shows the
state as it was, then answers with what the view registered for this request:

    on_refusal(flash_and_redirect(url_for("bids.products")))   # flash the message, then back
    on_refusal(refused)   # a view's own answer, e.g. its form again with mark_field(form, error)

and otherwise with the error page of the refusal's status (400, 403 or 409) and its message.
An API blueprint can set its own answer for all its views (a `before_request` that calls
`on_refusal` with a JSON answer).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from flask import Flask, flash, g, redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from consortium.errors import DomainError
from consortium.transaction import commit_now, rollback

log = logging.getLogger(__name__)

Answer = Callable[[DomainError], ResponseReturnValue]
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_ANSWER = "_refusal_answer"
_REFUSED = "_refused"


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, _refused)
    app.after_request(_finish)


def on_refusal(answer: Answer) -> None:
    """How this request answers a DomainError from the services it calls."""
    setattr(g, _ANSWER, answer)


def flash_and_redirect(url: str, code: int = 302) -> Answer:
    """An answer that flashes the refusal's message and sends the browser to `url`."""

    def answer(error: DomainError) -> Response:
        flash(error.message, "error")
        return redirect(url, code=code)

    return answer


def mark_field(
    form: FlaskForm, error: DomainError, aliases: Mapping[str, str] | None = None
) -> bool:
    """Show the refusal next to its field (`aliases`: service name -> form name), if the form
    has that field; False when it has not (then the page shows the message on its own)."""
    name = (aliases or {}).get(error.field or "", error.field)
    if not name or name not in form:
        return False
    form[name].errors = [*form[name].errors, error.message]
    return True


def _refused(error: DomainError) -> ResponseReturnValue:
    setattr(g, _REFUSED, True)
    rollback()
    answer = g.pop(_ANSWER, None)
    if answer is not None:
        return answer(error)
    page = render_template(f"errors/{error.status}.html", error=error, message=error.message)
    return page, error.status


def _finish(response: Response) -> Response:
    refused = g.pop(_REFUSED, False)
    if refused or request.method not in WRITE_METHODS or response.status_code >= 400:
        rollback()
        return response
    try:
        commit_now()
    except Exception:
        # The view already said "saved": take that back, the error page says what happened.
        session.pop("_flashes", None)
        log.exception("commit failed for %s %s", request.method, request.path)
        raise
    return response
