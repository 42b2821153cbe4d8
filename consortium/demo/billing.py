"""The demo's money: payment terms, and what happens to each accepted contract's invoice.

Offline, as the demo runs without Stripe keys: each acceptance issues an application-numbered
invoice (through the real services); in the weeks after, most districts pay by check or ACH,
some first send a purchase order, and a few let the due date pass. Every invoice state shows:
open, open with a purchase order, overdue, paid, paid against a purchase order.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from consortium.accounts.models import User
from consortium.awards.models import Contract
from consortium.clock import local_date
from consortium.demo.data import CONSORTIUM, TIMEZONE
from consortium.demo.timeline import DemoError, Timeline
from consortium.extensions import db
from consortium.payments import lifecycle
from consortium.payments.models import Invoice
from consortium.payments.states import PaymentMethod
from consortium.procurement.models import Solicitation

DAYS_UNTIL_DUE = 21
REMINDER_DAYS = [7, 2]


class Story(Protocol):
    """What these steps need of `consortium.demo.story.Story` (which calls them)."""

    rng: random.Random
    timeline: Timeline
    solicitations: dict[str, Solicitation]

    def act_as(self, org_name: str) -> User: ...
    def day(self, offset: int, hour: int = 10, minute: int = 0) -> datetime: ...


def terms(story: Story, key: str, when: datetime) -> None:
    """The manager sets the solicitation's payment terms before the award."""

    def step() -> None:
        story.act_as(CONSORTIUM)
        lifecycle.set_terms(story.solicitations[key], DAYS_UNTIL_DUE, REMINDER_DAYS)

    story.timeline.at(when, step)


def payments(story: Story, decided: list[tuple[Contract, datetime]], keep: set[str]) -> None:
    """After each acceptance: a check, a PO then a payment, a PO alone, or nothing (overdue)."""
    last = story.day(-1, 17)
    for number, (contract, accepted) in enumerate(sorted(decided, key=lambda d: d[1]), start=1):
        name = contract.district.name
        if name in keep:
            continue
        due = accepted + timedelta(days=DAYS_UNTIL_DUE)
        draw = story.rng.random()
        po_at = accepted + timedelta(days=story.rng.randint(1, 4), hours=story.rng.randint(1, 5))
        paid_at = accepted + timedelta(days=story.rng.randint(6, DAYS_UNTIL_DUE - 1), hours=3)
        if due < last and draw < 0.2:
            continue  # forgotten: overdue by now
        if draw < 0.5 and po_at < last:
            _plan(story, po_at, purchase_order(story, contract, number))
            if paid_at < last and draw < 0.4:  # paid against the purchase order
                reference = f"ACH trace 0710{number:05d}"
                _plan(story, paid_at, paid(story, contract, PaymentMethod.ach, reference))
        elif paid_at < last:
            _plan(story, paid_at, paid(story, contract, PaymentMethod.check, f"Check {4100 + number}"))


def reminders(story: Story, when: datetime) -> None:
    """This morning's `flask daily` reminders: due soon, and overdue."""

    def step() -> None:
        story.act_as(CONSORTIUM)
        lifecycle.send_reminders()

    story.timeline.at(when, step)


def _plan(story: Story, when: datetime, step: Callable[[], None]) -> None:
    story.timeline.at(when, step)


def _invoice(contract: Contract) -> Invoice:
    invoice = db.session.query(Invoice).filter_by(contract_id=contract.id, contract_year=1).first()
    if invoice is None:
        raise DemoError(f"the accepted contract {contract.id} has no invoice")
    return invoice


def purchase_order(story: Story, contract: Contract, number: int) -> Callable[[], None]:
    def step() -> None:
        story.act_as(contract.district.name)
        lifecycle.record_purchase_order(_invoice(contract), f"PO-26-{1000 + 7 * number}")

    return step


def paid(story: Story, contract: Contract, method: PaymentMethod, reference: str) -> Callable[[], None]:
    def step() -> None:
        manager = story.act_as(CONSORTIUM)
        invoice = _invoice(contract)
        lifecycle.record_payment(
            invoice, amount_cents=invoice.balance_cents, method=method, reference=reference,
            received_on=local_date(story.timeline.current, TIMEZONE), user=manager,
            expected_paid_cents=invoice.amount_paid_cents,
        )

    return step
