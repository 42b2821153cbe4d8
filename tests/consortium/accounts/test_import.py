import io

from sqlalchemy import func, select

from consortium.accounts.imports import parse
from consortium.accounts.models import DistrictProfile, Organisation
from consortium.audit.models import AuditEvent
from consortium.extensions import db
from consortium.policy import is_verified_member

GOOD = """LEAID,LEA_NAME,ST,MEMBER,SCH,ULOCAL,BROADBAND_MBPS
1700001,Prairie Ridge CUSD 201,IL,1240,4,42,300
1700002,Heron Lake SD 12,il,"1,415",2,43-Rural: Remote,100
1800003,Gary Community Schools,IN,4100,12,13,
"""


def _upload(client, text, name="districts.csv"):
    return client.post(
        "/verification/import",
        data={"file": (io.BytesIO(text.encode()), name)},
        content_type="multipart/form-data",
    )


def _count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_manager_imports_a_ccd_file(client, make, login):
    consortium = make.consortium()
    login(client, make.manager(consortium))
    assert "Import districts" in client.get("/verification/import").text
    response = _upload(client, GOOD)
    assert response.status_code == 302
    profiles = {p.nces_id: p for p in db.session.execute(select(DistrictProfile)).scalars()}
    heron = profiles["1700002"]
    assert (heron.organisation.name, heron.state, heron.enrollment, heron.locale) == (
        "Heron Lake SD 12", "IL", 1415, "rural",
    )
    assert profiles["1800003"].locale == "urban" and profiles["1800003"].broadband_mbps is None
    assert all(is_verified_member(p.organisation, consortium) for p in profiles.values())
    actions = db.session.execute(select(AuditEvent.action)).scalars().all()
    assert actions.count("district.imported") == 3 and "districts.import_finished" in actions


def test_reimport_lists_every_registered_id_and_changes_nothing(client, make, login):
    consortium = make.consortium()
    login(client, make.manager(consortium))
    _upload(client, GOOD)
    orgs, events = _count(Organisation), _count(AuditEvent)
    again = GOOD.replace("1700001,Prairie Ridge CUSD 201,IL,1240", "1700001,Prairie Ridge CUSD 201,IL,1300")
    response = _upload(client, again + "1700009,Brand New SD,IL,75,1,41,\n")
    assert response.status_code == 400 and "Nothing was imported" in response.text
    assert response.text.count("a district with this id is already registered") == 3  # not row 5
    assert (_count(Organisation), _count(AuditEvent)) == (orgs, events)
    profile = db.session.execute(select(DistrictProfile).filter_by(nces_id="1700001")).scalar_one()
    assert profile.enrollment == 1240


def test_one_bad_row_imports_nothing_and_every_error_is_listed(client, make, login):
    consortium = make.consortium()
    login(client, make.manager(consortium))
    orgs = _count(Organisation)
    bad = GOOD + "12,No Id,ZZ,-4,1,99,\n1700001,Duplicate,IL,10,1,41,\n"
    response = _upload(client, bad)
    assert response.status_code == 400
    assert "Nothing was imported" in response.text
    for expected in ("7-digit NCES LEA id", "unknown state or province", "must be at least 1",
                     "NCES locale code", "same id as row 2"):
        assert expected in response.text
    assert _count(Organisation) == orgs
    assert _count(AuditEvent) == 0


def test_missing_columns_are_named():
    rows, errors = parse("LEAID,NAME\n1700001,X\n")
    assert rows == [] and errors[0].column == "ST, MEMBER"


def test_only_managers_import(client, make, login):
    make.consortium()
    login(client, make.district())
    assert _upload(client, GOOD).status_code == 403
    assert _count(DistrictProfile) == 1


def test_a_non_csv_file_names_the_field(client, make, login):
    login(client, make.manager())
    response = _upload(client, "x", name="districts.xlsx")
    assert response.status_code == 400 and "<strong>CSV file:</strong>" in response.text


