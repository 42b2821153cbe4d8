"""Item 5 of issue 10: no single district's quantity can be read off public momentum.

While opt-ins are open (while quantities can still change, so before/after can be compared)
the public sees district counts and the seats total as a range of a 1-2-5 ladder, never an
exact number and never seats per cell. After the opt-in deadline nothing changes any more, so
exact totals (of cells of at least MIN_CELL districts) are shown.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from consortium.bids.demand import MIN_CELL, seat_range, vendor_demand
from consortium.procurement.momentum import momentum
from tests.consortium.procurement.helpers import text


def _possible_quantities(before: tuple[int, int | None], after: tuple[int, int | None]):
    """What an observer of the two published ranges can tell of the quantity that moved them."""
    low = max(1, after[0] - (before[1] - 1 if before[1] else 10**9))
    high = (after[1] - 1 if after[1] else 10**9) - before[0]
    return low, high


@pytest.mark.parametrize("total", [0, 37, 99, 100, 450, 999, 1_000, 1_999, 4_321, 12_000,
                                   19_999, 250_000, 3_000_000])
@pytest.mark.parametrize("quantity", [1, 25, 100, 640, 1_234, 5_000, 20_000, 500_000])
def test_a_single_opt_in_is_never_known_within_a_factor_of_two(total, quantity):
    low, high = _possible_quantities(seat_range(total), seat_range(total + quantity))
    assert low <= quantity <= high
    assert high >= 2 * low, (total, quantity, seat_range(total), seat_range(total + quantity))


def _numbers(page: str) -> set[str]:
    return set(re.findall(r"\d[\d,]*", page))


@pytest.fixture
def crowd(make, clock):
    solicitation = make.solicitation(title="Statewide LMS 2026", opt_in_days=14, bid_days=21)
    for quantity in (400, 700, 900, 1_100):
        make.opt_in(solicitation, make.district(enrollment=2_000), quantity=quantity)
    return solicitation


def test_public_pages_move_by_ranges_only_while_opt_ins_are_open(app, client, login, make, crowd):
    joiner = make.district(name="Quiet Pines SD", enrollment=1_000, locale="town")
    pages = ("/solicitations", f"/solicitations/{crowd.id}", "/")
    before = {p: text(client.get(p)) for p in pages}
    make.opt_in(crowd, joiner, quantity=1_234)
    after = {p: text(client.get(p)) for p in pages}
    for page in pages:
        for exact in ("3,100", "4,334", "1,234"):  # the totals and the quantity itself
            assert exact not in after[page] and exact not in before[page], page
    assert "2,000 to 5,000" in after[f"/solicitations/{crowd.id}"]
    public = vendor_demand(momentum(crowd))
    assert public.seats is None and public.seats_range == "2,000 to 5,000"
    assert all(cell.seats is None for cell in (*public.by_locale, *public.by_enrollment))
    vendor = make.vendor()
    login(client, vendor)
    demand = text(client.get("/bids/demand"))
    assert "4,334" not in demand and "2,000 to 5,000" in demand


def test_after_the_opt_in_deadline_exact_totals_are_public(client, make, clock, crowd):
    clock.set(crowd.opt_in_deadline + timedelta(minutes=1))
    page = text(client.get(f"/solicitations/{crowd.id}"))
    assert "3,100" in page  # nothing can change any more: no before/after to compare
    final = vendor_demand(momentum(crowd), final=True)
    assert final.seats == 3_100 and final.districts == 4 >= MIN_CELL


def test_the_consortiums_managers_still_see_exact_numbers(client, login, make, crowd):
    login(client, make.manager(crowd.consortium))
    assert "3,100" in text(client.get(f"/solicitations/{crowd.id}"))


def test_the_api_and_the_open_data_publish_momentum_by_the_same_rule(client, make, clock, crowd):
    """Issue 9's momentum endpoint and OCDS tender follow the pages: a range while opt-ins are
    open (no exact seats anywhere), exact totals once they closed."""
    api, ocds = f"/api/v1/solicitations/{crowd.id}/momentum", f"/open-data/ocds/{crowd.id}.json"
    while_open = client.get(api).get_json()
    assert while_open["seats"] is None and while_open["seats_range"] == "2,000 to 5,000"
    assert all(cell["seats"] is None for cell in while_open["by_locale"] + while_open["by_enrollment"])
    assert "3,100" not in client.get(api).text and "3100" not in client.get(api).text
    (release,) = client.get(ocds).get_json()["releases"]
    assert "quantity" not in release["tender"]["items"][0]
    clock.set(crowd.opt_in_deadline + timedelta(minutes=1))
    closed = client.get(api).get_json()
    assert closed["seats"] == 3_100 and closed["seats_range"] is None
    (release,) = client.get(ocds).get_json()["releases"]
    assert release["tender"]["items"][0]["quantity"] == 3_100


def test_the_consortiums_managers_read_exact_momentum_through_the_api(app, make, crowd):
    from consortium.accounts.tokens import create_token

    manager = make.manager(crowd.consortium)
    token = create_token(manager.user, "momentum", manager.org).plaintext
    answer = app.test_client().get(f"/api/v1/solicitations/{crowd.id}/momentum",
                                   headers={"Authorization": f"Bearer {token}"}).get_json()
    assert answer["seats"] == 3_100 and answer["seats_range"] is None
