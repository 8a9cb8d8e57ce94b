"""Bullhorn entity model and seeded data for the sandbox.

Field names, types and meta shapes follow the Bullhorn REST entity reference
(see shared/reference/bullhorn.md): every entity has an integer `id`; timestamps are
epoch milliseconds; TO_ONE fields are `{"id": n}`; TO_MANY fields are returned inline as
`{"total": n, "data": [...]}` truncated to five rows; custom-field slots carry an admin label.

Rows are generated lazily per entity from a per-entity seed, so a benchmark that reads one
stream only pays for that stream, and the access order never changes the data.
"""

from __future__ import annotations

import zlib
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sandbox.core.fake import DATA_END, DATA_START, SKILLS, Faker

Record = dict[str, Any]
INLINE_TO_MANY = 5

# Field type codes: scalar dataTypes, "Address" (COMPOSITE), "->Entity" (TO_ONE),
# "=>Entity" (TO_MANY).
ADDRESS_FIELDS = {
    "address1": "String",
    "address2": "String",
    "city": "String",
    "state": "String",
    "zip": "String",
    "countryID": "Integer",
}
CUSTOM_LABELS = {
    "customText1": "Preferred Contact Method",
    "customText2": "Visa Status",
    "customText3": "Referral Source",
    "customDate1": "Security Clearance Expiry",
    "customFloat1": "Placement Fee Percent",
    "customInt1": "Years in Industry",
    "customTextBlock1": "Recruiter Summary",
}


@dataclass(frozen=True)
class EntitySpec:
    """One Bullhorn entity: its fields, timestamp kind and delete behaviour."""

    name: str
    fields: dict[str, str]
    size: float  # share of `records`, or a fixed count when >= 1 and `fixed`
    timestamp: str | None  # "dateLastModified", "dateAdded" or None
    soft_delete: bool = False
    hard_delete: bool = False
    fixed: bool = False
    custom: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    def all_fields(self) -> dict[str, str]:
        """Every field in meta order: id, declared fields, custom slots, timestamps."""
        out: dict[str, str] = {"id": "ID"}
        out.update(self.fields)
        for name in self.custom:
            out[name] = _custom_type(name)
        if self.timestamp:
            out["dateAdded"] = "Timestamp"
        if self.timestamp == "dateLastModified":
            out["dateLastModified"] = "Timestamp"
        if self.soft_delete:
            out["isDeleted"] = "Boolean"
        return out


def _custom_type(name: str) -> str:
    if name.startswith("customDate"):
        return "Timestamp"
    if name.startswith("customFloat"):
        return "Double"
    if name.startswith("customInt"):
        return "Integer"
    return "String"


CUSTOM_ALL = tuple(CUSTOM_LABELS)
CUSTOM_SOME = ("customText1", "customText2", "customDate1")
DLM = "dateLastModified"
ADDED = "dateAdded"