def test_another_consortiums_district_is_a_row_error_and_nothing_is_imported(client, make, login):
    """Manager Y cannot rewrite X's district A, nor enrol it in Y, by naming its NCES id."""
    x, y = make.consortium(name="X"), make.consortium(name="Y")
    claimed = make.district(consortium=x, nces_id="1799001", enrollment=1200, name="Apple Creek CUSD 5")
    login(client, make.manager(y))
    response = _upload(client, "NCES_ID,LEA_NAME,ST,MEMBER\n1799001,Apple Creek CUSD 5,IN,99999\n1799002,New SD,IL,50\n")
    assert response.status_code == 400
    assert "<td class=\"num\">2</td><td><code>NCES_ID</code></td>" in response.text
    assert "already registered" in response.text
    profile = db.session.get(DistrictProfile, claimed.org.id)
    assert (profile.state, profile.enrollment) == ("IL", 1200)
    assert claimed.org.affiliation_with(y) is None
    assert db.session.execute(select(DistrictProfile).filter_by(nces_id="1799002")).scalar_one_or_none() is None
    assert _count(AuditEvent) == 0


def test_a_district_without_staff_is_not_rewritten_either(client, make, login):
    """Even a district that nobody has signed up for yet keeps the profile it has."""
    x = make.consortium(name="X")
    login(client, make.manager(x))
    _upload(client, "LEAID,LEA_NAME,ST,MEMBER\n1799003,Quiet Creek SD,IL,300\n")
    y = make.consortium(name="Y")
    client.post("/logout")
    login(client, make.manager(y))
    response = _upload(client, "LEAID,LEA_NAME,ST,MEMBER\n1799003,Quiet Creek SD,IN,9\n")
    assert response.status_code == 400
    profile = db.session.execute(select(DistrictProfile).filter_by(nces_id="1799003")).scalar_one()
    assert (profile.state, profile.enrollment) == ("IL", 300)
    assert profile.organisation.affiliation_with(y) is None


def test_a_semicolon_separated_file_is_read(client, make, login):
    consortium = make.consortium()
    login(client, make.manager(consortium))
    semicolons = "LEAID;LEA_NAME;ST;MEMBER;SCH;ULOCAL\n1700001;Prairie Ridge CUSD 201;IL;1240;4;42\n"
    assert _upload(client, semicolons).status_code == 302
    profile = db.session.execute(select(DistrictProfile)).scalars().one()
    assert (profile.nces_id, profile.state, profile.enrollment, profile.locale) == (
        "1700001", "IL", 1240, "rural")
    tabs = "NCES_ID\tNAME\tSTATE\tENROLLMENT\n1700005\tTab SD\tIL\t300\n"
    rows, errors = parse(tabs)
    assert errors == [] and rows[0].name == "Tab SD"


def test_a_file_with_mixed_separators_is_reported_as_such():
    rows, errors = parse("LEAID,LEA_NAME;ST;MEMBER\n1700001,X;IL;10\n")
    assert rows == [] and "looks separated by semicolons" in errors[0].message


def test_an_empty_file_says_so(client, make, login):
    login(client, make.manager())
    for empty in ("", "\ufeff", "\n\n  \n"):
        rows, errors = parse(empty)
        assert rows == [] and errors[0].message.startswith("the file is empty")
    response = _upload(client, "")
    assert response.status_code == 400 and "the file is empty" in response.text
    assert "required column is missing" not in response.text


def test_an_already_registered_id_is_reported_even_when_other_rows_fail(client, make, login):
    x = make.consortium(name="X")
    make.district(consortium=x, nces_id="1799001", name="Apple Creek CUSD 5")
    login(client, make.manager(x))
    orgs = _count(Organisation)
    response = _upload(client, "LEAID,LEA_NAME,ST,MEMBER\n1799001,Apple Creek CUSD 5,IL,800\n"
                               "1799002,Bad State SD,ZZ,50\n")
    assert response.status_code == 400
    assert "already registered" in response.text and "unknown state or province" in response.text
    assert response.text.index("already registered") < response.text.index("unknown state")
    assert _count(Organisation) == orgs
