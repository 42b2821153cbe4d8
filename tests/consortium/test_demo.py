"""The demo consortium `make demo` serves: realistic, in every phase, and each login works.

Seeding runs the real engine once, so the whole story is checked in one test.
"""

from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consortium import clock, demo
from consortium.accounts.models import (
    Affiliation,
    AffiliationStatus,
    DistrictProfile,
    Organisation,
    OrgKind,
    VendorProfile,
)
from consortium.allocation.adapter import eligible_offer_ids
from consortium.allocation.services import run_instance, run_result
from consortium.audit.services import verify_chain
from consortium.awards.services import award_for
from consortium.bids.sealed import counting_bids
from consortium.extensions import db
from consortium.payments.models import Invoice
from consortium.payments.reports import Quarter, fee_statement
from consortium.procurement.models import OptIn, OptInStatus, Solicitation
from pricing.check import check_result

# Each role's main pages (and a word each must show).
MAIN_PAGES = {
    "manager": [("/manage/solicitations", "Digital reading platform"), ("/allocation", None),
                ("/verification", None), ("/awards/reports", None), ("/audit/", None),
                ("/manage/payments", "Learning management system"),
                ("/dashboard", "Remind"), ("/dashboard", "Run an allocation")],
    "district": [("/my/opt-ins", "Math practice"), ("/contracts", "Learning management system"),
                 ("/org/profile", "Prairie Ridge"),
                 ("/dashboard", "Accept by")],
    "district2": [("/my/opt-ins", "Digital library"), ("/contracts", "Learning management system"),
                  ("/invoices", "Learning management system")],
    "vendor": [("/bids/", "Math practice"), ("/vendor/groups", "Learning management system"),
               ("/bids/demand", "Math practice"), ("/bids/products", "Brightpath LMS"),
               ("/invoices", "Fee statement with Great Lakes"),
               ("/dashboard", "Math practice")],
    "vendor2": [("/bids/", "Digital reading"), ("/vendor/groups", "Learning management system")],
    "manager2": [("/manage/solicitations", "Digital library")],
}  # fmt: skip


def test_drawn_districts_look_like_real_ones():
    districts = demo.draw_districts(random.Random(demo.SEED))
    assert districts == demo.draw_districts(random.Random(demo.SEED))  # deterministic
    assert len({d.name for d in districts}) == len({d.nces_id for d in districts}) == len(districts)
    for d in districts:
        fips = {"IL": "17", "WI": "55"}[d.state]
        assert len(d.nces_id) == 7 and d.nces_id.startswith(fips), d
        assert d.enrollment >= 40 and d.schools >= 1 and d.broadband_mbps >= 10
    enrollment = statistics.median(d.enrollment for d in districts)
    assert 600 <= enrollment <= 2200  # districts.md: median 1,139
    locales = [d.locale for d in districts]
    assert max(set(locales), key=locales.count) == "rural"
    kbps = statistics.median(d.broadband_mbps * 1000 / d.enrollment for d in districts)
    assert 100 <= kbps <= 400  # districts.md: median 195 kbps per student


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _solicitation(title_start: str) -> Solicitation:
    return db.session.scalars(
        select(Solicitation).where(Solicitation.title.startswith(title_start))
    ).one()