ENTITIES: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in [
        EntitySpec(
            "Candidate",
            {
                "firstName": "String",
                "lastName": "String",
                "name": "String",
                "email": "String",
                "phone": "String",
                "status": "String",
                "occupation": "String",
                "salary": "BigDecimal",
                "dateOfBirth": "Timestamp",
                "address": "Address",
                "owner": "->CorporateUser",
                "primarySkills": "=>Skill",
            },
            1.0,
            DLM,
            soft_delete=True,
            custom=CUSTOM_ALL,
        ),
        EntitySpec(
            "ClientContact",
            {
                "firstName": "String",
                "lastName": "String",
                "name": "String",
                "email": "String",
                "status": "String",
                "clientCorporation": "->ClientCorporation",
                "owner": "->CorporateUser",
            },
            0.5,
            DLM,
            soft_delete=True,
            custom=CUSTOM_SOME,
        ),
        EntitySpec(
            "ClientCorporation",
            {"name": "String", "phone": "String", "status": "String", "address": "Address"},
            0.2,
            DLM,
            custom=("customText1", "customText2"),
        ),
        EntitySpec(
            "JobOrder",
            {
                "title": "String",
                "status": "String",
                "isOpen": "Boolean",
                "salary": "BigDecimal",
                "address": "Address",
                "clientCorporation": "->ClientCorporation",
                "clientContact": "->ClientContact",
                "owner": "->CorporateUser",
                "assignedUsers": "=>CorporateUser",
            },
            0.25,
            DLM,
            soft_delete=True,
            custom=("customText1", "customText2", "customText3", "customFloat1"),
        ),
        EntitySpec(
            "JobSubmission",
            {
                "candidate": "->Candidate",
                "jobOrder": "->JobOrder",
                "status": "String",
                "source": "String",
                "dateWebResponse": "Timestamp",
            },
            0.5,
            DLM,
            soft_delete=True,
            custom=("customText1",),
        ),
        EntitySpec(
            "Placement",
            {
                "candidate": "->Candidate",
                "jobOrder": "->JobOrder",
                "status": "String",
                "salary": "BigDecimal",
                "payRate": "BigDecimal",
                "dateBegin": "Timestamp",
                "dateEnd": "Timestamp",
            },
            0.2,
            DLM,
            hard_delete=True,
            custom=CUSTOM_SOME,
        ),
        EntitySpec(
            "Note",
            {
                "action": "String",
                "comments": "String",
                "personReference": "->Candidate",
                "commentingPerson": "->CorporateUser",
            },
            0.5,
            DLM,
            soft_delete=True,
        ),
        EntitySpec(
            "Appointment",
            {
                "subject": "String",
                "dateBegin": "Timestamp",
                "dateEnd": "Timestamp",
                "owner": "->CorporateUser",
                "candidateReference": "->Candidate",
            },
            0.2,
            DLM,
            soft_delete=True,
        ),
        EntitySpec(
            "Task",
            {
                "subject": "String",
                "description": "String",
                "dateBegin": "Timestamp",
                "isCompleted": "Boolean",
                "owner": "->CorporateUser",
            },
            0.2,
            DLM,
            soft_delete=True,
        ),
        EntitySpec(
            "Lead",
            {
                "firstName": "String",
                "lastName": "String",
                "name": "String",
                "email": "String",
                "status": "String",
                "owner": "->CorporateUser",
            },
            0.1,
            DLM,
            soft_delete=True,
        ),
        EntitySpec(
            "Opportunity",
            {
                "title": "String",
                "status": "String",
                "dealValue": "BigDecimal",
                "clientCorporation": "->ClientCorporation",
                "owner": "->CorporateUser",
            },
            0.1,
            DLM,
            soft_delete=True,
        ),
        EntitySpec(
            "CorporateUser",
            {
                "firstName": "String",
                "lastName": "String",
                "name": "String",
                "email": "String",
                "username": "String",
                "enabled": "Boolean",
            },
            0.05,
            DLM,
            soft_delete=True,
        ),
        EntitySpec(
            "CandidateEducation",
            {
                "candidate": "->Candidate",
                "school": "String",
                "degree": "String",
                "graduationDate": "Timestamp",
                "gpa": "Double",
            },
            0.3,
            DLM,
            soft_delete=True,
        ),
        EntitySpec(
            "CandidateWorkHistory",
            {
                "candidate": "->Candidate",
                "companyName": "String",
                "title": "String",
                "startDate": "Timestamp",
                "endDate": "Timestamp",
                "salary1": "BigDecimal",
            },
            0.3,
            DLM,
            soft_delete=True,
        ),
        EntitySpec(
            "CandidateReference",
            {
                "candidate": "->Candidate",
                "referenceFirstName": "String",
                "referenceLastName": "String",
                "companyName": "String",
                "referenceTitle": "String",
            },
            0.2,
            DLM,
            soft_delete=True,
        ),
        EntitySpec(
            "Sendout",
            {
                "candidate": "->Candidate",
                "jobOrder": "->JobOrder",
                "clientContact": "->ClientContact",
                "isRead": "Boolean",
            },
            0.2,
            ADDED,
            hard_delete=True,
        ),
        EntitySpec(
            "Tearsheet",
            {
                "name": "String",
                "description": "String",
                "isPrivate": "Boolean",
                "owner": "->CorporateUser",
            },
            0.05,
            DLM,
            soft_delete=True,
        ),
        EntitySpec(
            "PlacementChangeRequest",
            {
                "placement": "->Placement",
                "requestType": "String",
                "status": "String",
                "salary": "BigDecimal",
            },
            0.1,
            DLM,
            hard_delete=True,
        ),
        EntitySpec(
            "PlacementCommission",
            {
                "placement": "->Placement",
                "user": "->CorporateUser",
                "role": "String",
                "commissionPercentage": "Double",
                "flatPayout": "BigDecimal",
            },
            0.1,
            DLM,
            hard_delete=True,
        ),
        EntitySpec(
            "JobSubmissionHistory",
            {
                "jobSubmission": "->JobSubmission",
                "status": "String",
                "comments": "String",
                "modifyingUser": "->CorporateUser",
            },
            0.5,
            ADDED,
            hard_delete=True,
        ),
        EntitySpec("BusinessSector", {"name": "String"}, 12, None, fixed=True),
        EntitySpec(
            "Category",
            {"name": "String", "occupation": "String", "enabled": "Boolean"},
            15,
            ADDED,
            fixed=True,
        ),
        EntitySpec(
            "Skill", {"name": "String", "enabled": "Boolean"}, len(SKILLS), None, fixed=True
        ),
        EntitySpec(
            "Specialty", {"name": "String", "parentCategory": "->Category"}, 20, None, fixed=True
        ),
        EntitySpec("Country", {"name": "String", "code": "String"}, 12, None, fixed=True),
        EntitySpec(
            "State",
            {"name": "String", "code": "String", "countryID": "Integer"},
            20,
            None,
            fixed=True,
        ),
        EntitySpec(
            "CorporationDepartment",
            {"name": "String", "description": "String", "enabled": "Boolean"},
            10,
            None,
            fixed=True,
        ),
    ]
}

