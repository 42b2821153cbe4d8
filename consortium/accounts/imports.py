"""Bulk import of districts from a CSV in the NCES Common Core of Data LEA layout.

All or nothing: every row is checked first; one bad row and nothing changes, and the
manager sees every row's errors. Imported districts are verified by the importing
consortium (its managers vouch for the file). An import only ever creates districts: a row
whose NCES id is already registered is a row-level error, whoever registered it, because a
district's profile decides its eligibility in every consortium and is the district's own to
keep, and its standing with a consortium is its own choice (it applies from its account).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select

from consortium.accounts.models import (
    Affiliation,
    AffiliationStatus,
    DistrictProfile,
    Organisation,
    OrgKind,
    User,
)
from consortium.audit.services import record
from consortium.bounds import MAX_BROADBAND_MBPS, MAX_ENROLLMENT, MAX_SCHOOLS
from consortium.clock import now
from consortium.extensions import db

MAX_ROWS = 20_000

# CCD column names first, then friendlier aliases.
COLUMNS: dict[str, tuple[str, ...]] = {
    "nces_id": ("LEAID", "NCES_ID"),
    "name": ("LEA_NAME", "NAME"),
    "state": ("ST", "LSTATE", "STATE"),
    "enrollment": ("MEMBER", "ENROLLMENT", "TOTAL_ENROLLMENT"),
    "schools": ("SCH", "OPERATIONAL_SCHOOLS", "SCHOOLS"),
    "locale": ("ULOCAL", "ULOCALE", "LOCALE"),
    "broadband_mbps": ("BROADBAND_MBPS", "BANDWIDTH_MBPS"),
    "sis": ("SIS",),
}
REQUIRED = ("nces_id", "name", "state", "enrollment")
# The downloadable template: the friendlier column names (every one is also read from the
# CCD layout above), one example row per locale word; locale may also be an NCES code 11-43.
TEMPLATE_COLUMNS = ("NCES_ID", "NAME", "STATE", "ENROLLMENT", "SCHOOLS", "LOCALE",
                    "BROADBAND_MBPS", "SIS")
TEMPLATE_ROWS = (
    ("1700001", "Prairie Ridge CUSD 201", "IL", "1240", "4", "rural", "300", "PowerSchool"),
    ("1700002", "Heron Lake SD 12", "IL", "415", "2", "town", "100", "Infinite Campus"),
)


def template_csv() -> str:
    """A CSV to fill in: the header and two example rows (replace them with your districts)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TEMPLATE_COLUMNS)
    writer.writerows(TEMPLATE_ROWS)
    return out.getvalue()

# NCES urban-centric locale codes: 11-13 city, 21-23 suburb, 31-33 town, 41-43 rural.
LOCALE_BY_CODE_PREFIX = {"1": "urban", "2": "suburban", "3": "town", "4": "rural"}
LOCALE_WORDS = {"city": "urban", "urban": "urban", "suburb": "suburban", "suburban": "suburban",
                "town": "town", "rural": "rural"}


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based line number in the file, header = 1
    column: str
    message: str


@dataclass
class DistrictRow:
    row: int
    nces_id: str
    name: str
    state: str
    enrollment: int
    schools: int | None
    locale: str | None
    broadband_mbps: int | None
    sis: str | None
    id_column: str = "LEAID"  # the file's header for the id (LEAID or an alias)


