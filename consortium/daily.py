"""The daily job: what the calendar alone changes. Cron runs `flask --app wsgi daily`.

Steps, in this order, each in its own transaction so that one failing step neither undoes
nor blocks the others:

1. contracts still pending after their acceptance window become `lapsed` (the district is told);
2. "signature due" and "contract expiring" reminders (awards);
3. "opt-in deadline approaching" / "last days to join" reminders (procurement);
4. invoices of later contract years whose anniversary came (payments);
5. "due in N days" and "overdue" invoice reminders (payments);
6. with Stripe: drafts waiting for a vendor's payouts, and calls that failed, retried.

Idempotent: every step marks what it did (status, `*_reminded_at`, `opt_in_reminder_sent_at`)
and selects only what is still unmarked, with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so
running it twice, or two overlapping runs, mail nobody twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from consortium.transaction import atomic

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepOutcome:
    name: str
    count: int
    error: str | None = None


def _lapse() -> int:
    from consortium.awards.services import lapse_overdue_contracts

    return len(lapse_overdue_contracts())


def _contract_reminders() -> int:
    from consortium.awards.services import send_reminders

    return send_reminders()


def _deadline_reminders() -> int:
    from consortium.procurement.services import send_deadline_reminders

    return len(send_deadline_reminders())


def _invoice_years() -> int:
    from consortium.payments.invoicing import invoice_due_years

    return invoice_due_years()


def _invoice_reminders() -> int:
    from consortium.payments.lifecycle import send_reminders

    return send_reminders()


def _stripe_retries() -> int:
    from consortium.payments.outbound import retry_unsettled

    return retry_unsettled()


STEPS: tuple[tuple[str, Callable[[], int]], ...] = (
    ("contracts lapsed", _lapse),
    ("contract reminders (signature due, expiring)", _contract_reminders),
    ("solicitations reminded of their opt-in deadline", _deadline_reminders),
    ("invoices made for a new contract year", _invoice_years),
    ("invoice reminders (due soon, overdue)", _invoice_reminders),
    ("invoices settled with Stripe (waiting or failed before)", _stripe_retries),
)


def run_daily() -> list[StepOutcome]:
    """Run every step and commit each; a failing step is rolled back, logged and reported."""
    outcomes = []
    for name, step in STEPS:
        try:
            with atomic():
                count = step()
        except Exception as exc:  # one broken step must not keep the others from running
            log.exception("daily: %s failed", name)
            outcomes.append(StepOutcome(name, 0, f"{type(exc).__name__}: {exc}"))
        else:
            outcomes.append(StepOutcome(name, count))
    return outcomes