STATUSES = ["New Lead", "Active", "Submitted", "Interviewing", "Placed", "Archive"]


def epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds, Bullhorn's timestamp form."""
    return int(moment.timestamp() * 1000)


class BullhornData:
    """Lazily generated rows per entity plus cached sort indexes."""

    def __init__(self, records: int, seed: int) -> None:
        self.records = max(1, records)
        self.seed = seed
        self._rows: dict[str, dict[int, Record]] = {}
        self._next_id: dict[str, int] = {}
        self._indexes: dict[
            tuple[str, tuple[str, ...]], tuple[list[tuple[Any, ...]], list[Record]]
        ] = {}

    def size(self, entity: str) -> int:
        """How many rows an entity starts with."""
        spec = ENTITIES[entity]
        if spec.fixed:
            return int(spec.size)
        return max(3, int(self.records * spec.size))

    def faker(self, entity: str, salt: str = "") -> Faker:
        """A generator seeded from the data seed and the entity name."""
        return Faker(self.seed * 1_000_003 + zlib.crc32(f"{entity}{salt}".encode()))

    def rows(self, entity: str) -> dict[int, Record]:
        """Every stored row of an entity by id (generated on first use)."""
        if entity not in self._rows:
            fake = self.faker(entity)
            rows = {}
            for row_id in range(1, self.size(entity) + 1):
                rows[row_id] = self.generate(entity, row_id, fake)
            self._rows[entity] = rows
            self._next_id[entity] = self.size(entity) + 1
        return self._rows[entity]

    def new_id(self, entity: str) -> int:
        """The next free id."""
        self.rows(entity)
        row_id = self._next_id[entity]
        self._next_id[entity] = row_id + 1
        return row_id

    def invalidate(self, entity: str) -> None:
        """Drop cached sort indexes after a mutation."""
        for key in [key for key in self._indexes if key[0] == entity]:
            del self._indexes[key]

    def sorted_rows(
        self, entity: str, order: tuple[str, ...]
    ) -> tuple[list[tuple[Any, ...]], list[Record]]:
        """Rows sorted by `order` fields (ascending, nulls first), with the sort keys."""
        key = (entity, order)
        cached = self._indexes.get(key)
        if cached is None:
            rows = list(self.rows(entity).values())
            rows.sort(key=lambda row: tuple(_sort_value(row.get(name)) for name in order))
            keys = [tuple(_sort_value(row.get(name)) for name in order) for row in rows]
            cached = (keys, rows)
            self._indexes[key] = cached
        return cached

    def first_at_or_after(self, keys: list[tuple[Any, ...]], first_value: Any) -> int:
        """Position of the first row whose first sort key is >= `first_value`."""
        return bisect_left(keys, (_sort_value(first_value),))

    def generate(self, entity: str, row_id: int, fake: Faker) -> Record:
        """One row with every field set."""
        spec = ENTITIES[entity]
        row: Record = {"id": row_id}
        added = fake.timestamp()
        first, last = fake.first_name(), fake.last_name()
        for name, code in spec.all_fields().items():
            if name == "id":
                continue
            if name == "dateAdded":
                row[name] = epoch_ms(added)
            elif name == "dateLastModified":
                row[name] = epoch_ms(fake.later(added, DATA_END))
            elif name == "isDeleted":
                row[name] = fake.boolean(0.05)
            else:
                row[name] = self.value(entity, name, code, fake, first, last, row_id)
        return row

    def value(
        self, entity: str, name: str, code: str, fake: Faker, first: str, last: str, row_id: int
    ) -> Any:
        """A plausible value for one field."""
        if code.startswith("->"):
            target = code[2:]
            return {"id": fake.random.randint(1, self.size(target))}
        if code.startswith("=>"):
            target = code[2:]
            count = fake.random.randint(0, 8)
            return sorted(
                fake.random.sample(range(1, self.size(target) + 1), k=min(count, self.size(target)))
            )
        if code == "Address":
            city, country = fake.city()
            return {
                "address1": f"{fake.random.randint(1, 999)} High Street",
                "address2": None,
                "city": city,
                "state": None,
                "zip": f"{fake.random.randint(10000, 99999)}",
                "countryID": 1 + (sum(map(ord, country)) % 12),
            }
        return _scalar(entity, name, code, fake, first, last, row_id)


