"""GET /me: who the token acts as, for which organisation, and which others it may name."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user

from consortium.api.auth import current_token
from consortium.api.core import ApiBlueprint, UtcDateTime
from consortium.api.schemas import OrganisationRef
from consortium.context import current_org

blp = ApiBlueprint("me", tag="Me", description="The token's person and organisations.")


class Membership(OrganisationRef):
    role = ma.fields.String(required=True, metadata={"enum": ["member", "admin"]})


class TokenInfo(ma.Schema):
    name = ma.fields.String(required=True)
    hint = ma.fields.String(required=True, metadata={"description": "How the token starts."})
    created_at = UtcDateTime(required=True)


class Me(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    acting_for = ma.fields.Nested(OrganisationRef, allow_none=True, required=True)
    organisations = ma.fields.List(ma.fields.Nested(Membership), required=True)
    token = ma.fields.Nested(TokenInfo, required=True)


def org_ref(org) -> dict:
    """An organisation as `OrganisationRef`."""
    return {"id": org.id, "name": org.name, "slug": org.slug, "kind": org.kind.value}


@blp.operation("/me", "GET", errors=[403])
@blp.response(200, Me)
def me():
    """Who you are acting as."""
    org = current_org()
    memberships = sorted(current_user.memberships, key=lambda m: m.id)
    return {
        "id": current_user.id,
        "name": current_user.name,
        "email": current_user.email,
        "acting_for": org_ref(org) if org is not None else None,
        "organisations": [{**org_ref(m.organisation), "role": m.role.value} for m in memberships],
        "token": current_token(),
    }
