"""Deterministic fake data: one seeded generator, realistic-looking values.

Generated timestamps fall between `DATA_START` and `DATA_END` (fixed dates), so a
seed always yields the same data set. Mutations made by tests use the real clock,
which is always later, so they are what an incremental sync must pick up.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

DATA_START = datetime(2019, 1, 1, tzinfo=timezone.utc)
DATA_END = datetime(2026, 1, 1, tzinfo=timezone.utc)

FIRST_NAMES = [
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Hedy",
    "Donald",
    "Sophie",
    "Niklaus",
    "Shafi",
    "John",
    "Mary",
    "Guido",
    "Anita",
    "Bjarne",
    "Joan",
    "Yukihiro",
    "Lynn",
    "James",
    "Karen",
    "Leslie",
    "Annie",
    "Robin",
    "Carlos",
    "Priya",
    "Wei",
    "Fatima",
    "Oluwaseun",
    "Mateo",
    "Ingrid",
    "Aarav",
    "Chloe",
]
LAST_NAMES = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Knuth",
    "Wilson",
    "Wirth",
    "Goldwasser",
    "McCarthy",
    "Keller",
    "van Rossum",
    "Borg",
    "Stroustrup",
    "Clarke",
    "Matsumoto",
    "Conway",
    "Gosling",
    "Jones",
    "Lamport",
    "Easley",
    "Milner",
    "Silva",
    "Patel",
    "Zhang",
    "Khan",
    "Adeyemi",
    "Garcia",
    "Larsen",
    "Sharma",
    "Martin",
]
COMPANY_WORDS = (
    "strong candidate with relevant experience and clear communication skills who would "
    "fit the team well after a second interview about compensation expectations and notice "
    "period availability relocation references confirmed"
).split()
COMPANY_SUFFIXES = ["Inc", "Ltd", "GmbH", "LLC", "Group", "Partners", "Holdings", "plc"]
JOB_TITLES = [
    "Software Engineer",
    "Senior Data Engineer",
    "Product Manager",
    "Head of Finance",
    "Chief Technology Officer",
    "Sales Director",
    "UX Designer",
    "Recruiter",
    "Operations Manager",
    "Marketing Lead",
    "Staff Engineer",
    "Account Executive",
    "Chief Financial Officer",
    "VP Engineering",
    "Customer Success Manager",
    "Data Scientist",
]
DEPARTMENTS = [
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "People",
    "Operations",
    "Legal",
    "Customer Success",
    "Product",
    "Design",
]
CITIES = [
    ("London", "GB"),
    ("New York", "US"),
    ("Berlin", "DE"),
    ("Paris", "FR"),
    ("Toronto", "CA"),
    ("Sydney", "AU"),
    ("Singapore", "SG"),
    ("Amsterdam", "NL"),
    ("Dublin", "IE"),
    ("San Francisco", "US"),
    ("Madrid", "ES"),
    ("Stockholm", "SE"),
]
SKILLS = [
    "python",
    "sql",
    "java",
    "leadership",
    "negotiation",
    "go",
    "kubernetes",
    "finance",
    "excel",
    "design",
    "sales",
    "rust",
    "typescript",
    "accounting",
    "spark",
]
WORDS = [
    "strong",
    "candidate",
    "with",
    "relevant",
    "experience",
    "and",
    "clear",
    "communication",
    "skills",
    "who",
    "would",
    "fit",
    "the",
    "team",
    "well",
    "after",
    "a",
    "second",
    "interview",
    "about",
    "compensation",
    "expectations",
    "and",
    "notice",
    "period",
    "availability",
    "relocation",
    "references",
    "confirmed",
]


class Faker:
    """A seeded source of fake values; the same seed gives the same sequence."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def first_name(self) -> str:
        """A first name."""
        return self.random.choice(FIRST_NAMES)

    def last_name(self) -> str:
        """A last name."""
        return self.random.choice(LAST_NAMES)

    def company(self) -> str:
        """A company name."""
        return f"{self.random.choice(COMPANY_WORDS)} {self.random.choice(COMPANY_SUFFIXES)}"

    def job_title(self) -> str:
        """A job title."""
        return self.random.choice(JOB_TITLES)

    def department(self) -> str:
        """A department name."""
        return self.random.choice(DEPARTMENTS)

    def city(self) -> tuple[str, str]:
        """A (city, ISO country code) pair."""
        return self.random.choice(CITIES)

    def email(self, first: str, last: str, domain: str = "example.com") -> str:
        """An email address from a name."""
        local = f"{first}.{last}".lower().replace(" ", "").replace("-", "")
        return f"{local}{self.random.randint(1, 999)}@{domain}"

    def phone(self) -> str:
        """A phone number in the fictional 555 range."""
        return f"+1 555 {self.random.randint(100, 999):03d} {self.random.randint(0, 9999):04d}"

    def sentence(self, words: int = 12) -> str:
        """A sentence of filler words."""
        chosen = [self.random.choice(WORDS) for _ in range(words)]
        return " ".join(chosen).capitalize() + "."

    def skills(self, count: int = 3) -> list[str]:
        """Distinct skill tags."""
        return self.random.sample(SKILLS, k=min(count, len(SKILLS)))

    def boolean(self, true_share: float = 0.5) -> bool:
        """True with the given probability."""
        return self.random.random() < true_share

    def choice(self, options: list[str]) -> str:
        """One of the options."""
        return self.random.choice(options)

    def money(self, low: int, high: int) -> str:
        """A decimal amount as a string with two places (exact, no float drift)."""
        return f"{self.random.randint(low * 100, high * 100) / 100:.2f}"

    def guid(self) -> str:
        """A GUID drawn from the seeded generator."""
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def timestamp(self, start: datetime = DATA_START, end: datetime = DATA_END) -> datetime:
        """A timestamp in [start, end), whole milliseconds."""
        span_ms = int((end - start).total_seconds() * 1000)
        return start + timedelta(milliseconds=self.random.randrange(max(1, span_ms)))

    def later(self, start: datetime, end: datetime = DATA_END) -> datetime:
        """A timestamp between `start` and `end` (or `start` when the range is empty)."""
        if start >= end:
            return start
        return self.timestamp(start, end)


def utc_now() -> datetime:
    """The current time in UTC, truncated to milliseconds."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


def iso_millis(moment: datetime) -> str:
    """RFC 3339 with milliseconds and `Z`, the form Greenhouse documents."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )
