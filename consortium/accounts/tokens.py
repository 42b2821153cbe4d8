"""Personal API tokens: created and revoked by their person, shown once, stored hashed.

A token reads `cst_<lookup>_<secret>`. The lookup part finds the row (unique, indexed, not
secret); the secret is kept only as HMAC-SHA256 under a random per-token salt and compared in
constant time (`hmac.compare_digest`). 256 random bits need no slow hash (unlike a password,
nobody can guess one), and a stolen table gives no token back. A token acts for its person
in the organisation it was made for (or another of theirs named by the request), under the
same policy as the pages; revoking it ends that at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consortium.accounts.models import Organisation, User, normalise_email
from consortium.audit.services import record
from consortium.clock import now
from consortium.db import TZDateTime, utcnow
from consortium.errors import DomainError
from consortium.extensions import db

PREFIX = "cst"
LOOKUP_BYTES = 6  # 12 hex characters: finds the row, is shown on the account page
SECRET_BYTES = 32  # 256 random bits
NAME_MAX = 100
_DUMMY_SALT = b"\0" * 16


class ApiToken(db.Model):
    """One personal token; the secret itself is never stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The organisation the token acts for unless a request names another of the person's.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    lookup: Mapped[str] = mapped_column(String(2 * LOOKUP_BYTES), unique=True)
    salt: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TZDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(TZDateTime, nullable=True)

    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def hint(self) -> str:
        """How the token starts, to tell tokens apart without showing the secret."""
        return f"{PREFIX}_{self.lookup}_…"

    def audit_state(self) -> dict[str, object]:
        return {"name": self.name, "lookup": self.lookup, "organisation_id": self.organisation_id,
                "revoked_at": self.revoked_at}

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.hint} user={self.user_id}>"


def digest(salt: bytes, secret: str) -> str:
    """HMAC-SHA256 of a token's secret under its salt (hex)."""
    return hmac.new(salt, secret.encode("ascii", "replace"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class NewToken:
    """A token just made: `plaintext` exists only here, to be shown once."""

    token: ApiToken
    plaintext: str


def create_token(user: User, name: str, organisation: Organisation | None = None) -> NewToken:
    """A new token for `user`, acting for `organisation` (one of theirs) by default."""
    name = (name or "").strip()
    if not name:
        raise DomainError("Name the token after what will use it, e.g. 'SIS nightly sync'.",
                          field="name")
    if len(name) > NAME_MAX:
        raise DomainError(f"A token name has at most {NAME_MAX} characters.", field="name")
    if organisation is not None and user.membership_in(organisation) is None:
        raise DomainError("You can only make tokens for your own organisations.",
                          field="organisation")
    lookup = secrets.token_hex(LOOKUP_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    salt = secrets.token_bytes(16)
    token = ApiToken(
        user=user,
        user_id=user.id,
        organisation_id=organisation.id if organisation is not None else None,
        name=name,
        lookup=lookup,
        salt=salt.hex(),
        secret_hash=digest(salt, secret),
        created_at=now(),
    )
    db.session.add(token)
    # Filed under the person's own organisation: a token is theirs, not a consortium's business.
    record("api_token.created", token, before=None, after=token.audit_state(),
           consortium_id=token.organisation_id)
    return NewToken(token, f"{PREFIX}_{lookup}_{secret}")


def revoke_token(token: ApiToken) -> ApiToken:
    """Revoke a token: it stops working at once (revoking twice changes nothing)."""
    if token.revoked_at is not None:
        return token
    before = token.audit_state()
    token.revoked_at = now()
    record("api_token.revoked", token, before=before, after=token.audit_state(),
           consortium_id=token.organisation_id)
    return token


def authenticate(presented: str) -> ApiToken | None:
    """The live token `presented` stands for, or None (unknown, malformed, revoked)."""
    parts = presented.split("_", 2)  # the secret is base64url: it may hold "_" itself
    well_formed = len(parts) == 3 and parts[0] == PREFIX and len(parts[1]) == 2 * LOOKUP_BYTES
    token = None
    if well_formed and all(c in "0123456789abcdef" for c in parts[1]):
        token = db.session.scalar(select(ApiToken).where(ApiToken.lookup == parts[1]))
    secret = parts[2] if well_formed else presented
    if token is None:
        # Same work as a real check, so a miss does not answer faster than a wrong secret.
        hmac.compare_digest(digest(_DUMMY_SALT, secret), "0" * 64)
        return None
    if not hmac.compare_digest(digest(bytes.fromhex(token.salt), secret), token.secret_hash):
        return None
    if not token.active or not token.user.is_active:
        return None
    return token


def tokens_of(user: User) -> list[ApiToken]:
    """A person's tokens, live ones first, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        )
    )


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))
