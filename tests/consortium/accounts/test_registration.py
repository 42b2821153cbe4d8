from sqlalchemy import select

from consortium.accounts.models import Affiliation, Organisation, OrgKind, User
from consortium.audit.models import AuditEvent
from consortium.extensions import db


def _form(consortium, **overrides):
    data = {
        "kind": "district",
        "organisation_name": "Maple Valley School District 12",
        "consortium_id": consortium.id,
        "name": "Dana Reyes",
        "email": "Dana@MapleValley.k12.example",
        "password": "a long enough passphrase",
        "confirm": "a long enough passphrase",
    }
    data.update(overrides)
    return data


def _confirm(client, email):
    """Follow the confirmation link mailed to `email` (registration finishes there)."""
    import re

    from consortium.notifications.models import OutboxMessage

    body = db.session.scalars(select(OutboxMessage.body).filter_by(to=email)).one()
    link = re.search(r"http://localhost(/register/confirm/\S+)", body).group(1)
    return client.post(link)


def test_register_district_creates_org_admin_and_pending_affiliation(client, make):
    consortium = make.consortium(name="Prairie Schools Purchasing Consortium")
    response = client.post("/register", data=_form(consortium))
    assert response.status_code == 302
    response = _confirm(client, "dana@maplevalley.k12.example")
    assert response.headers["Location"].endswith("/org/profile")

    user = db.session.execute(select(User).filter_by(email="dana@maplevalley.k12.example")).scalar_one()
    org = user.memberships[0].organisation
    assert org.kind == OrgKind.district
    assert user.memberships[0].role == "admin"
    assert org.district_profile is not None
    affiliation = db.session.execute(select(Affiliation).filter_by(member_id=org.id)).scalar_one()
    assert (affiliation.consortium_id, affiliation.status) == (consortium.id, "pending")
    actions = set(db.session.execute(select(AuditEvent.action)).scalars())
    assert {"organisation.registered", "affiliation.requested"} <= actions

    # Signed in at once, acting for the new district: it can see its own profile.
    page = client.get("/org/profile")
    assert page.status_code == 200
    assert "Maple Valley School District 12" in page.text
    assert "pending" in page.text


def test_register_vendor(client, make):
    consortium = make.consortium()
    response = client.post(
        "/register", data=_form(consortium, kind="vendor", organisation_name="Brightpath Learning", email="sales@brightpath.example")
    )
    assert response.status_code == 302
    _confirm(client, "sales@brightpath.example")
    org = db.session.execute(select(Organisation).filter_by(name="Brightpath Learning")).scalar_one()
    assert org.kind == OrgKind.vendor
    assert org.vendor_profile.dpa_states == []


def test_register_with_a_known_email_makes_nothing_and_mails_its_owner(client, make):
    # The page answers as for a new email (tests/consortium/hardening/test_rate_limits.py).
    from consortium.notifications.models import OutboxMessage

    consortium = make.consortium()
    existing = make.district()
    before = db.session.execute(select(db.func.count()).select_from(Organisation)).scalar_one()
    response = client.post("/register", data=_form(consortium, email=existing.email.upper()))
    assert response.status_code == 302
    subjects = db.session.scalars(select(OutboxMessage.subject).filter_by(to=existing.email)).all()
    assert subjects == ["You already have an account"]
    after = db.session.execute(select(db.func.count()).select_from(Organisation)).scalar_one()
    assert after == before


def test_register_short_password_names_the_field(client, make):
    consortium = make.consortium()
    response = client.post("/register", data=_form(consortium, password="short", confirm="short"))
    assert response.status_code == 400
    assert "Password:" in response.text and "at least 12 characters" in response.text
    assert db.session.execute(select(User)).first() is None


def test_register_needs_a_real_consortium(client, make):
    district = make.district()  # a district is not a consortium
    response = client.post("/register", data=_form(make.consortium(), consortium_id=district.org.id))
    assert response.status_code == 400
    assert "Consortium to join:" in response.text
