"""The district import's CSV template: downloadable, and a filled copy imports as it reads."""

from __future__ import annotations

from sqlalchemy import select

from consortium.accounts.imports import TEMPLATE_COLUMNS, parse
from consortium.accounts.models import DistrictProfile
from consortium.extensions import db
from tests.consortium.accounts.test_import import _upload


def test_managers_download_a_template_that_imports_as_is(client, make, login):
    consortium = make.consortium()
    login(client, make.manager(consortium))
    page = client.get("/verification/import").get_data(as_text=True)
    assert 'href="/verification/import/template.csv"' in page
    response = client.get("/verification/import/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    template = response.get_data(as_text=True)
    assert template.splitlines()[0] == ",".join(TEMPLATE_COLUMNS)
    rows, errors = parse(template)
    assert errors == [] and len(rows) == 2
    # Filled in (a row of one's own in place of the examples), it imports.
    filled = template.splitlines()[0] + "\n1799777,Maple Grove SD 7,IL,2210,5,suburban,900,Skyward\n"
    assert _upload(client, filled).status_code == 302
    profile = db.session.scalars(select(DistrictProfile).filter_by(nces_id="1799777")).one()
    assert (profile.organisation.name, profile.enrollment, profile.schools, profile.locale,
            profile.broadband_mbps, profile.sis) == ("Maple Grove SD 7", 2210, 5, "suburban",
                                                     900, "Skyward")


def test_only_managers_get_the_template(client, make, login):
    login(client, make.district())
    assert client.get("/verification/import/template.csv").status_code == 403
