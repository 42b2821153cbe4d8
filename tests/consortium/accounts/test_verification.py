from consortium.accounts.models import Affiliation
from consortium.audit.models import AuditEvent
from consortium.extensions import db
from consortium.policy import is_verified_member


def test_manager_verifies_a_pending_district(client, make, login):
    consortium = make.consortium()
    manager = make.manager(consortium)
    district = make.district(consortium=consortium, status="pending", name="Cedar Bluff CUSD 7")
    affiliation = district.org.affiliation_with(consortium)
    assert not is_verified_member(district.org, consortium)

    login(client, manager)
    queue = client.get("/verification")
    assert queue.status_code == 200 and "Cedar Bluff CUSD 7" in queue.text

    response = client.post(f"/verification/{affiliation.id}", data={"decision": "verified"})
    assert response.status_code == 302
    affiliation = db.session.get(Affiliation, affiliation.id)
    assert affiliation.status == "verified"
    assert affiliation.decided_by_id == manager.user.id and affiliation.decided_at is not None
    assert is_verified_member(district.org, consortium)
    client.get("/verification")  # shows the flash
    assert "Nothing waiting for a decision" in client.get("/verification").text
    event = db.session.query(AuditEvent).order_by(AuditEvent.id.desc()).first()
    assert (event.action, event.consortium_id, event.before["status"]) == (
        "affiliation.verified", consortium.id, "pending",
    )


def test_manager_rejects_with_a_note_the_vendor_sees(client, make, login):
    consortium = make.consortium()
    manager = make.manager(consortium)
    vendor = make.vendor(consortium=consortium, status="pending")
    affiliation = vendor.org.affiliation_with(consortium)
    login(client, manager)
    client.post(f"/verification/{affiliation.id}", data={"decision": "rejected", "note": "No DPA on file."})
    client.post("/logout")
    login(client, vendor)
    page = client.get("/org/consortia")
    assert "rejected" in page.text and "No DPA on file." in page.text


def test_verification_is_per_consortium(client, make, login):
    x, y = make.consortium(name="X"), make.consortium(name="Y")
    manager_y = make.manager(y)
    district = make.district(consortium=x, status="pending")
    affiliation = district.org.affiliation_with(x)
    login(client, manager_y)
    # A manager of Y cannot decide for X, nor learn that the application exists.
    assert client.post(f"/verification/{affiliation.id}", data={"decision": "verified"}).status_code == 404
    assert db.session.get(Affiliation, affiliation.id).status == "pending"
    assert district.org.name not in client.get("/verification?status=all").text


def test_districts_and_vendors_cannot_verify(client, make, login):
    consortium = make.consortium()
    pending = make.district(consortium=consortium, status="pending")
    other = make.district(consortium=consortium)
    login(client, other)
    assert client.get("/verification").status_code == 403
    affiliation = pending.org.affiliation_with(consortium)
    assert client.post(f"/verification/{affiliation.id}", data={"decision": "verified"}).status_code == 404


def test_member_applies_to_another_consortium(client, make, login):
    x, y = make.consortium(name="Statewide"), make.consortium(name="Cross-border")
    district = make.district(consortium=x)
    login(client, district)
    page = client.get("/org/consortia")
    assert "Cross-border" in page.text
    assert client.post("/org/consortia", data={"consortium_id": y.id}).status_code == 302
    assert district.org.affiliation_with(y).status == "pending"
    # Applying twice is refused and names the field.
    again = client.post("/org/consortia", data={"consortium_id": y.id})
    assert again.status_code == 400 and "<strong>Consortium:</strong>" in again.text


def test_applications_and_decisions_are_mailed(client, make, login):
    from sqlalchemy import select

    from consortium.notifications.models import OutboxMessage

    consortium = make.consortium(name="Great Lakes Cooperative")
    manager = make.manager(consortium)
    client.post("/register", data={
        "kind": "district", "organisation_name": "Heron Lake SD 12", "consortium_id": consortium.id,
        "name": "Pat Lee", "email": "pat@heronlake.example",
        "password": "heron lake passphrase", "confirm": "heron lake passphrase",
    })
    from tests.consortium.accounts.test_registration import _confirm

    _confirm(client, "pat@heronlake.example")
    # Its profile is what grouping reads: a district is verified once it is filled in.
    client.post("/org/profile", data={"nces_id": "1712345", "state": "IL", "enrollment": "900",
                                      "schools": "2", "broadband_mbps": "300", "locale": "rural"})
    client.post("/logout")
    mails = [m for m in db.session.execute(select(OutboxMessage)).scalars()
             if m.subject != "Confirm your registration"]
    assert [(m.to, m.subject) for m in mails] == [
        (manager.email, "Heron Lake SD 12 asks to join Great Lakes Cooperative")
    ]
    assert "/verification" in mails[0].body

    login(client, manager)
    affiliation = db.session.execute(select(Affiliation)).scalar_one()
    client.post(f"/verification/{affiliation.id}", data={"decision": "verified", "note": "Welcome!"})
    mail = db.session.execute(select(OutboxMessage).filter_by(to="pat@heronlake.example")
                              .order_by(OutboxMessage.id.desc())).scalars().first()
    assert mail.subject == "Heron Lake SD 12 is verified by Great Lakes Cooperative"
    assert "opt in to group buys" in mail.body and "Welcome!" in mail.body
