from consortium.accounts.models import Role


def test_user_in_two_organisations_switches_the_active_one(client, make, login):
    consortium = make.consortium(name="Prairie Consortium")
    district = make.district(consortium=consortium, name="Oak Grove SD")
    make.member(consortium, user=district.user, role=Role.admin)

    login(client, district)
    home = client.get("/")
    assert 'id="org-switch"' in home.text
    assert client.get("/verification").status_code == 403  # acting for the district

    response = client.post("/org/switch", data={"organisation_id": consortium.id, "next": "/verification"})
    assert response.status_code == 302 and response.headers["Location"] == "/verification"
    assert client.get("/verification").status_code == 200
    assert "Consortium" in client.get("/org/profile").text

    client.post("/org/switch", data={"organisation_id": district.org.id})
    assert "District profile" in client.get("/org/profile").text


def test_cannot_switch_to_an_organisation_you_do_not_belong_to(client, make, login):
    district, stranger = make.district(), make.district()
    login(client, district)
    assert client.post("/org/switch", data={"organisation_id": stranger.org.id}).status_code in (400, 403)
    assert district.org.name in client.get("/org/profile").text


def test_navigation_follows_the_role(client, make, login):
    manager = make.manager()
    login(client, manager)
    nav = client.get("/").text
    assert ">Verification<" in nav and ">Audit<" in nav
    client.post("/logout")
    login(client, make.district())
    nav = client.get("/").text
    assert ">My district<" in nav and ">Verification<" not in nav


def test_cast_gives_every_role_its_own_view(client, make, login):
    cast = make.cast()
    seen = {}
    for role, actor in cast.actors().items():
        if actor is not None:
            login(client, actor)
        seen[role] = client.get("/verification").status_code
        if actor is not None:
            client.post("/logout")
    assert seen == {
        "anonymous": 302, "district_a": 403, "district_b": 403, "vendor_a": 403,
        "vendor_b": 403, "manager_x": 200, "manager_y": 200,
    }
