"""The public list and detail pages, momentum aggregates and the home page's summary."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consortium.procurement.services import momentum, open_solicitations_summary
from tests.consortium.procurement.helpers import text


@pytest.fixture
def lifecycle(make, clock):
    """One solicitation in each phase, plus opt-ins on the open one."""
    s = {
        "open": make.solicitation(title="Open LMS", opt_in_days=5, bid_days=9),
        "soon": make.solicitation(title="Closing soon SIS", category="Student information system",
                                  opt_in_days=1, bid_days=3),
        "bidding": make.solicitation(title="Bidding internet", category="Internet access",
                                     opt_in_days=-1, bid_days=2),
        "draft": make.solicitation(title="Draft assessment", status="draft"),
        "cancelled": make.solicitation(title="Cancelled devices", status="cancelled"),
        "closed": make.solicitation(title="Closed math", opt_in_days=-9, bid_days=-2),
        "awarded": make.solicitation(title="Awarded literacy", status="awarded",
                                     opt_in_days=-30, bid_days=-20),
    }
    rural_small = make.district(name="Apple Creek CUSD", enrollment=300, locale="rural")
    rural_mid = make.district(name="Birch Valley SD", enrollment=1_800, locale="rural")
    urban = make.district(name="Cedar City Public Schools", enrollment=25_000, locale="urban")
    gone = make.district(name="Dune Acres SD", enrollment=700, locale="town")
    make.opt_in(s["open"], rural_small, quantity=300)
    make.opt_in(s["open"], rural_mid, quantity=1_500, max_unit_amount=2_000)
    make.opt_in(s["open"], urban, quantity=20_000)
    make.opt_in(s["open"], gone, quantity=650, status="withdrawn")
    return s


def test_public_list_shows_what_takes_opt_ins_or_bids_with_momentum(client, lifecycle):
    page = text(client.get("/solicitations"))
    for title in ("Open LMS", "Closing soon SIS", "Bidding internet"):
        assert title in page
    for title in ("Draft assessment", "Cancelled devices", "Closed math", "Awarded literacy"):
        assert title not in page
    assert page.index("Bidding internet") < page.index("Closing soon SIS") < page.index("Open LMS")
    # While opt-ins are open seats show as a range (no before/after differencing).
    assert "3 districts · 20,000 to 50,000 seats per year committed" in page
    assert "Fewer than 3 districts in so far" in page  # the other two have no opt-ins yet
    assert "Opt-in window closes in 5 days" in page
    assert "opt-ins closed Bidding closes in 2 days" in page
    # Names of districts never appear on public pages.
    assert "Apple Creek" not in page and "Dune Acres" not in page


def test_detail_page_for_everyone(client, login, make, lifecycle):
    s = lifecycle["open"]
    page = text(client.get(f"/solicitations/{s.id}"))
    assert "3 districts opted in" in page and "20,000 to 50,000 seats per year committed" in page
    # Cells of fewer than 3 districts are merged, so no district's quantity can be read off;
    # while opt-ins are open cells show district counts only.
    assert "other (rural, urban) 3 at the deadline" in page
    assert "other (under 500, 500 to 2,499, 10,000 and over) 3 at the deadline" in page
    assert "rural 2" not in page and "21,800" not in page
    assert "A data-privacy agreement signed for each district's state." in page
    assert "1EdTech OneRoster 1.2 certified." in page
    assert "In a group, the largest enrollment is at most 4 times the smallest." in page
    assert "Admin fee (paid by the vendor) 1.50%" in page
    assert "Apple Creek" not in page and "Dune Acres" not in page and "650" not in page
    assert client.get("/solicitations/999999").status_code == 404
    assert client.get(f"/solicitations/{lifecycle['draft'].id}").status_code == 404
    vendor = make.vendor()
    login(client, vendor)
    assert client.get(f"/solicitations/{lifecycle['draft'].id}").status_code == 404
    page = text(client.get(f"/solicitations/{s.id}"))
    assert "Opt in" not in page and "Apple Creek" not in page


def test_the_manager_sees_the_full_distribution(client, login, make, lifecycle):
    login(client, make.manager())
    page = text(client.get(f"/solicitations/{lifecycle['open'].id}"))
    assert "rural 2 1,800" in page and "urban 1 20,000" in page
    assert "under 500 1 300" in page and "10,000 and over 1 20,000" in page
    page = text(client.get(f"/manage/solicitations/{lifecycle['open'].id}/opt-ins"))
    assert "Apple Creek CUSD" in page and "Dune Acres SD" in page


def test_momentum_is_aggregate_only(lifecycle):
    m = momentum(lifecycle["open"])
    assert (m.districts, m.seats) == (3, 21_800)
    assert [(b.label, b.districts, b.seats) for b in m.by_locale] == [("rural", 2, 1_800), ("urban", 1, 20_000)]
    assert [(b.label, b.districts, b.seats) for b in m.by_enrollment] == [
        ("under 500", 1, 300), ("500 to 2,499", 1, 1_500), ("10,000 and over", 1, 20_000)]
    assert m.as_dict() == {
        "districts": 3, "seats": 21_800,
        "by_locale": [{"label": "rural", "districts": 2, "seats": 1_800},
                      {"label": "urban", "districts": 1, "seats": 20_000}],
        "by_enrollment": [{"label": "under 500", "districts": 1, "seats": 300},
                          {"label": "500 to 2,499", "districts": 1, "seats": 1_500},
                          {"label": "10,000 and over", "districts": 1, "seats": 20_000}],
    }
    assert momentum(lifecycle["draft"]).as_dict()["districts"] == 0


def test_home_page_summary(client, clock, lifecycle):
    summaries = open_solicitations_summary()
    # Only those still taking opt-ins, soonest deadline first.
    assert [x.solicitation.title for x in summaries] == ["Closing soon SIS", "Open LMS"]
    assert summaries[1].momentum.seats == 21_800
    assert summaries[0].next_deadline == lifecycle["soon"].opt_in_deadline
    assert [x.solicitation.title for x in open_solicitations_summary(limit=1)] == ["Closing soon SIS"]
    page = text(client.get("/"))
    assert "Closing soon SIS" in page and "Open LMS" in page and "Bidding internet" not in page
    clock.advance(timedelta(days=2))
    assert [x.solicitation.title for x in open_solicitations_summary()] == ["Open LMS"]


def test_detail_links_each_role_to_its_next_step(client, login, make, lifecycle):
    manager, vendor = make.manager(), make.vendor()
    login(client, vendor)
    page = client.get(f"/solicitations/{lifecycle['open'].id}").get_data(as_text=True)
    assert f'href="/bids/solicitation/{lifecycle["open"].id}"' in page
    client.post("/logout")
    login(client, manager)
    page = client.get(f"/solicitations/{lifecycle['closed'].id}").get_data(as_text=True)
    assert f'href="/bids/opening/{lifecycle["closed"].id}"' in page
    page = client.get(f"/solicitations/{lifecycle['open'].id}").get_data(as_text=True)
    assert "/bids/opening/" not in page  # sealed until the bid deadline
