"""The manager's trail: pages of 50 with the filters kept, objects named and linked, and a CSV
that names people while every chain stays checkable from the file alone."""

from __future__ import annotations

import re

from consortium.audit.services import record
from tests.consortium.audit.helpers import export, verify_from_csv
from tests.consortium.procurement.helpers import text


def test_fifty_a_page_newest_first_with_filters_kept(client, make, login):
    consortium = make.consortium()
    manager = make.manager(consortium)
    district = make.district(consortium=consortium)
    for n in range(120):
        record("seats.counted" if n % 2 else "seats.other", district.org, before=None,
               after={"n": n}, consortium_id=consortium.id)
    login(client, manager)
    first = client.get("/audit/?action=seats.counted")
    page = text(first)
    assert "Events 1 to 50 of 60, newest first." in page and "Page 1 of 2" in page
    # The newest event (n=119) leads the first page, and the second page keeps the filter.
    assert page.index('"n": 119') < page.index('"n": 117')
    assert 'href="/audit/?page=2&amp;action=seats.counted"' in first.text or \
        'href="/audit/?action=seats.counted&amp;page=2"' in first.text
    second = text(client.get("/audit/?action=seats.counted&page=2"))
    assert "Events 51 to 60 of 60" in second and '"n": 19' in second
    assert '"n": 18' not in second  # the other action stays filtered out
    assert "← Newer" in second and "Older →" not in second
    assert client.get("/audit/?page=x").status_code == 200  # a bad page number is page 1


def test_items_are_named_and_linked(client, make, login, clock):
    consortium = make.consortium()
    manager = make.manager(consortium)
    solicitation = make.solicitation(consortium, title="Math 2027")
    district = make.district(consortium=consortium, name="Springfield USD")
    opt_in = make.opt_in(solicitation, district)
    record("opt_in.created", opt_in, before=None, after={"quantity": 500})
    login(client, manager)
    response = client.get("/audit/")
    assert "Opt-in of Springfield USD to Math 2027" in text(response)
    assert f'href="/manage/solicitations/{solicitation.id}/opt-ins">Opt-in of Springfield USD' in response.text
    assert "opt_ins #" not in response.text


def test_the_csv_names_people_and_stays_verifiable(client, make, login, clock):
    consortium = make.consortium()
    manager = make.manager(consortium, name="Robin Manager")
    solicitation = make.solicitation(consortium, title="Math 2027")
    login(client, manager)
    client.post(f"/manage/solicitations/{solicitation.id}/cancel", data={"confirm": "yes"})
    rows = export(client)
    cancelled = next(r for r in rows if r["action"] == "solicitation.cancelled")
    assert (cancelled["user_name"], cancelled["user_email"]) == ("Robin Manager", manager.email)
    assert cancelled["organisation"] == consortium.name and cancelled["object"] == "Math 2027"
    assert not re.fullmatch(r"\d+", cancelled["user_name"])
    verify_from_csv(rows)
