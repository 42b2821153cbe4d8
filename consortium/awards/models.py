"""Award, its groups and one contract per awarded district.

Publishing locks each group's tier and price: contract amounts are copied from the run's
result and never recomputed, so a district that declines changes nobody else's price.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consortium.db import TZDateTime, str_enum, utcnow
from consortium.extensions import db

DECLINE_REASON_MAX = 1000


class ContractStatus(StrEnum):
    """pending -> accepted | declined | lapsed (see CONTRACT_TRANSITIONS)."""

    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    lapsed = "lapsed"




class Award(db.Model):
    """The published allocation of a solicitation (at most one per solicitation)."""

    __tablename__ = "awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    solicitation_id: Mapped[int] = mapped_column(ForeignKey("solicitations.id"), unique=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("allocation_runs.id"))
    published_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    input_sha256: Mapped[str] = mapped_column(String(64))

    solicitation = relationship("Solicitation")
    run = relationship("AllocationRun")
    published_by = relationship("User")
    groups: Mapped[list[AwardGroup]] = relationship(
        back_populates="award", order_by="AwardGroup.id"
    )
    contracts: Mapped[list[Contract]] = relationship(back_populates="award", order_by="Contract.id")

    @property
    def audit_consortium_id(self) -> int:
        return self.solicitation.consortium_id

    def __repr__(self) -> str:
        return f"<Award {self.id} solicitation={self.solicitation_id} run={self.run_id}>"


class AwardGroup(db.Model):
    """A purchasing group: districts contracting together with one bid at a locked tier."""

    __tablename__ = "award_groups"
    __table_args__ = (
        UniqueConstraint("award_id", "label"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("total_amount >= 0", name="total_not_negative"),
        CheckConstraint("unit_amount >= 0", name="unit_not_negative"),
        CheckConstraint("tiers_mode IN ('volume', 'graduated')", name="tiers_mode_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    label: Mapped[str] = mapped_column(String(40))
    bid_id: Mapped[int] = mapped_column(ForeignKey("bids.id"))
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    total_amount: Mapped[int] = mapped_column(BigInteger)
    # The tier price in volume mode; the rounded average unit price in graduated mode.
    unit_amount: Mapped[int] = mapped_column(BigInteger)
    tiers_mode: Mapped[str] = mapped_column(String(16))
    tier_index: Mapped[int] = mapped_column(Integer)

    award: Mapped[Award] = relationship(back_populates="groups")
    bid = relationship("Bid")
    vendor = relationship("Organisation")
    contracts: Mapped[list[Contract]] = relationship(back_populates="group", order_by="Contract.id")

    @property
    def unit_is_average(self) -> bool:
        return self.tiers_mode == "graduated"

    def __repr__(self) -> str:
        return f"<AwardGroup {self.label} award={self.award_id} bid={self.bid_id}>"


class Contract(db.Model):
    """One district's place in an award: what it pays, and whether it signed in time."""

    __tablename__ = "contracts"
    __table_args__ = (
        UniqueConstraint("award_id", "district_id"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("standalone_amount >= 0", name="standalone_not_negative"),
        CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'lapsed')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("award_groups.id"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    standalone_amount: Mapped[int] = mapped_column(BigInteger)
    # VARCHAR(16) as before: the stored values are the same strings, no migration.
    status: Mapped[ContractStatus] = mapped_column(
        str_enum(ContractStatus, length=16), default=ContractStatus.pending
    )
    accept_by: Mapped[datetime] = mapped_column(TZDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Why the district declined (required to decline): its managers read it on the award.
    decline_reason: Mapped[str | None] = mapped_column(String(DECLINE_REASON_MAX), nullable=True)
    starts_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    # When the "signature due" and "contract expiring" reminders went out (each once).
    signature_reminded_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)
    expiry_reminded_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)

    award: Mapped[Award] = relationship(back_populates="contracts")
    group: Mapped[AwardGroup] = relationship(back_populates="contracts")
    district = relationship("Organisation")

    @property
    def savings(self) -> int:
        return self.standalone_amount - self.amount

    @property
    def savings_rate(self) -> float:
        return self.savings / self.standalone_amount if self.standalone_amount else 0.0

    @property
    def audit_consortium_id(self) -> int:
        return self.award.solicitation.consortium_id

    def audit_state(self) -> dict[str, object]:
        return {
            "status": self.status,
            "amount": self.amount,
            "quantity": self.quantity,
            "decided_at": self.decided_at,
            "decline_reason": self.decline_reason,
        }

    def phase(self, at: datetime) -> ContractStatus:
        """The status as of `at`: a pending contract past its window shows as lapsed."""
        if self.status == ContractStatus.pending and at > self.accept_by:
            return ContractStatus.lapsed
        return self.status

    def __repr__(self) -> str:
        return f"<Contract {self.id} district={self.district_id} {self.status}>"


CONTRACT_TRANSITIONS = {
    (ContractStatus.pending, "accept"): ContractStatus.accepted,
    (ContractStatus.pending, "decline"): ContractStatus.declined,
    (ContractStatus.pending, "lapse"): ContractStatus.lapsed,
}


def next_contract_status(status: ContractStatus | str, action: str) -> ContractStatus | None:
    """The status after `action`, or None when the action is not allowed from `status`."""
    return CONTRACT_TRANSITIONS.get((status, action))
