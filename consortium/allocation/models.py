"""AllocationRun: one optimiser run on a solicitation, with its exact input and result."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consortium.db import TZDateTime, str_enum, utcnow
from consortium.extensions import db


class RunStatus(StrEnum):
    """queued -> running -> succeeded | failed; only a queued run is performed."""

    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


PUBLISHABLE_RESULTS = ("optimal", "feasible")


class AllocationRun(db.Model):
    """A scenario: the policy a manager chose, the instance it produced and the solver's answer.

    `input_json` and `result_json` are stored as the exact text that is hashed and served
    for download, so a published award can be re-checked byte for byte.
    """

    __tablename__ = "allocation_runs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed')", name="status_known"
        ),
        CheckConstraint("total_amount IS NULL OR total_amount >= 0", name="total_not_negative"),
        CheckConstraint("served_bound IS NULL OR served_bound >= 0", name="served_bound_not_negative"),
        CheckConstraint("asked_quantity IS NULL OR asked_quantity >= 0", name="asked_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    solicitation_id: Mapped[int] = mapped_column(ForeignKey("solicitations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    solver: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # VARCHAR(16) as before: the stored values are the same strings, no migration.
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus, length=16), default=RunStatus.queued)
    progress: Mapped[str] = mapped_column(String(300), default="Waiting for a worker")
    input_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    input_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    result_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    result_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    bound: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # A proven upper bound on the seats any valid allocation serves (the result's served_bound).
    served_bound: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Seats the live opt-ins asked for, set-aside districts included.
    asked_quantity: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    gap: Mapped[float | None] = mapped_column(Float, nullable=True)
    total_amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    served_quantity: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    standalone_total: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    solver_version: Mapped[str | None] = mapped_column(String(80), nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The solver's progress events (ALLOCATION.md "Progress"), oldest first, thinned to a few
    # hundred points; the last one agrees with the result.
    progress_events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Districts kept out of the instance because their profile lacks what a rule compares:
    # [{"buyer", "name", "quantity", "reason"}], shown beside the solver's own left-out list.
    set_aside: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)

    solicitation = relationship("Solicitation")
    created_by = relationship("User")

    @property
    def audit_consortium_id(self) -> int:
        return self.solicitation.consortium_id

    def audit_state(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "status": self.status,
            "policy": self.policy,
            "solver": self.solver,
            "result_status": self.result_status,
            "total_amount": self.total_amount,
            "input_sha256": self.input_sha256,
            "error": self.error,
        }

    @property
    def done(self) -> bool:
        return self.status in (RunStatus.succeeded, RunStatus.failed)

    @property
    def publishable(self) -> bool:
        return self.status == RunStatus.succeeded and self.result_status in PUBLISHABLE_RESULTS

    @property
    def savings(self) -> int | None:
        """What the served districts save together against each buying alone, in cents."""
        if self.total_amount is None or self.standalone_total is None:
            return None
        return self.standalone_total - self.total_amount

    @property
    def savings_rate(self) -> float | None:
        """Savings as a fraction of the standalone total (0.2 = 20 %)."""
        if self.savings is None or not self.standalone_total:
            return None
        return self.savings / self.standalone_total

    def __repr__(self) -> str:
        return f"<AllocationRun {self.id} solicitation={self.solicitation_id} {self.status}>"
