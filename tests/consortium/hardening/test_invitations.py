"""Item 2 of issue 10: adding an existing person is an invitation they accept, and personal
mail (sign-in links, receipts, invitations) is visible to its recipient only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from consortium.accounts.models import Invitation, Membership, User
from consortium.extensions import db
from consortium.notifications import services as mail
from consortium.notifications.models import OutboxMessage


def _invitation_link(email: str) -> str:
    message = db.session.scalars(select(OutboxMessage).filter_by(to=email)
                                 .order_by(OutboxMessage.id.desc())).first()
    return re.search(r"http://localhost(/invitations/\S+)", message.body).group(1)


def _members(org) -> set[int]:
    return set(db.session.scalars(select(Membership.user_id).filter_by(organisation_id=org.id)))


@pytest.fixture
def invited(app, client, make, login):
    """Vendor B's admin adds vendor A's user (an existing account) to vendor B."""
    a, b = make.vendor(), make.vendor()
    login(client, b)
    response = client.post("/org/members", data={"email": a.email, "name": "x", "role": "admin"})
    assert response.status_code == 302
    return a, b


def test_adding_an_existing_person_changes_nothing_until_they_accept(app, client, invited):
    a, b = invited
    assert a.user.id not in _members(b.org)
    page = client.get("/org/members").text
    assert a.email in page and "invited" in page.lower()  # the inviter sees it pending
    invitation = db.session.scalars(select(Invitation)).one()
    assert invitation.status == "pending"

    invitee = app.test_client()
    from tests.conftest import _login
    _login(invitee, a.user)
    link = _invitation_link(a.email)
    assert b.org.name in invitee.get(link).text
    assert invitee.post(f"{link}/accept").status_code == 302
    assert a.user.id in _members(b.org)
    assert db.session.get(Invitation, invitation.id).status == "accepted"
    assert "Invited, not answered yet" not in client.get("/org/members").text


def test_a_declined_invitation_makes_no_membership(app, invited):
    a, b = invited
    from tests.conftest import _login
    invitee = app.test_client()
    _login(invitee, a.user)
    link = _invitation_link(a.email)
    assert invitee.post(f"{link}/decline").status_code == 302
    assert a.user.id not in _members(b.org)
    assert invitee.post(f"{link}/accept").status_code == 302
    assert "already declined" in invitee.get("/").text
    assert a.user.id not in _members(b.org)


def test_nobody_but_the_invitee_can_accept(app, client, make, invited):
    a, b = invited
    link = _invitation_link(a.email)
    assert client.post(f"{link}/accept").status_code == 404  # b's admin, signed in
    assert a.user.id not in _members(b.org)
    anonymous = app.test_client()
    assert anonymous.get(link).status_code == 302  # sign in first


def test_inviting_twice_or_a_member_is_refused(client, invited):
    a, b = invited
    again = client.post("/org/members", data={"email": a.email, "name": "x", "role": "admin"})
    assert again.status_code == 400 and "already invited" in again.text
    assert db.session.scalars(select(Invitation)).all().__len__() == 1


def test_a_managers_outbox_never_shows_a_colleagues_personal_mail(app, client, make, login):
    consortium = make.consortium()
    manager = make.manager(consortium)
    colleague = make.manager(consortium)
    mail.notify(colleague.email, "Bid receipt: sealed", "hash abc", personal=True)
    mail.notify(colleague.email, "Reset your password", "link", personal=True, sensitive=True)
    mail.notify(manager.email, "Your password was changed", "yours", personal=True)
    db.session.flush()
    login(client, manager)
    page = client.get("/outbox/").text
    assert "Bid receipt" not in page and "Reset your password" not in page
    assert "Your password was changed" in page  # one's own personal mail


def test_in_demo_mode_everyone_reads_only_their_own_personal_mail(app, client, make, login):
    app.config["DEMO_MODE"] = True
    vendor, other = make.vendor(), make.vendor()
    mail.notify(other.email, "Bid receipt: sealed", "hash abc", personal=True)
    db.session.flush()
    login(client, vendor)
    assert "Bid receipt" not in client.get("/outbox/").text


def test_a_new_person_is_still_added_with_a_password_link(client, make, login):
    vendor = make.vendor()
    login(client, vendor)
    client.post("/org/members", data={"email": "new@v.example", "name": "New", "role": "member"})
    user = db.session.scalars(select(User).filter_by(email="new@v.example")).one()
    assert user.membership_in(vendor.org) is not None
