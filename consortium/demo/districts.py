"""Districts drawn like the real ones of shared/data/districts.md (`pricing.generate`'s
distributions): log-normal enrollment by locale, bandwidth per student correlated with size,
NCES-like ids with the state's FIPS prefix. Deterministic for a given `random.Random`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from consortium.demo.data import STATES
from pricing import generate

PLACE_FIRST = (
    "Prairie", "Oak", "Cedar", "Maple", "Willow", "Elm", "Pine", "Birch", "Clear", "Stony",
    "Silver", "Red", "Green", "Fox", "Deer", "Eagle", "Mill", "Spring", "Rock", "Sand", "Sugar",
    "Walnut", "Hickory", "Ash", "Iron", "Copper", "Pleasant", "Fair", "Grand", "Turtle", "Wolf",
    "Otter", "Crane", "Bluff", "Kettle", "Hazel", "Bear", "Elk", "Pheasant", "Laurel", "Liberty",
    "Harmony", "Linden", "Aspen", "Juniper", "Sumac", "Badger", "Meadow",
)  # fmt: skip
PLACE_WORD = (
    "Ridge", "Grove", "Creek", "Valley", "Falls", "Point", "Springs", "Hill", "Bend", "Crossing",
    "Lake", "Park", "Rapids", "Junction", "Hollow", "Landing", "Center", "Heights", "Prairie",
)  # fmt: skip
PLACE_SUFFIX = ("field", "ville", "ton", "wood", "dale", "brook", "land", "port", "view", "ford")
RESERVED_PLACES = {"Prairie Ridge", "Heron Lake"}  # the demo logins' districts
RESERVED_IDS = {"1738420", "5506870"}
SIS = {
    "IL": (("PowerSchool", 4), ("Skyward", 3), ("Infinite Campus", 2), ("Tyler SIS", 1)),
    "WI": (("Infinite Campus", 5), ("Skyward", 4), ("PowerSchool", 1)),
}
# E-rate circuits come in these sizes (Mbps); a district's bandwidth is the nearest one.
CIRCUITS = (10, 20, 50, 100, 200, 300, 500, 750, 1000, 2000, 3000, 5000, 10000, 20000, 40000)
ENROLLMENT_CAP = 50_000


@dataclass(frozen=True)
class DistrictSeed:
    name: str
    state: str
    nces_id: str
    enrollment: int
    schools: int
    broadband_mbps: int
    locale: str
    sis: str

    def profile(self) -> dict[str, object]:
        return {
            "nces_id": self.nces_id, "state": self.state, "enrollment": self.enrollment,
            "schools": self.schools, "broadband_mbps": self.broadband_mbps,
            "locale": self.locale, "sis": self.sis,
        }  # fmt: skip


def draw_profile(rng: random.Random) -> tuple[str, int, int]:
    """(locale, enrollment, broadband Mbps) drawn like districts.md (pricing.generate's figures)."""
    locales = generate.LOCALES
    locale, median = rng.choices([(n, m) for n, _, m in locales], [s for _, s, _ in locales])[0]
    ln_students = rng.gauss(math.log(median), generate.WITHIN_SD)
    enrollment = round(math.exp(ln_students))
    enrollment = min(max(enrollment, generate.ENROLLMENT_RANGE[0]), ENROLLMENT_CAP)
    # Bivariate normal on the logs: bigger districts have less bandwidth per student.
    standard = (ln_students - generate.LN_STUDENTS_MEAN) / generate.LN_STUDENTS_SD
    rho = generate.KBPS_CORRELATION
    z = rho * standard + math.sqrt(1 - rho**2) * rng.gauss(0.0, 1.0)
    kbps_per_student = generate.KBPS_MEDIAN * math.exp(generate.KBPS_LN_SD * z)
    wanted = enrollment * kbps_per_student / 1000
    mbps = min(CIRCUITS, key=lambda c: abs(math.log(c / wanted)))
    return locale, enrollment, mbps


def _place(rng: random.Random, taken: set[str]) -> str:
    while True:
        first = rng.choice(PLACE_FIRST)
        if rng.random() < 0.4:
            place = first + rng.choice(PLACE_SUFFIX)
        else:
            place = f"{first} {rng.choice(PLACE_WORD)}"
        if place not in taken and first != place.split()[-1]:
            taken.add(place)
            return place


def _district_name(rng: random.Random, state: str, place: str, numbers: set[int]) -> str:
    if state == "WI":
        forms = ("School District of {}", "{} Area School District", "{} School District")
        return rng.choices(forms, (4, 4, 2))[0].format(place)
    number = rng.randint(2, 399)
    while number in numbers:
        number = rng.randint(2, 399)
    numbers.add(number)
    kind = rng.choices(("CUSD", "CCSD", "SD"), (55, 25, 20))[0]
    return f"{place} {kind} {number}"


def draw_districts(rng: random.Random, states=STATES) -> list[DistrictSeed]:
    """Fictional districts with realistic sizes, bandwidth and locale, `count` per state."""
    places, numbers, ids = set(RESERVED_PLACES), {201}, set(RESERVED_IDS)
    seeds = []
    for state, fips, count in states:
        for _ in range(count):
            locale, enrollment, mbps = draw_profile(rng)
            nces_id = f"{fips}{rng.randint(0, 99999):05d}"
            while nces_id in ids:
                nces_id = f"{fips}{rng.randint(0, 99999):05d}"
            ids.add(nces_id)
            schools = max(1, round(enrollment / rng.uniform(320, 560)))
            sis = rng.choices(*zip(*SIS[state], strict=True))[0]
            name = _district_name(rng, state, _place(rng, places), numbers)
            seeds.append(DistrictSeed(name, state, nces_id, enrollment, schools, mbps, locale, sis))
    return seeds


# The two districts behind the demo logins: typical, and always placed in a group.
PRAIRIE_RIDGE = DistrictSeed("Prairie Ridge CUSD 201", "IL", "1738420", 1240, 4, 300, "rural", "Skyward")  # fmt: skip
HERON_LAKE = DistrictSeed("Heron Lake Area School District", "WI", "5506870", 2310, 5, 500, "town", "Infinite Campus")  # fmt: skip

FIRST_NAMES = (
    "Alex", "Beth", "Carlos", "Dana", "Erin", "Frank", "Grace", "Hector", "Irene", "Jamal", "Kara",
    "Luis", "Megan", "Nate", "Olga", "Paul", "Rosa", "Sam", "Tara", "Victor", "Wendy", "Yusuf",
)  # fmt: skip
LAST_NAMES = (
    "Anderson", "Brandt", "Castillo", "Dvorak", "Engel", "Fischer", "Gomez", "Hanson", "Iverson",
    "Johnson", "Kowalski", "Larsen", "Meyer", "Novak", "Olson", "Peterson", "Schmidt", "Wojcik",
)  # fmt: skip