@dataclass
class ImportResult:
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _locale(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    word = value.split("-", 1)[-1].strip().split(":")[0].strip().lower()
    if value[:2].isdigit():
        return LOCALE_BY_CODE_PREFIX.get(value[0])
    return LOCALE_WORDS.get(word) or LOCALE_WORDS.get(value.lower())


def _int(value: str, *, minimum: int, maximum: int) -> int | None:
    value = value.strip().replace(",", "")
    if not value:
        return None
    if len(value) > 20:
        raise ValueError("not a whole number")
    try:
        number = int(value)
    except ValueError:
        try:
            number = int(float(value))  # "1240.0" from a spreadsheet
        except (ValueError, OverflowError):  # nan, inf, 1e400
            raise ValueError("not a whole number") from None
    if number < minimum:
        raise ValueError(f"must be at least {minimum}")
    if number > maximum:
        raise ValueError(f"must be at most {maximum:,}")
    return number


DELIMITERS = ",;\t|"


def delimiter_of(header: str) -> str:
    """The file's delimiter, read off its header line: spreadsheets in much of Europe and
    Canada save "CSV" with semicolons, and some exports use tabs."""
    try:
        return csv.Sniffer().sniff(header, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def parse(text: str) -> tuple[list[DistrictRow], list[RowError]]:
    """Check every row; return the rows and every error found."""
    from consortium.accounts.forms import REGIONS

    text = text.lstrip("\ufeff")
    if not text.strip():
        return [], [RowError(1, "", "the file is empty: it needs a header line and one row per "
                                    "district (download the template)")]
    header = text.splitlines()[0]
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter_of(header))
    headers = {h.strip().upper(): h for h in (reader.fieldnames or []) if h}
    columns = {
        key: next((headers[a] for a in aliases if a in headers), None)
        for key, aliases in COLUMNS.items()
    }
    missing = [COLUMNS[key][0] for key in REQUIRED if columns[key] is None]
    if missing:
        return [], [RowError(1, ", ".join(missing), "required column is missing; the header "
                             f"line read {header[:120]!r}" + _separator_hint(header))]

    rows: list[DistrictRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, record_ in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            errors.append(RowError(line, "", f"more than {MAX_ROWS} rows; split the file"))
            break

        def cell(key: str, record_=record_) -> str:
            column = columns[key]
            return (record_.get(column) or "").strip() if column else ""

        row_errors: list[RowError] = []
        nces_id = cell("nces_id")
        if not (nces_id.isdigit() and len(nces_id) == 7) and not (4 <= len(nces_id) <= 20 and nces_id.replace("-", "").isalnum()):
            row_errors.append(RowError(line, columns["nces_id"], "use the 7-digit NCES LEA id (or a provincial id)"))
        elif nces_id in seen:
            row_errors.append(RowError(line, columns["nces_id"], f"same id as row {seen[nces_id]}"))
        name = cell("name")
        if not name or len(name) > 200:
            row_errors.append(RowError(line, columns["name"], "a name of 1 to 200 characters is needed"))
        state = cell("state").upper()
        if state not in REGIONS:
            row_errors.append(RowError(line, columns["state"], f"unknown state or province {state!r}"))
        values: dict[str, int | None] = {}
        for key, minimum, maximum in (("enrollment", 1, MAX_ENROLLMENT), ("schools", 1, MAX_SCHOOLS),
                                      ("broadband_mbps", 0, MAX_BROADBAND_MBPS)):
            try:
                values[key] = _int(cell(key), minimum=minimum, maximum=maximum)
            except ValueError as exc:
                row_errors.append(RowError(line, columns[key] or key, str(exc)))
                values[key] = None
        if values["enrollment"] is None and not any(e.column == columns["enrollment"] for e in row_errors):
            row_errors.append(RowError(line, columns["enrollment"], "enrollment is needed"))
        locale = _locale(cell("locale"))
        if cell("locale") and locale is None:
            row_errors.append(RowError(line, columns["locale"], "use an NCES locale code (11-43) or rural/town/suburban/urban"))
        if len(cell("sis")) > 80:
            row_errors.append(RowError(line, columns["sis"], "at most 80 characters"))
        if row_errors:
            errors.extend(row_errors)
            continue
        seen[nces_id] = line
        rows.append(
            DistrictRow(line, nces_id, name, state, values["enrollment"], values["schools"],
                        locale, values["broadband_mbps"], cell("sis") or None,
                        columns["nces_id"])
        )
    return rows, errors


def _separator_hint(header: str) -> str:
    """Say so when the header looks separated by something we did not split on."""
    used = delimiter_of(header)
    others = [d for d in DELIMITERS if d != used and d in header]
    if not others:
        return ""
    shown = {"\t": "tabs", ";": "semicolons", "|": "vertical bars", ",": "commas"}
    return (f" (it looks separated by {shown[others[0]]}: save the file as CSV with one "
            "separator, e.g. commas)")


def import_districts(consortium: Organisation, text: str, by: User) -> ImportResult:
    """Create the file's districts and verify them for `consortium`, or change nothing.

    Never touches an existing organisation: an NCES id that is already registered is
    reported on its row, and then nothing at all is imported.
    """
    rows, errors = parse(text)
    # Every row's problem at once: an id already registered too, while other rows fail.
    errors = sorted(errors + _already_registered(rows), key=lambda e: e.row)
    if errors:
        return ImportResult(errors=errors)
    if not rows:
        return ImportResult(errors=[RowError(2, "", "the file has no district rows")])
    from consortium.accounts.organisations import create_organisation

    result = ImportResult()
    for row in rows:
        org = create_organisation(OrgKind.district, row.name)
        profile = org.district_profile
        profile.nces_id = row.nces_id
        profile.state = row.state
        profile.enrollment = row.enrollment
        for key in ("schools", "locale", "broadband_mbps", "sis"):
            if getattr(row, key) is not None:
                setattr(profile, key, getattr(row, key))
        db.session.add(
            Affiliation(
                consortium=consortium,
                member=org,
                status=AffiliationStatus.verified,
                decided_at=now(),
                decided_by=by,
                note="Imported from a CCD file",
            )
        )
        db.session.flush()
        record("district.imported", profile, before=None,
               after={"name": org.name, **profile.as_dict()}, consortium_id=consortium.id)
        result.created += 1
    record("districts.import_finished", consortium, before=None,
           after={"created": result.created})
    return result


def _already_registered(rows: list[DistrictRow]) -> list[RowError]:
    """A row-level error for each row whose NCES id an organisation already has."""
    if not rows:
        return []
    taken = set(
        db.session.execute(
            select(DistrictProfile.nces_id).where(
                DistrictProfile.nces_id.in_([r.nces_id for r in rows])
            )
        ).scalars()
    )
    return [
        RowError(row.row, row.id_column, "a district with this id is already registered; an import "
                 "does not change it (it can apply to join your consortium from its account)")
        for row in rows
        if row.nces_id in taken
    ]
