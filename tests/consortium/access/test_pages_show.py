"""What allowed pages *show*: list pages that everybody may open list only the reader's own things,
and nothing a manager may read gives away a sealed bid or another organisation's account."""

from __future__ import annotations

import hashlib
import io
import json
import re

import pytest

from consortium.extensions import db
from tests.consortium.access.matrix import bid_form
from tests.consortium.access.world import DA, DB, MX, MY, VA, VB, World


def page(app, cookie: str | None, url: str, *, status: int = 200) -> str:
    client = app.test_client()
    if cookie is not None:
        client.set_cookie("session", cookie)
    response = client.get(url)
    assert response.status_code == status, f"{url}: {response.status_code}"
    return response.get_data(as_text=True)


def x_markers(world: World) -> list[str]:
    """Strings that only X's business would put on a page."""
    markers = [world.names[k] for k in ("draft", "open", "sealed", "opened", "awarded")]
    markers += [world.actors[r].org.name for r in (DA, DB, VA, VB)]
    markers += ["Cottonwood Applicant SD", "Price protection (X)", world.actors[DA].email]
    return markers


MANAGER_PAGES = ("/manage/solicitations", "/manage/clauses", "/verification?status=all",
                 "/bids/opening", "/allocation", "/awards/reports", "/audit/", "/audit/verify",
                 "/audit/export.csv", "/outbox/")


@pytest.mark.parametrize("url", MANAGER_PAGES)
def test_manager_y_sees_nothing_of_x(app, world, sessions, url):
    """Y's staff pages list Y's business only: none of X's solicitations, members or mail."""
    text = page(app, sessions[MY], url)
    leaked = [m for m in x_markers(world) if m in text]
    assert not leaked, f"manager Y reads X's business on {url}: {leaked}"


def test_manager_x_pages_do_show_x(app, world, sessions):
    """The same pages do list X's business for X's manager (so the test above can fail)."""
    assert world.names["open"] in page(app, sessions[MX], "/manage/solicitations")
    assert "Cottonwood Applicant SD" in page(app, sessions[MX], "/verification?status=all")
    assert world.names["awarded"] in page(app, sessions[MX], "/awards/reports")
    assert "Price protection (X)" in page(app, sessions[MX], "/manage/clauses")


def test_vendor_b_sees_only_its_own_groups_and_bids(app, world, sessions):
    for url in ("/vendor/groups", "/bids/"):
        text = page(app, sessions[VB], url)
        leaked = [m for m in ("Acme Learning", "Acme Reader", "Apple Creek CUSD 5") if m in text]
        assert not leaked, f"vendor B reads vendor A's business on {url}: {leaked}"
    assert world.names["awarded"] in page(app, sessions[VA], "/vendor/groups")


def test_vendors_see_no_district_before_award(app, world, sessions):
    for role in (VA, VB):
        text = page(app, sessions[role], "/bids/demand")
        assert "Apple Creek CUSD 5" not in text and "4,321" not in text


def test_district_b_sees_only_its_own_contracts_and_opt_ins(app, world, sessions):
    for url in ("/contracts", "/my/opt-ins", f"/solicitations/{world['open']}"):
        text = page(app, sessions[DB], url)
        leaked = [m for m in ("Apple Creek CUSD 5", "Acme Learning") if m in text]
        assert not leaked, f"district B reads district A's business on {url}: {leaked}"
    assert "Acme Learning" in page(app, sessions[DA], "/contracts")


def test_manager_y_audit_omits_x_events_of_members_it_shares(app, world, sessions, make, login):
    """District A also applies to Y; its opt-in to X's solicitation is X's business, not Y's."""
    make.affiliation(world.actors[DA].org, db.session.get(type(world.actors[DA].org),
                                                          world["consortium Y"]),
                     status="pending")
    client = app.test_client()
    login(client, world.actors[DA])
    changed = client.post(f"/solicitations/{world['open']}/opt-in",
                          data={"quantity": "3333", "max_unit_price": "", "version": "1"})
    assert changed.status_code == 302
    for url in ("/audit/", "/audit/export.csv"):
        text = page(app, sessions[MY], url)
        assert "3333" not in text, f"manager Y reads district A's opt-in to X's solicitation on {url}"


SEALED_PRICE_CENTS = 1_743


