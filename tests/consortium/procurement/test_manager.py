"""A manager writes, publishes, extends and cancels solicitations; the clause library; opt-in lists."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from consortium.extensions import db
from consortium.procurement.models import Solicitation
from tests.consortium.procurement.helpers import audit_actions, count, mail_to, text

CONFIRM = {"confirm": "yes"}  # the second POST, from the confirmation page


def form_data(**overrides) -> dict:
    """A valid new-solicitation form (the clock fixture stands at 2026-03-02 15:00 UTC)."""
    data = {
        "title": "Reading intervention 2026-27",
        "category": "Literacy",
        "unit": "seat per year",
        "description": "K-5 reading intervention with OneRoster rostering.",
        "term_months": "12",
        "acceptance_window_days": "21",
        "currency": "usd",
        "admin_fee": "1.5",
        "opt_in_deadline": "2026-03-20T17:00",  # Chicago, after the DST change: 22:00 UTC
        "bid_deadline": "2026-03-27T17:00",
        "dpa_required": "y",
        "certifications": ["OneRoster 1.2", "LTI 1.3"],
        "accessibility": "WCAG 2.1 AA",
        "enrollment_max_ratio": "4",
        "mbps_max_ratio": "3",
        "same_locale": "y",
        "min_group_size": "2",
        "max_group_size": "12",
        "individual_rationality": "y",
        "time_limit_s": "45",
        "mip_gap_pct": "0.1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def manager(make, clock):
    return make.manager(make.default_consortium, name="Pat Manager")


def only_solicitation() -> Solicitation:
    db.session.expire_all()
    return db.session.scalars(select(Solicitation)).one()


def test_create_draft_then_publish(client, login, make, manager, clock):
    login(client, manager)
    page = text(client.get("/manage/solicitations/new"))
    assert "The clause library is empty." in page and "Deadlines (America/Chicago)" in page
    clause = make.clause(title="Price protection", body="Prices hold for the whole term.")
    assert "Price protection" in text(client.get("/manage/solicitations/new"))
    response = client.post("/manage/solicitations/new", data=form_data(clause_ids=[str(clause.id)]))
    assert response.status_code == 302
    s = only_solicitation()
    assert s.status == "draft"
    assert s.opt_in_deadline == datetime(2026, 3, 20, 22, 0, tzinfo=UTC)
    assert s.bid_deadline == datetime(2026, 3, 27, 22, 0, tzinfo=UTC)
    assert s.admin_fee_bps == 150
    assert s.requirements == {"dpa_required": True, "certifications": ["LTI 1.3", "OneRoster 1.2"],
                              "accessibility": "WCAG 2.1 AA"}
    assert s.policy == {
        "similarity": [{"feature": "enrollment", "max_ratio": 4.0},
                       {"feature": "mbps_per_student", "max_ratio": 3.0},
                       {"feature": "locale", "same": True}],
        "min_group_size": 2, "max_group_size": 12, "individual_rationality": True,
        "time_limit_s": 45, "mip_gap": 0.001,
    }
    assert [c.shown_title for c in s.clauses] == ["Price protection"]

    page = text(client.get(f"/solicitations/{s.id}"))
    assert "draft" in page and "Publish" in page
    assert "Mar 20, 2026, 5:00 PM CDT" in page  # shown back in the consortium's zone
    assert "In a group, the largest enrollment is at most 4 times the smallest." in page
    assert "Groups have 2 to 12 districts." in page
    assert "Prices hold for the whole term." in page
    edit = client.get(f"/manage/solicitations/{s.id}/edit").get_data(as_text=True)
    assert 'value="2026-03-20T17:00"' in edit
    client.post("/logout")

    # Nobody else knows the draft exists.
    assert client.get(f"/solicitations/{s.id}").status_code == 404
    assert "Reading intervention" not in text(client.get("/solicitations"))

    login(client, manager)
    assert client.post(f"/manage/solicitations/{s.id}/publish", data=CONFIRM).status_code == 302
    s = only_solicitation()
    assert (s.status, s.published_at) == ("open", clock.now)
    listing = text(client.get("/manage/solicitations"))
    assert "Reading intervention 2026-27 Literacy open 0 0 Mar 20, 2026, 5:00 PM CDT" in listing
    assert audit_actions("solicitation.") == ["solicitation.created", "solicitation.published"]
    client.post("/logout")

    listing = text(client.get("/solicitations"))
    assert "Reading intervention 2026-27" in listing and "closes in 18 days" in listing
    assert "Reading intervention 2026-27" in text(client.get("/"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"bid_deadline": "2026-03-19T17:00"}, "Bid deadline: The bid deadline cannot be before the opt-in deadline."),
        ({"admin_fee": "25"}, "Admin fee (%): Between 0% and 20%."),
        ({"admin_fee": "1.255"}, "Admin fee (%): At most two decimals"),
        ({"title": ""}, "Title: Give the solicitation a title."),
        ({"opt_in_deadline": "next week"}, "Opt-in deadline:"),
        ({"opt_in_deadline": "2026-03-08T02:30", "bid_deadline": "2026-03-09T02:30"},
         "Opt-in deadline: Mar 08, 2026 02:30 does not exist in America/Chicago"),
        ({"min_group_size": "5", "max_group_size": "3"}, "Largest group (districts): Cannot be smaller than the smallest group."),
        ({"enrollment_max_ratio": "0.5"}, "Enrollment: largest at most N times the smallest: At least 1"),
        ({"time_limit_s": "0"}, "Solver time limit (seconds): Between 1 and 3,600 seconds."),
        ({"term_months": "0"}, "Contract term (months): Between 1 and 120 months."),
        ({"currency": "eur"}, "Currency: Not a valid choice."),
        ({"clause_ids": ["999999"]}, "Clauses from the library: '999999' is not a valid choice"),
    ],
)
def test_bad_solicitation_input_names_the_field_and_creates_nothing(client, login, manager, overrides, message):
    login(client, manager)
    response = client.post("/manage/solicitations/new", data=form_data(**overrides))
    assert response.status_code == 400
    assert message in text(response)
    assert count(Solicitation) == 0
    assert audit_actions("solicitation.") == []


def test_another_consortiums_clause_cannot_be_attached(client, login, make, manager):
    foreign = make.clause(make.consortium(name="Lakes Cooperative"), title="Foreign clause")
    login(client, manager)
    response = client.post("/manage/solicitations/new", data=form_data(clause_ids=[str(foreign.id)]))
    assert response.status_code == 400
    assert count(Solicitation) == 0


def test_publishing_needs_future_deadlines(client, login, make, manager, clock):
    s = make.solicitation(status="draft", opt_in_days=1, bid_days=2)
    clock.advance(days=1)
    login(client, manager)
    response = client.post(f"/manage/solicitations/{s.id}/publish", data=CONFIRM)
    assert response.status_code == 409
    assert "The opt-in deadline has passed; set a future deadline before publishing." in text(response)
    assert only_solicitation().status == "draft"
    assert audit_actions("solicitation.") == []


def test_draft_edit_changes_everything_and_is_audited(client, login, make, manager):
    s = make.solicitation(status="draft", title="Old title")
    login(client, manager)
    response = client.post(f"/manage/solicitations/{s.id}/edit",
                           data=form_data(title="New title", same_locale=None, admin_fee="0"))
    assert response.status_code == 302
    s = only_solicitation()
    assert (s.title, s.admin_fee_bps) == ("New title", 0)
    assert {"feature": "locale", "same": True} not in s.policy["similarity"]
    assert audit_actions("solicitation.") == ["solicitation.updated"]


def test_after_publishing_only_deadlines_move_and_only_later(client, login, make, manager, clock):
    s = make.solicitation(title="Fixed title", opt_in_days=10, bid_days=20)
    district = make.district()
    make.opt_in(s, district, quantity=75)
    opt_in_before, bid_before = s.opt_in_deadline, s.bid_deadline
    login(client, manager)
    page = text(client.get(f"/manage/solicitations/{s.id}/edit"))
    assert "Extend deadlines: Fixed title" in page and "Grouping policy" not in page

    # Shortening is refused and changes nothing.
    response = client.post(f"/manage/solicitations/{s.id}/edit", data={
        "opt_in_deadline": "2026-03-10T09:00", "bid_deadline": "2026-03-22T10:00", "title": "Changed"})
    assert response.status_code == 400
    assert "Opt-in deadline: A published opt-in deadline can only be extended, not shortened." in text(response)
    s = only_solicitation()
    assert (s.opt_in_deadline, s.bid_deadline, s.title) == (opt_in_before, bid_before, "Fixed title")

    # Extending works (and nothing but the deadlines can change).
    response = client.post(f"/manage/solicitations/{s.id}/edit", data={
        "opt_in_deadline": "2026-03-15T17:00", "bid_deadline": "2026-03-25T17:00", "title": "Changed"})
    assert response.status_code == 302
    s = only_solicitation()
    assert s.opt_in_deadline == datetime(2026, 3, 15, 22, 0, tzinfo=UTC)
    assert s.bid_deadline == datetime(2026, 3, 25, 22, 0, tzinfo=UTC)
    assert s.title == "Fixed title"
    assert audit_actions("solicitation.") == ["solicitation.deadlines_extended"]
    assert mail_to(district.email) == ["Opt-in deadline extended: Fixed title"]

    # Once the opt-in deadline has passed it stays fixed; the bid deadline may still move later.
    clock.set(datetime(2026, 3, 16, 12, 0, tzinfo=UTC))
    response = client.post(f"/manage/solicitations/{s.id}/edit", data={
        "opt_in_deadline": "2026-03-18T17:00", "bid_deadline": "2026-03-25T17:00"})
    assert response.status_code == 400
    assert "Opt-in deadline: The opt-in deadline has passed; it can no longer be changed." in text(response)
    response = client.post(f"/manage/solicitations/{s.id}/edit", data={
        "opt_in_deadline": "2026-03-15T17:00", "bid_deadline": "2026-03-30T17:00"})
    assert response.status_code == 302
    assert only_solicitation().bid_deadline == datetime(2026, 3, 30, 22, 0, tzinfo=UTC)


def test_cancel_tells_the_districts_and_stops_opt_ins(client, login, make, manager):
    s = make.solicitation(title="Devices 2026")
    district = make.district(name="Elm Grove SD")
    make.opt_in(s, district, quantity=300)
    login(client, manager)
    assert client.post(f"/manage/solicitations/{s.id}/cancel", data=CONFIRM).status_code == 302
    assert only_solicitation().status == "cancelled"
    assert mail_to(district.email) == ["Cancelled: Devices 2026"]
    # Cancelled is final.
    response = client.post(f"/manage/solicitations/{s.id}/cancel", data=CONFIRM)
    assert response.status_code == 409
    assert client.post(f"/manage/solicitations/{s.id}/publish", data=CONFIRM).status_code == 409
    client.post("/logout")

    login(client, district)
    page = text(client.get(f"/solicitations/{s.id}"))
    assert "cancelled" in page and "This solicitation does not take opt-ins." in page
    assert client.post(f"/solicitations/{s.id}/opt-in", data={"quantity": "5"}).status_code == 409
    assert "Devices 2026" not in text(client.get("/solicitations"))


def test_only_the_consortiums_managers_see_district_opt_ins(client, login, make, manager):
    s = make.solicitation(title="SIS consolidation")
    apple = make.district(name="Apple Creek CUSD", enrollment=800, broadband_mbps=400,
                          nces_id="1700001", locale="rural")
    birch = make.district(name="=HYPERLINK(\"x\") Birch", enrollment=12_000, locale="urban")
    make.opt_in(s, apple, quantity=800, max_unit_amount=1_250)
    make.opt_in(s, birch, quantity=11_000, status="withdrawn")

    login(client, manager)
    page = text(client.get(f"/manage/solicitations/{s.id}/opt-ins"))
    assert "Apple Creek CUSD" in page and "1700001" in page and "0.50" in page and "$12.50" in page
    assert "withdrawn" in page
    response = client.get(f"/manage/solicitations/{s.id}/opt-ins.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["district"], r["quantity"], r["max_unit_price"], r["status"]) for r in rows] == [
        ("Apple Creek CUSD", "800", "12.50", "live"),
        ("'=HYPERLINK(\"x\") Birch", "11000", "", "withdrawn"),  # no formula runs in a spreadsheet
    ]
    assert rows[0]["mbps_per_student"] == "0.5000" and rows[0]["locale"] == "rural"
    client.post("/logout")

    other_manager = make.manager(make.consortium(name="Lakes Cooperative"))
    for actor in (other_manager, apple, make.vendor()):
        login(client, actor)
        assert client.get(f"/manage/solicitations/{s.id}/opt-ins").status_code == 403
        assert client.get(f"/manage/solicitations/{s.id}/opt-ins.csv").status_code == 403
        assert client.post(f"/manage/solicitations/{s.id}/cancel", data=CONFIRM).status_code == 403
        page = text(client.get(f"/solicitations/{s.id}"))
        assert "Birch" not in page and "11,000" not in page
        if actor is not apple:
            assert "Apple Creek" not in page
        client.post("/logout")
    assert client.get(f"/manage/solicitations/{s.id}/opt-ins").status_code == 302  # to sign-in


def test_clause_library(client, login, make, manager):
    login(client, manager)
    response = client.post("/manage/clauses/new", data={"title": "", "body": "text"})
    assert response.status_code == 400 and "Clause title: Give the clause a title." in text(response)
    client.post("/manage/clauses/new", data={"title": "Data privacy", "body": "Student data stays in the US."})
    page = text(client.get("/manage/clauses"))
    assert "Data privacy" in page and "Student data stays in the US." in page
    clause = make.clause(title="Termination", body="Either party may end with 90 days' notice.")
    s = make.solicitation(status="draft", clauses=[clause])
    client.post(f"/manage/solicitations/{s.id}/publish", data=CONFIRM)
    # Editing the library later does not rewrite what was published.
    client.post(f"/manage/clauses/{clause.id}/edit", data={"title": "Termination", "body": "30 days."})
    assert "30 days." in text(client.get("/manage/clauses"))
    detail = text(client.get(f"/solicitations/{s.id}"))
    assert "Either party may end with 90 days' notice." in detail and "30 days." not in detail
    assert audit_actions("clause.") == ["clause.created", "clause.updated"]
    client.post("/logout")

    login(client, make.manager(make.consortium(name="Lakes Cooperative")))
    assert client.get(f"/manage/clauses/{clause.id}/edit").status_code == 403
    assert "Termination" not in text(client.get("/manage/clauses"))
    client.post("/logout")
    login(client, make.district())
    assert client.get("/manage/clauses").status_code == 403
    assert client.get("/manage/solicitations/new").status_code == 403
