import pytest
from sqlalchemy import select

from consortium.accounts.models import DistrictProfile, Role, VendorProfile
from consortium.audit.models import AuditEvent
from consortium.extensions import db

VALID = {
    "nces_id": "1709876",
    "state": "IL",
    "enrollment": "2450",
    "schools": "5",
    "broadband_mbps": "800",
    "locale": "suburban",
    "sis": "Infinite Campus",
}


def test_district_edits_its_profile(client, make, login):
    district = make.district()
    login(client, district)
    response = client.post("/org/profile", data=VALID)
    assert response.status_code == 302
    profile = db.session.get(DistrictProfile, district.org.id)
    assert (profile.enrollment, profile.locale, profile.sis) == (2450, "suburban", "Infinite Campus")
    assert profile.mbps_per_student == pytest.approx(800 / 2450)
    assert "Profile saved." in client.get("/org/profile").text


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("enrollment", "-3", "Enrollment (students)"),
        ("enrollment", "many", "Enrollment (students)"),
        ("schools", "", "Number of schools"),
        ("state", "ZZ", "State or province"),
        ("locale", "metropolis", "Locale"),
        ("nces_id", "12", "NCES or provincial id"),
        ("broadband_mbps", "-1", "Internet bandwidth (Mbps)"),
    ],
)
def test_bad_district_input_names_the_field_and_changes_nothing(client, make, login, field, value, label):
    district = make.district()
    login(client, district)
    events_before = db.session.execute(select(db.func.count()).select_from(AuditEvent)).scalar_one()
    response = client.post("/org/profile", data={**VALID, field: value})
    assert response.status_code == 400
    assert f"<strong>{label}:</strong>" in response.text
    assert 'aria-invalid="true"' in response.text
    profile = db.session.get(DistrictProfile, district.org.id)
    assert (profile.enrollment, profile.state, profile.locale) == (1200, "IL", "rural")
    assert db.session.execute(select(db.func.count()).select_from(AuditEvent)).scalar_one() == events_before


def test_vendor_declares_dpa_states_and_certifications(client, make, login):
    vendor = make.vendor(dpa_states=[], certifications=[])
    login(client, vendor)
    page = client.get("/org/profile")
    assert "OneRoster 1.2" in page.text and "LTI 1.3" in page.text
    response = client.post(
        "/org/profile",
        data={
            "dpa_states": ["NY", "IL"],
            "certifications": ["OneRoster 1.2", "LTI 1.3"],
            "accessibility": "WCAG 2.1 AA",
            "website": "https://brightpath.example",
        },
    )
    assert response.status_code == 302
    profile = db.session.get(VendorProfile, vendor.org.id)
    assert profile.dpa_states == ["IL", "NY"]
    assert profile.certifications == ["LTI 1.3", "OneRoster 1.2"]
    assert profile.has_dpa_for("NY") and not profile.has_dpa_for("TX")


def test_bad_vendor_input_names_the_field(client, make, login):
    vendor = make.vendor()
    login(client, vendor)
    response = client.post(
        "/org/profile",
        data={"dpa_states": ["XX"], "accessibility": "WCAG 2.1 AA", "website": "not a url"},
    )
    assert response.status_code == 400
    assert "<strong>Website:</strong>" in response.text
    assert "<strong>States and provinces with a signed data-privacy agreement:</strong>" in response.text
    assert db.session.get(VendorProfile, vendor.org.id).dpa_states == ["IL", "IN"]


def test_plain_members_see_but_cannot_edit(client, make, login):
    admin = make.district()
    member = make.member(admin.org, role=Role.member)
    login(client, member)
    page = client.get("/org/profile")
    assert page.status_code == 200 and "Only your organisation's admins" in page.text
    assert client.post("/org/profile", data=VALID).status_code == 403
    assert db.session.get(DistrictProfile, admin.org.id).enrollment == 1200