def test_sealed_bid_prices_cannot_be_recovered_by_managers_before_the_deadline(
    app, world, sessions, make, login
):
    """Before the bid deadline no manager can learn a bid's price from what they may read.

    Vendor A (also applying to Y) bids one flat price on X's open solicitation. Every
    SHA-256-looking string on the managers' pages is tried against the bid's receipt payload
    with every price up to $200: if one matches, the 'sealed' price can be read off.
    """
    make.affiliation(world.actors[VA].org, db.session.get(type(world.actors[VA].org),
                                                          world["consortium Y"]),
                     status="pending")
    client = app.test_client()
    login(client, world.actors[VA])
    submitted = client.post(
        f"/bids/solicitation/{world['open']}",
        data={**bid_form(world, VA), "tiers-0-up_to": "", "tiers-0-unit_price": "17.43",
              "tiers-1-unit_price": ""},
    )
    assert submitted.status_code == 302
    from consortium.bids.models import Bid

    bid = db.session.get(Bid, world["bid of A (open)"])
    latest = bid.versions[-1]
    assert latest.tiers == [{"up_to": None, "unit_amount": SEALED_PRICE_CENTS}]
    template = latest.hash_payload()

    def recover(text: str) -> int | None:
        hashes = set(re.findall(r"\b[0-9a-f]{64}\b", text))
        if latest.content_hash not in hashes:
            return None
        for cents in range(1, 20_001):
            payload = {**template, "tiers": [{"up_to": None, "unit_amount": cents}]}
            canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
            if hashlib.sha256(canonical.encode("ascii")).hexdigest() in hashes:
                return cents
        return None

    readable = {
        MX: ("/audit/", "/audit/export.csv", "/outbox/", "/bids/opening",
             f"/bids/opening/{world['open']}", f"/solicitations/{world['open']}"),
        MY: ("/audit/", "/audit/export.csv", "/outbox/", "/bids/opening"),
    }
    leaks = []
    for role, urls in readable.items():
        for url in urls:
            cents = recover(page(app, sessions[role], url))
            if cents is not None:
                leaks.append(f"{role} recovers ${cents / 100:.2f} from {url}")
    assert not leaks, (
        "a sealed bid's unsalted receipt hash is shown to managers before the deadline: "
        + "; ".join(leaks)
    )


def test_no_manager_can_take_over_an_account_through_the_outbox(app, world, sessions):
    """Anyone may ask for a reset link for district A's email; only district A's inbox may get it.

    The outbox page is readable by managers; if it shows the reset link, a manager of any
    consortium can choose district A's password and sign in as district A.
    """
    anonymous = app.test_client()
    asked = anonymous.post("/password/forgot", data={"email": world.actors[DA].email})
    assert asked.status_code == 302
    shown = {}
    for role in (MX, MY):
        links = re.findall(r"/password/reset/([A-Za-z0-9_.\-]+)", page(app, sessions[role], "/outbox/"))
        if links:
            shown[role] = links[-1]
    taken_over = []
    if MY in shown:
        thief = app.test_client()
        new_password = "chosen by someone else entirely"
        thief.post(f"/password/reset/{shown[MY]}",
                   data={"password": new_password, "confirm": new_password})
        signed_in = thief.post("/login", data={"email": world.actors[DA].email,
                                               "password": new_password})
        if signed_in.status_code == 302 and thief.get("/my/opt-ins").status_code == 200:
            taken_over.append("manager Y set district A's password and signed in as district A")
    assert not shown, (
        f"the outbox shows district A's password-reset link to {sorted(shown)}; {taken_over}"
    )


def test_manager_y_cannot_rewrite_or_enrol_x_districts_by_import(app, world, sessions):
    """A CCD import may create districts, not take over one that exists and belongs to others.

    Manager Y uploads a file naming district A's NCES id (1799001). District A's profile is
    district A's to edit (and decides its eligibility in X's solicitations); its standing with Y
    is its own choice.
    """
    district = world.actors[DA].org
    before = district.district_profile.as_dict()
    client = app.test_client()
    client.set_cookie("session", sessions[MY])
    csv_text = ("LEAID,LEA_NAME,ST,MEMBER,SCH,ULOCAL,BROADBAND_MBPS\n"
                "1799001,Apple Creek CUSD 5,IN,99999,40,11,1\n")
    client.post("/verification/import",
                data={"file": (io.BytesIO(csv_text.encode()), "districts.csv")})
    db.session.expire_all()
    district = db.session.get(type(district), district.id)
    changed = {k: (v, district.district_profile.as_dict()[k])
               for k, v in before.items() if district.district_profile.as_dict()[k] != v}
    enrolled = district.affiliation_with(world["consortium Y"])
    assert not changed and enrolled is None, (
        f"manager Y's import rewrote district A's profile {changed} and "
        f"{'made it a verified member of Y' if enrolled is not None else 'left its standing'}"
    )


# --- payments (issue 8)


def _invoice_number(world: World, tag: str) -> str:
    from consortium.payments.models import Invoice

    return db.session.get(Invoice, world.ids[f"invoice of district {tag}"]).number


@pytest.mark.parametrize("url", ["/manage/payments", "/manage/payments.csv", "/invoices"])
def test_manager_y_sees_no_invoice_of_x(app, world, sessions, url):
    text = page(app, sessions[MY], url, status=302 if url == "/invoices" else 200)
    leaked = [m for m in [*x_markers(world), _invoice_number(world, "A"), _invoice_number(world, "B")]
              if m in text]
    assert not leaked, f"manager Y reads X's invoices on {url}: {leaked}"


def test_each_side_lists_only_its_own_invoices(app, world, sessions):
    a, b = _invoice_number(world, "A"), _invoice_number(world, "B")
    manager = page(app, sessions[MX], "/manage/payments") + page(app, sessions[MX], "/manage/payments.csv")
    assert a in manager and b in manager
    for role, own, other in ((DA, a, b), (VA, a, b), (DB, b, a), (VB, b, a)):
        text = page(app, sessions[role], "/invoices")
        assert own in text and other not in text, role
