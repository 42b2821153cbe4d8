import re

from sqlalchemy import select

from consortium.accounts.models import Membership, Organisation, Role, User
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from tests.factories import PASSWORD


def _last_mail_to(email):
    return db.session.execute(
        select(OutboxMessage).filter_by(to=email).order_by(OutboxMessage.id.desc())
    ).scalars().first()


def _link(mail):
    return re.search(r"http://localhost(/password/reset/\S+)", mail.body).group(1)


def test_forgot_password_mails_a_single_use_link(client, make):
    district = make.district()
    response = client.post("/password/forgot", data={"email": district.email})
    assert response.status_code == 302
    link = _link(_last_mail_to(district.email))

    assert client.get(link).status_code == 200
    short = client.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 400 and "<strong>Password:</strong>" in short.text
    assert client.post(link, data={"password": "a brand new passphrase", "confirm": "a brand new passphrase"}).status_code == 302

    assert client.post("/login", data={"email": district.email, "password": PASSWORD}).status_code == 400
    assert client.post("/login", data={"email": district.email, "password": "a brand new passphrase"}).status_code == 302
    client.post("/logout")
    # The link died with the old password.
    reused = client.get(link)
    assert reused.status_code == 302 and "/password/forgot" in reused.headers["Location"]


def test_forgot_password_does_not_reveal_whether_an_account_exists(client, make):
    response = client.post("/password/forgot", data={"email": "nobody@example.org"})
    assert response.status_code == 302
    assert db.session.execute(select(OutboxMessage)).first() is None
    assert client.get("/password/reset/forged-token").status_code == 302


def test_admin_invites_a_new_colleague_who_sets_a_password(client, make, login):
    vendor = make.vendor()
    login(client, vendor)
    response = client.post("/org/members", data={"email": "Kim@Vendor.example", "name": "Kim Park", "role": "member"})
    assert response.status_code == 302
    user = db.session.execute(select(User).filter_by(email="kim@vendor.example")).scalar_one()
    assert user.membership_in(vendor.org).role == Role.member
    mail = _last_mail_to("kim@vendor.example")
    assert mail.subject == f"You are invited to {vendor.org.name}"
    client.post("/logout")

    # The invited person cannot sign in before choosing a password...
    assert client.post("/login", data={"email": "kim@vendor.example", "password": "!"}).status_code == 400
    client.post(_link(mail), data={"password": "kim chooses well", "confirm": "kim chooses well"})
    assert client.post("/login", data={"email": "kim@vendor.example", "password": "kim chooses well"}).status_code == 302
    # ...and as a plain member sees the list but cannot change it.
    assert "Kim Park" in client.get("/org/members").text
    assert client.post("/org/members", data={"email": "x@y.example", "name": "X", "role": "admin"}).status_code == 403


def test_adding_an_existing_user_invites_them_to_a_second_organisation(client, make, login):
    a, b = make.district(), make.district()
    login(client, a)
    client.post("/org/members", data={"email": b.email, "name": "ignored", "role": "admin"})
    # Nothing changes until they accept (tests/consortium/hardening/test_invitations.py).
    assert {m.organisation_id for m in db.session.get(User, b.user.id).memberships} == {b.org.id}
    again = client.post("/org/members", data={"email": b.email, "name": "x", "role": "admin"})
    assert again.status_code == 400 and "already invited" in again.text
    own = client.post("/org/members", data={"email": a.email, "name": "x", "role": "admin"})
    assert own.status_code == 400 and "already a member" in own.text


def test_the_last_admin_cannot_be_removed(client, make, login):
    district = make.district()
    colleague = make.member(district.org, role=Role.member)
    login(client, district)
    own = district.user.membership_in(district.org).id
    client.post(f"/org/members/{own}/remove")
    assert db.session.get(Membership, own) is not None
    assert "at least one admin" in client.get("/org/members").text
    theirs = colleague.user.membership_in(district.org).id
    assert client.post(f"/org/members/{theirs}/remove").status_code == 302
    assert db.session.get(Membership, theirs) is None


def test_members_of_another_organisation_are_out_of_reach(client, make, login):
    a, b = make.district(), make.district()
    login(client, a)
    theirs = b.user.membership_in(b.org)
    assert client.post(f"/org/members/{theirs.id}/remove").status_code == 404


def test_signed_in_user_registers_a_second_organisation(client, make, login):
    consortium = make.consortium()
    district = make.district(consortium=consortium)
    login(client, district)
    form = client.get("/register")
    assert "Register another organisation" in form.text and 'name="password"' not in form.text
    response = client.post(
        "/register", data={"kind": "vendor", "organisation_name": "Side Project Labs", "consortium_id": consortium.id}
    )
    assert response.status_code == 302
    org = db.session.execute(select(Organisation).filter_by(name="Side Project Labs")).scalar_one()
    assert district.user.membership_in(org).role == Role.admin
    assert org.affiliation_with(consortium).status == "pending"
    assert "Company profile" in client.get("/org/profile").text  # now acting for the vendor
