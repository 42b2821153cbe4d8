"""Item 4 of issue 10: no fake demand for free (quantity bounded by enrollment, no $0 ceiling)."""

from __future__ import annotations

import pytest

from consortium.bounds import SEATS_PER_STUDENT
from consortium.errors import DomainError
from consortium.procurement import services
from tests.consortium.procurement.helpers import opt_in_rows, text


@pytest.fixture
def setting(make, clock):
    solicitation = make.solicitation(title="Statewide LMS 2026", opt_in_days=14, bid_days=21)
    return solicitation, make.district(name="Tiny Creek SD", enrollment=1_234)


def _post(client, solicitation, quantity, ceiling=""):
    return client.post(f"/solicitations/{solicitation.id}/opt-in",
                       data={"quantity": str(quantity), "max_unit_price": ceiling, "version": "0"})


def test_ten_million_seats_for_a_small_district_is_refused_and_public_momentum_stays(
        client, login, make, setting):
    solicitation, tiny = setting
    for _ in range(3):  # enough districts that momentum is shown at all
        make.opt_in(solicitation, make.district(), quantity=500)
    login(client, tiny)
    client.get("/solicitations")  # the welcome flash
    before = text(client.get("/solicitations"))
    response = _post(client, solicitation, 10_000_000, "5.00")
    assert response.status_code == 400
    assert f"at most {SEATS_PER_STUDENT * 1_234:,}" in text(response)
    assert opt_in_rows(solicitation) == [r for r in opt_in_rows(solicitation) if r[0] != tiny.org.id]
    assert text(client.get("/solicitations")) == before


def test_the_form_says_how_many_seats_the_district_may_commit(client, login, setting):
    solicitation, tiny = setting
    login(client, tiny)
    page = text(client.get(f"/solicitations/{solicitation.id}"))
    assert f"At most {SEATS_PER_STUDENT} per enrolled student" in page
    assert f"{SEATS_PER_STUDENT * 1_234:,} seats" in page


def test_up_to_the_multiple_is_accepted(client, login, setting):
    solicitation, tiny = setting
    login(client, tiny)
    assert _post(client, solicitation, SEATS_PER_STUDENT * 1_234, "5.00").status_code == 302
    assert opt_in_rows(solicitation)[0][1] == SEATS_PER_STUDENT * 1_234


@pytest.mark.parametrize("ceiling", ["0", "0.00", "0.001"])
def test_a_ceiling_of_zero_is_refused(client, login, setting, ceiling):
    solicitation, tiny = setting
    login(client, tiny)
    response = _post(client, solicitation, 1_000, ceiling)
    assert response.status_code == 400 and "Price ceiling" in text(response)
    assert opt_in_rows(solicitation) == []


def test_the_service_refuses_too_what_the_form_refuses(app, setting):
    solicitation, tiny = setting
    with pytest.raises(DomainError) as refused:
        services.upsert_opt_in(tiny.org, solicitation, 10_000_000, 500)
    assert refused.value.field == "quantity"
    with pytest.raises(DomainError) as refused:
        services.upsert_opt_in(tiny.org, solicitation, 1_000, 0)
    assert refused.value.field == "max_unit_price"


def test_a_district_without_an_enrollment_is_asked_for_it(client, login, make, setting):
    solicitation, _ = setting
    unknown = make.district(name="Unknown SD")
    unknown.org.district_profile.enrollment = None
    login(client, unknown)
    response = _post(client, solicitation, 100, "5.00")
    # Issue 11: an incomplete profile keeps a district from opting in at all, and says so.
    assert response.status_code == 403 and "enrollment" in text(response).lower()
