"""Who may see what among the foundation's pages, for every role."""

import pytest

ROLES = ["anonymous", "district_a", "vendor_a", "manager_x", "manager_y"]

# path -> expected status per role (302 for anonymous is the trip to the login page)
PAGES = {
    "/": dict(anonymous=200, district_a=200, vendor_a=200, manager_x=200, manager_y=200),
    "/org/profile": dict(anonymous=302, district_a=200, vendor_a=200, manager_x=200, manager_y=200),
    "/org/members": dict(anonymous=302, district_a=200, vendor_a=200, manager_x=200, manager_y=200),
    "/org/consortia": dict(anonymous=302, district_a=200, vendor_a=200, manager_x=403, manager_y=403),
    "/verification": dict(anonymous=302, district_a=403, vendor_a=403, manager_x=200, manager_y=200),
    "/audit/": dict(anonymous=302, district_a=403, vendor_a=403, manager_x=200, manager_y=200),
    "/audit/export.csv": dict(anonymous=302, district_a=403, vendor_a=403, manager_x=200, manager_y=200),
    "/outbox/": dict(anonymous=302, district_a=403, vendor_a=403, manager_x=200, manager_y=200),
}


@pytest.mark.parametrize("role", ROLES)
def test_page_access_by_role(client, make, login, role):
    cast = make.cast()
    actor = cast.actors()[role]
    if actor is not None:
        login(client, actor)
    got = {path: client.get(path).status_code for path in PAGES}
    assert got == {path: expected[role] for path, expected in PAGES.items()}


def test_organisation_pages_are_visible_to_members_and_their_consortium_managers(client, make, login):
    cast = make.cast()
    path = f"/orgs/{cast.district_a.org.slug}"
    expected = dict(anonymous=302, district_a=200, district_b=404, vendor_a=404, vendor_b=404,
                    manager_x=200, manager_y=404)
    for role, actor in cast.actors().items():
        if actor is not None:
            login(client, actor)
        assert client.get(path).status_code == expected[role], role
        if actor is not None:
            client.post("/logout")


def test_only_the_managers_consortium_sees_an_affiliation_decision(client, make, login):
    cast = make.cast()
    pending = make.district(consortium=cast.consortium_x, status="pending")
    affiliation_id = pending.org.affiliation_with(cast.consortium_x).id
    expected = dict(district_a=404, district_b=404, vendor_a=404, vendor_b=404, manager_y=404,
                    manager_x=302)
    for role, actor in cast.actors().items():
        if actor is None:
            continue
        login(client, actor)
        status = client.post(f"/verification/{affiliation_id}", data={"decision": "rejected"}).status_code
        assert status == expected[role], role
        client.post("/logout")
