"""Irreversible actions take two POSTs: the first only says what will happen and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consortium.allocation import services as allocation_services
from consortium.audit.models import AuditEvent
from consortium.bids.models import BidVersion
from consortium.extensions import db
from consortium.notifications.models import OutboxMessage
from tests.consortium.allocation.fakes import fake_solve
from tests.consortium.awards.test_awards import contract_of, run_and_publish
from tests.consortium.procurement.helpers import opt_in_rows, text

CONFIRM = {"confirm": "yes"}


def _counts() -> tuple[int, int]:
    """(audit events, mails): an unconfirmed request adds neither."""
    return (db.session.scalar(select(func.count()).select_from(AuditEvent)),
            db.session.scalar(select(func.count()).select_from(OutboxMessage)))


def test_withdrawing_an_opt_in_asks_first(client, login, make, clock):
    solicitation = make.solicitation(title="Statewide LMS 2026")
    district = make.district(name="Apple Creek CUSD")
    make.opt_in(solicitation, district, quantity=600)
    login(client, district)
    before = _counts()
    response = client.post(f"/solicitations/{solicitation.id}/withdraw", data={"version": "1"})
    page = text(response)
    assert response.status_code == 200
    assert "Withdraw Apple Creek CUSD from Statewide LMS 2026?" in page
    assert "600 seats per year" in page and "opt in again until the opt-in deadline" in page
    assert 'name="version" value="1"' in response.text and 'name="confirm" value="yes"' in response.text
    assert opt_in_rows(solicitation)[0][3] == "live" and _counts() == before

    client.post(f"/solicitations/{solicitation.id}/withdraw", data={"version": "1", **CONFIRM})
    assert opt_in_rows(solicitation)[0][3] == "withdrawn"


def test_publishing_and_cancelling_a_solicitation_ask_first(client, login, make, clock):
    draft = make.solicitation(title="Reading 2027", status="draft")
    login(client, make.manager())
    before = _counts()
    page = text(client.post(f"/manage/solicitations/{draft.id}/publish"))
    assert "Publish Reading 2027?" in page and "frozen" in page and "Not yet" in page
    db.session.refresh(draft)
    assert draft.status == "draft" and _counts() == before
    assert client.post(f"/manage/solicitations/{draft.id}/publish", data=CONFIRM).status_code == 302
    db.session.refresh(draft)
    assert draft.status == "open"

    make.opt_in(draft, make.district())
    before = _counts()
    page = text(client.post(f"/manage/solicitations/{draft.id}/cancel"))
    assert "Cancel Reading 2027?" in page and "This is final" in page
    assert "Opted-in districts (1) are mailed" in page and "Keep it" in page
    db.session.refresh(draft)
    assert draft.status == "open" and _counts() == before
    client.post(f"/manage/solicitations/{draft.id}/cancel", data=CONFIRM)
    db.session.refresh(draft)
    assert draft.status == "cancelled"


def test_withdrawing_a_bid_asks_first(client, login, make, clock):
    solicitation = make.solicitation(title="Math 2027", category="Literacy")
    vendor = make.vendor()
    make.bid(vendor, solicitation)
    login(client, vendor)
    url = f"/bids/solicitation/{solicitation.id}/withdraw"
    before = _counts()
    page = text(client.post(url))
    assert "Withdraw your bid on Math 2027?" in page and "Keep the bid" in page
    assert db.session.scalar(select(func.count()).select_from(BidVersion)) == 1
    assert _counts() == before
    assert client.post(url, data=CONFIRM).status_code == 302
    assert [v.withdrawn for v in db.session.scalars(select(BidVersion).order_by(BidVersion.id))] == [
        False, True]


@pytest.fixture
def scenario(make, clock, monkeypatch):
    monkeypatch.setattr(allocation_services, "default_solve", lambda: fake_solve)
    return make.allocation_scenario()


def test_declining_asks_for_a_reason_the_manager_then_reads(client, login, scenario):
    award = run_and_publish(client, login, scenario)
    contract = contract_of(award, scenario.district_b)
    login(client, scenario.district_b)
    url = f"/contracts/{contract.id}/decision"
    before = _counts()
    response = client.post(url, data={"decision": "decline"})
    page = text(response)
    assert response.status_code == 200 and "This is final" in page
    assert "Reason for declining" in page
    assert contract.status == "pending" and _counts() == before

    # Confirmed without a reason: refused, naming the field, nothing changes.
    response = client.post(url, data={"decision": "decline", **CONFIRM, "reason": "  "})
    assert response.status_code == 400
    assert "Reason for declining: Say why your district declines." in text(response)
    db.session.refresh(contract)
    assert contract.status == "pending" and contract.decline_reason is None
    assert _counts() == before

    client.post(url, data={"decision": "decline", **CONFIRM,
                           "reason": "Our board chose a state contract."})
    db.session.refresh(contract)
    assert contract.status == "declined"
    assert contract.decline_reason == "Our board chose a state contract."
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "contract.declined")).one()
    assert event.after["decline_reason"] == "Our board chose a state contract."
    client.post("/logout")
    login(client, scenario.manager)
    assert "Reason: Our board chose a state contract." in text(client.get(f"/awards/{award.id}/manage"))
    assert "Our board chose a state contract." in text(client.get("/audit/"))


def test_the_service_refuses_a_decline_without_a_reason(scenario, client, login):
    from consortium.awards.services import decide_contract
    from consortium.errors import DomainError

    award = run_and_publish(client, login, scenario)
    contract = contract_of(award, scenario.district_a)
    with pytest.raises(DomainError) as refused:
        decide_contract(contract, None, accept=False, reason="")
    assert refused.value.field == "reason" and contract.status == "pending"


def test_after_award_the_pages_lead_to_the_contract_or_say_why_not(client, login, scenario):
    award = run_and_publish(client, login, scenario)
    solicitation = scenario.solicitation
    contract = contract_of(award, scenario.district_a)
    login(client, scenario.district_a)
    response = client.get(f"/solicitations/{solicitation.id}")
    page = text(response)
    assert "nothing can change now" not in page and "Your opt-in: live" not in page
    assert f"Awarded: {scenario.district_a.org.name} is in Group" in page
    assert f'href="/contracts/{contract.id}">Accept or decline your contract' in response.text
    mine = client.get("/my/opt-ins")
    assert f'href="/contracts/{contract.id}">contract: $6,000.00, pending' in mine.text
    assert ">live<" not in mine.text
    client.post("/logout")

    login(client, scenario.district_c)  # its ceiling is below every bid
    page = text(client.get(f"/solicitations/{solicitation.id}"))
    assert "was not placed in a purchasing group" in page and "Reason:" in page
    assert "not grouped" in text(client.get("/my/opt-ins"))
    client.post("/logout")

    login(client, scenario.manager)
    listing = text(client.get(f"/manage/solicitations/{solicitation.id}/opt-ins"))
    assert "awarded contract: $6,000.00, pending" in listing and "not grouped" in listing
    assert " live " not in listing