def _scalar(
    entity: str, name: str, code: str, fake: Faker, first: str, last: str, row_id: int
) -> Any:
    if code == "Timestamp":
        return epoch_ms(fake.timestamp(DATA_START, DATA_END)) if fake.boolean(0.8) else None
    if code == "Boolean":
        return fake.boolean()
    if code == "Integer":
        return fake.random.randint(0, 40)
    if code == "Double":
        return round(fake.random.uniform(0, 100), 2)
    if code == "BigDecimal":
        return float(fake.money(20000, 200000))
    lowered = name.lower()
    if name == "firstName" or lowered.endswith("firstname"):
        return first
    if name == "lastName" or lowered.endswith("lastname"):
        return last
    if name == "name":
        if entity == "Skill":
            return SKILLS[(row_id - 1) % len(SKILLS)]
        if entity in {"ClientCorporation", "Tearsheet", "BusinessSector", "CorporationDepartment"}:
            return fake.company() if entity == "ClientCorporation" else fake.department()
        return f"{first} {last}"
    if name == "email":
        return fake.email(first, last)
    if name == "username":
        return f"{first}.{last}{row_id}".lower().replace(" ", "")
    if name == "phone":
        return fake.phone()
    if name == "status":
        return fake.choice(STATUSES)
    if name in {"title", "occupation", "referenceTitle"}:
        return fake.job_title()
    if name in {"companyName", "school"}:
        return fake.company()
    if name == "code":
        return f"C{row_id:02d}"
    if name.startswith("custom") and not fake.boolean(0.6):
        return None
    return fake.sentence(6)


def _sort_value(value: Any) -> Any:
    """Sort key with nulls first and TO_ONE dicts by id."""
    if isinstance(value, dict):
        value = value.get("id")
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    return (1, value)
