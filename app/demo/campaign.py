"""The demo campaign: real Cambridge precincts and addresses, synthetic people.

People are generated deterministically (a fixed seed) at the real address points and loaded
through the real import path, so the demo exercises exactly what a campaign's file would.
"""

import csv
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypedDict, TypeVar

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models import Campaign, Role
from app.models.base import flushed_id
from app.schemas.users import UserCreate
from app.services.access.tenancy import Tenant
from app.services.access.users import create_campaign, create_user
from app.services.geography.precincts import import_precincts
from app.services.voter_file.importer import import_voters

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
CAMBRIDGE = DEMO_DIR / "cambridge"
GENERATED = DEMO_DIR / "generated"
SLUG = "demo"
PASSWORD = "doorstep-demo"
SEED = 20261103


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: Role


USERS = (
    DemoUser("admin@demo.doorstep.test", "Ada Admin", Role.admin),
    DemoUser("organizer@demo.doorstep.test", "Olu Organizer", Role.organizer),
    DemoUser("canvasser1@demo.doorstep.test", "Carmen Canvasser", Role.canvasser),
    DemoUser("canvasser2@demo.doorstep.test", "Kenji Canvasser", Role.canvasser),
    DemoUser("dataentry@demo.doorstep.test", "Dana Entry", Role.data_entry),
)

FIRST_NAMES = {
    "F": [
        "Mary",
        "Patricia",
        "Jennifer",
        "Linda",
        "Elizabeth",
        "Susan",
        "Jessica",
        "Sarah",
        "Karen",
        "Nancy",
        "Lisa",
        "Margaret",
        "Emily",
        "Michelle",
        "Amanda",
        "Melissa",
        "Laura",
        "Rebecca",
        "Sharon",
        "Cynthia",
        "Kathleen",
        "Amy",
        "Anna",
        "Olivia",
        "Emma",
        "Sophia",
        "Isabella",
        "Mia",
        "Chloé",
        "Zoë",
        "María",
        "Lucía",
        "Guadalupe",
        "Ana",
        "Fatima",
        "Aisha",
        "Mei",
        "Xiu Ying",
        "Priya",
        "Ananya",
        "Nguyệt",
        "Linh",
        "Yuki",
        "Hana",
        "Siobhán",
        "Aoife",
        "Ingrid",
        "Małgorzata",
        "Oksana",
        "Thandiwe",
        "Amara",
        "Leilani",
    ],
    "M": [
        "James",
        "Robert",
        "John",
        "Michael",
        "David",
        "William",
        "Richard",
        "Joseph",
        "Thomas",
        "Charles",
        "Christopher",
        "Daniel",
        "Matthew",
        "Anthony",
        "Mark",
        "Steven",
        "Paul",
        "Andrew",
        "Joshua",
        "Kevin",
        "Brian",
        "George",
        "Timothy",
        "Ryan",
        "Jacob",
        "Ethan",
        "Noah",
        "Liam",
        "José",
        "Luis",
        "Carlos",
        "Juan",
        "Miguel",
        "Ahmed",
        "Omar",
        "Mohammed",
        "Wei",
        "Jian",
        "Hiroshi",
        "Kenji",
        "Arjun",
        "Rahul",
        "Minh",
        "Duc",
        "Seán",
        "Ciarán",
        "Björn",
        "Łukasz",
        "Dmitri",
        "Kwame",
        "Chidi",
        "Tevita",
    ],
}
FIRST_NAMES["X"] = ["Alex", "Jordan", "Taylor", "Sam", "Robin", "Casey", "Jamie", "Quinn"]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "O'Brien", "O'Connor", "Murphy",
    "Sullivan", "McCarthy", "Kelly", "Fitzgerald", "Doherty", "Silva", "Santos", "Pereira",
    "Costa", "Souza", "Fernandes", "Teixeira", "Chen", "Wang", "Li", "Zhang", "Liu", "Huang",
    "Kim", "Park", "Choi", "Tanaka", "Suzuki", "Sato", "Patel", "Shah", "Singh", "Kumar",
    "Gupta", "Nguyễn", "Trần", "Lê", "Phạm", "Haile", "Tesfaye", "Okafor", "Mensah", "Diallo",
    "Cohen", "Levy", "Goldberg", "Katz", "Müller", "Schmidt", "Kowalski", "Nowak", "Ivanova",
    "Papadopoulos", "Rossi", "Russo", "Ferrari", "Dubois", "Lefèvre", "Núñez", "Ibáñez",
    "Al-Sayed", "Haddad", "Khoury", "Abdullah", "Yılmaz", "Öztürk",  # noqa: RUF001
]  # fmt: skip
# Roughly Massachusetts' registration: mostly unenrolled, then Democrats, then Republicans.
PARTIES = (("U", 57), ("D", 32), ("R", 9), ("G", 1), ("L", 1))
PEOPLE_PER_DOOR = ((1, 35), (2, 40), (3, 15), (4, 10))
COLUMNS = [
    "voter_id", "first_name", "middle_name", "last_name", "birth_date", "sex", "party",
    "phone", "email", "house_number", "house_suffix", "street", "unit", "city", "state",
    "zip", "lon", "lat", "precinct_code", "registration_date",
]  # fmt: skip


V = TypeVar("V")


def _weighted(rng: random.Random, pairs: tuple[tuple[V, int], ...]) -> V:
    values = [value for value, _ in pairs]
    weights = [weight for _, weight in pairs]
    return rng.choices(values, weights)[0]


def _email(first: str, last: str, n: int) -> str:
    local = "".join(
        c for c in f"{first}.{last}".lower() if c.isascii() and (c.isalnum() or c == ".")
    )
    return f"{local}{n}@example.com"


def voter_rows(addresses: Path, seed: int = SEED, limit: int | None = None) -> list[list[str]]:
    """Synthetic voters at the real address points: 1-4 a door, same-surname households mostly."""
    rng = random.Random(seed)
    today = date(2026, 11, 3)
    rows: list[list[str]] = []
    with addresses.open(newline="", encoding="utf-8") as f:
        for n, addr in enumerate(csv.DictReader(f)):
            if limit is not None and n >= limit:
                break
            family = rng.choice(LAST_NAMES)
            for _ in range(_weighted(rng, PEOPLE_PER_DOOR)):
                sex = _weighted(rng, (("F", 50), ("M", 48), ("X", 2)))
                first = rng.choice(FIRST_NAMES[sex])
                last = family if rng.random() < 0.8 else rng.choice(LAST_NAMES)
                age_days = rng.randint(18 * 365 + 5, 95 * 365)
                voter_id = f"MA{len(rows) + 1:08d}"
                middle = rng.choice(FIRST_NAMES[sex])[0] if rng.random() < 0.4 else ""
                phone = f"617-555-{rng.randint(100, 199):04d}" if rng.random() < 0.6 else ""
                email = _email(first, last, len(rows)) if rng.random() < 0.4 else ""
                registered = today - timedelta(days=rng.randint(30, 20 * 365))
                rows.append([
                    voter_id, first, middle, last, (today - timedelta(days=age_days)).isoformat(),
                    sex, _weighted(rng, PARTIES), phone, email, addr["house_number"],
                    addr["house_suffix"], addr["street"].title(), "", addr["city"], addr["state"],
                    addr["zip"], addr["lon"], addr["lat"], addr["ward_precinct"],
                    registered.isoformat(),
                ])  # fmt: skip
    return rows


def write_voter_csv(path: Path, rows: list[list[str]]) -> Path:
    """Write the rows under the voter-file header, as the import reads it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def precinct_features() -> list[dict[str, Any]]:
    """Cambridge's precincts, each named from its ward and precinct numbers."""
    collection = json.loads((CAMBRIDGE / "precincts.geojson").read_text(encoding="utf-8"))
    features: list[dict[str, Any]] = collection["features"]
    for feature in features:
        props = feature["properties"]
        props["name"] = f"Ward {props['Ward']}, Precinct {props['Precinct']}"
    return features


async def demo_exists(session: AsyncSession) -> bool:
    """Whether the demo campaign has been loaded already."""
    return (
        await session.execute(select(col(Campaign.id)).where(col(Campaign.slug) == SLUG))
    ).first() is not None


class DemoLoaded(TypedDict):
    """What `load_demo` created: precincts and people, and the voter rows refused."""

    precincts: int
    people: int
    rejected: int


async def load_demo(session: AsyncSession) -> DemoLoaded:
    """Create the demo campaign, its users, precincts and voters. Call once (see demo_exists)."""
    admin = USERS[0]
    campaign = await create_campaign(
        session, "Cambridge for Everyone (demo)", SLUG, admin.email, PASSWORD
    )
    tenant = Tenant(campaign_id=flushed_id(campaign), user_id=None, role=Role.admin)
    for user in USERS[1:]:
        await create_user(
            session,
            tenant,
            UserCreate(email=user.email, name=user.name, role=user.role, password=PASSWORD),
        )
    precincts = await import_precincts(session, tenant, precinct_features(), "WardPrecinct", "name")
    csv_path = write_voter_csv(GENERATED / "voters.csv", voter_rows(CAMBRIDGE / "addresses.csv"))
    with csv_path.open("rb") as stream:
        voters = await import_voters(session, tenant, stream)
    await _mark_supporters(session, tenant.campaign_id)
    return {"precincts": precincts.created, "people": voters.created, "rejected": voters.rejected}


async def _mark_supporters(session: AsyncSession, campaign_id: int) -> None:
    """About 2% volunteers and 1% do-not-contact, chosen by a hash of the voter id so the
    choice is the same on every machine."""
    await session.execute(
        text(
            """
            UPDATE person SET
                is_volunteer = (abs(hashtext(external_id || '/v')) % 100) < 2,
                do_not_contact = (abs(hashtext(external_id || '/d')) % 100) < 1
            WHERE campaign_id = :cid
            """
        ),
        {"cid": campaign_id},
    )