# pricing/ owns its PuLP calls and its own warning tests; this one is about the demo.
@pytest.mark.filterwarnings(r"ignore:.*PuLP 4\.0:DeprecationWarning")
def test_demo_seeds_every_phase_and_every_login_works(app, runner):
    assert not demo.is_seeded()
    summary = demo.seed()
    assert summary.districts > 100 and summary.vendors >= 6 and summary.contracts > 0
    assert demo.is_seeded()
    assert not clock._frozen, "seeding leaves the server clock running"
    at = clock.now()

    # ~150 districts in two states, verified with the consortium; 6 vendors.
    great_lakes = db.session.scalars(
        select(Organisation).where(Organisation.name == demo.CONSORTIUM)
    ).one()
    assert great_lakes.timezone == "America/Chicago"
    verified = select(Affiliation.member_id).where(
        Affiliation.consortium_id == great_lakes.id,
        Affiliation.status == AffiliationStatus.verified,
    )
    states = dict(db.session.execute(
        select(DistrictProfile.state, func.count())
        .where(DistrictProfile.organisation_id.in_(verified))
        .group_by(DistrictProfile.state)
    ).all())  # fmt: skip
    assert set(states) == {"IL", "WI"} and 140 <= sum(states.values()) <= 160, states
    assert _count(Organisation, Organisation.kind == OrgKind.vendor) == 6
    no_wi = [v for v in db.session.scalars(select(VendorProfile)) if "WI" not in v.dpa_states]
    assert [v.organisation.name for v in no_wi] == ["Lakeshore EdTech"]

    # Solicitations in each phase of the lifecycle, relative to now.
    phases = {s.title: s.phase(at) for s in db.session.scalars(
        select(Solicitation).where(Solicitation.consortium_id == great_lakes.id)
    )}  # fmt: skip
    assert sorted(phases.values()) == ["awarded", "bids opened", "draft", "open"], phases

    def opted_in(s: Solicitation) -> tuple[int, int]:
        """(districts that opted in, of which still live: a few withdrew)."""
        mine = OptIn.solicitation_id == s.id
        return _count(OptIn, mine), _count(OptIn, mine, OptIn.status == OptInStatus.live)

    open_ = _solicitation("Math practice")
    assert timedelta(days=8) < open_.opt_in_deadline - at < timedelta(days=12)
    districts, live = opted_in(open_)
    assert districts == 40 and live >= 35

    ready = _solicitation("Digital reading")
    districts, live = opted_in(ready)
    assert ready.bid_deadline < at and districts == 90 and live >= 80
    bids = counting_bids(ready)
    assert 5 <= len(bids) <= 6
    assert all(4 <= len(version.tiers) <= 6 for _bid, version in bids)
    assert {version.tiers_mode for _bid, version in bids} == {"volume", "graduated"}
    # Eligibility matters: the vendor without a Wisconsin DPA cannot serve a WI district.
    heron_lake = db.session.scalars(
        select(Organisation).where(Organisation.name == demo.HERON_LAKE.name)
    ).one()
    lakeshore = next(str(bid.id) for bid, _v in bids if bid.vendor.name == "Lakeshore EdTech")
    assert lakeshore not in eligible_offer_ids(ready, heron_lake)
    assert len(eligible_offer_ids(ready, heron_lake)) == len(bids) - 1

    awarded = _solicitation("Learning management system")
    award = award_for(awarded)
    assert award is not None and award.run.status == "succeeded"
    assert check_result(run_instance(award.run), run_result(award.run)) == []
    statuses = [c.status for c in award.contracts]
    assert statuses.count("declined") == 1 and "accepted" in statuses and "pending" in statuses
    assert verify_chain() == []

    # Payments (issue 8): each accepted contract invoiced, the invoices in every state.
    invoices = list(db.session.scalars(select(Invoice).where(Invoice.award_id == award.id)))
    assert len(invoices) == statuses.count("accepted")
    phases = Counter(i.phase(at) for i in invoices)
    assert {"open", "overdue", "paid"} <= set(phases), phases
    assert any(i.status == "paid" and i.po_number for i in invoices)  # paid against a PO
    assert any(i.status == "open" and i.po_number for i in invoices)  # a PO, not paid yet
    assert all(i.total_cents == sum(line.amount_cents for line in i.lines) for i in invoices)
    quarters = {Quarter.parse(None, p.received_on) for i in invoices for p in i.payments}
    vendors = {i.vendor for i in invoices if i.status == "paid"}
    statements = [fee_statement(great_lakes, v, q) for v in vendors for q in quarters]
    assert sum(s.total("fee_due") for s in statements) == sum(
        i.fee_earned_cents for i in invoices) > 0

    # Every demo login signs in through the form and sees its main pages.
    roles = {role: (email, password) for role, email, password in demo.logins()}
    assert set(roles) == set(MAIN_PAGES)
    for role, pages in MAIN_PAGES.items():
        client = app.test_client()
        email, password = roles[role]
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, role
        for path, text in pages:
            page = client.get(path)
            assert page.status_code == 200, (role, path)
            assert text is None or text in page.get_data(as_text=True), (role, path, text)
    # The second consortium's manager sees nothing of the first consortium's solicitations.
    client = app.test_client()
    client.post("/login", data={"email": roles["manager2"][0], "password": roles["manager2"][1]})
    assert "Digital reading" not in client.get("/manage/solicitations").get_data(as_text=True)
    assert client.get(f"/manage/solicitations/{ready.id}/opt-ins").status_code in (403, 404)
    assert app.test_client().get("/").status_code == 200
    # Issue 9: each demo account's API token works, and the award reads as results.
    for role, token in demo.tokens():
        me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.get_json()["email"] == roles[role][0], role
    public = app.test_client().get(f"/api/v1/awards/{award.id}").get_json()
    assert len(public["groups"]) == len(award.groups) and ", tier " in public["groups"][0]["name"]
    assert public["savings_amount"] > 0

    # Seeding again (in demo mode, as `make demo` runs it) re-uses what is there.
    organisations = _count(Organisation)
    app.config["DEMO_MODE"] = True
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "re-using" in result.output
    with pytest.raises(demo.DemoError):
        demo.seed()
    assert _count(Organisation) == organisations
    printed = runner.invoke(args=["demo-logins"]).output
    assert all(email in printed for email, _password in roles.values())
    assert all(token in printed for _role, token in demo.tokens())
