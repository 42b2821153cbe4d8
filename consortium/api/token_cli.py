"""`flask api-token create EMAIL [--name NAME] [--org SLUG]`, `list EMAIL`, `revoke ID`."""

from __future__ import annotations

import click

from consortium.accounts import tokens
from consortium.errors import DomainError
from consortium.extensions import db
from consortium.transaction import atomic


@click.group("api-token")
def api_token() -> None:
    """Personal API tokens (the account page makes and revokes them too)."""


@api_token.command("create")
@click.argument("email")
@click.option("--name", default="Command line", show_default=True, help="What will use it.")
@click.option("--org", "org_slug", default=None,
              help="Slug of the organisation it acts for (default: the person's first).")
def create(email: str, name: str, org_slug: str | None) -> None:
    """Make a token for EMAIL and print it (on the last line; it is shown only once)."""
    user = tokens.user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses {email}.")
    organisation = None
    if org_slug is not None:
        membership = next((m for m in user.memberships if m.organisation.slug == org_slug), None)
        if membership is None:
            raise click.ClickException(f"{email} is not a member of {org_slug!r}.")
        organisation = membership.organisation
    elif user.memberships:
        organisation = min(user.memberships, key=lambda m: m.id).organisation
    try:
        with atomic():
            made = tokens.create_token(user, name, organisation)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    acting = f" acting for {organisation.name}" if organisation else ""
    click.echo(f"Token {made.token.id} '{made.token.name}' for {user.email}{acting}.")
    click.echo("Keep it secret; it is not shown again. Send it as 'Authorization: Bearer <token>'.")
    click.echo(made.plaintext)


@api_token.command("list")
@click.argument("email")
def list_(email: str) -> None:
    """List EMAIL's tokens (never their secrets)."""
    user = tokens.user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses {email}.")
    for token in tokens.tokens_of(user):
        state = "live" if token.active else f"revoked {token.revoked_at:%Y-%m-%d}"
        click.echo(f"{token.id}\t{token.hint}\t{token.name}\t{state}")


@api_token.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID: it stops working at once."""
    token = db.session.get(tokens.ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"No token {token_id}.")
    with atomic():
        tokens.revoke_token(token)
    click.echo(f"Token {token_id} revoked.")
