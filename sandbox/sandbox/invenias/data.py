"""The Invenias data set: entity column specs and a seeded generator.

Column names come from the public Invenias API docs' examples (Select lists, response
items, data-management field names). Value shapes follow those examples: references
are `{"Id": guid}`, record owners `[{"Id", "ItemDisplayText"}]`, lookup columns end in
`_lookup` and hold the entry's display text, and dates are .NET round-trip strings
(`2022-05-12T15:52:47.2298510+00:00`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sandbox.core.fake import DATA_END, DATA_START, Faker

Record = dict[str, Any]

# Column kinds and the JSON type the sandbox reports in AvailableColumns.
KIND_TYPES = {
    "text": "Text",
    "integer": "Integer",
    "decimal": "Decimal",
    "boolean": "CheckBox",
    "datetime": "DateTime",
    "reference": "ItemReference",
    "references": "ItemReferenceList",
}
MODIFIED = "DateModified"
CREATED = "DateCreated"


@dataclass(frozen=True)
class Column:
    """One list column: name, kind, whether the default display view shows it."""

    name: str
    kind: str = "text"
    default_view: bool = False
    custom: bool = False
    label: str = ""


@dataclass(frozen=True)
class EntitySpec:
    """One entity with a list endpoint."""

    path: str
    item_type: str
    columns: tuple[Column, ...]
    share: float = 1.0
    modified: str | None = MODIFIED

    @property
    def column_names(self) -> list[str]:
        """Every selectable column."""
        return [column.name for column in self.columns]

    @property
    def default_view(self) -> list[str]:
        """Columns returned when the request has no Select."""
        return [column.name for column in self.columns if column.default_view]

    def available_columns(self) -> list[dict[str, Any]]:
        """`AvailableColumns` entries, shaped like the documented ViewDefinition columns.

        The docs name the flag but not the answer's shape; the sandbox reuses the column
        shape of `ViewDefinition.Columns` (FieldName, DisplayTitle, ColumnType).
        """
        return [
            {
                "FieldName": column.name,
                "DisplayTitle": column.label or column.name,
                "ColumnType": KIND_TYPES[column.kind],
                "IsCustom": column.custom,
            }
            for column in self.columns
        ]


def _stamps() -> tuple[Column, ...]:
    # EntityDetails carries DateCreated/DateModified on single records; lists are assumed
    # to expose them as columns (the tap makes the column a setting).
    return (
        Column(CREATED, "datetime", label="Date Created"),
        Column(MODIFIED, "datetime", default_view=True, label="Date Modified"),
    )


def _cols(*names: str, kind: str = "text", view: bool = True) -> tuple[Column, ...]:
    return tuple(Column(name, kind, default_view=view) for name in names)


ENTITY_LIST: tuple[EntitySpec, ...] = (
    EntitySpec(
        "people",
        "People",
        (
            *_cols("FileAs", "DisplayFileAs", "PersonFirstName", "PersonFamilyName"),
            *_cols("PersonMiddleName", "PersonNickName", "Salutation", view=False),
            *_cols("PositionJobTitle", "CompanyDisplayName", "Email1Address"),
            *_cols("Email2Address", "MobilePhone", "BusinessPhone", "Location", view=False),
            Column("CompanyId", "reference", default_view=True),
            Column("DateOfBirth", "datetime"),
            Column("TotalCandidateAssignments", "integer", default_view=True),
            Column("CandidateStatus_lookup", default_view=True),
            Column("RecordOwners", "references"),
            Column("Custom_ExecutiveLevel", custom=True, label="Executive Level"),
            Column("Custom_BoardSeats", "integer", custom=True, label="Board Seats"),
            *_stamps(),
        ),
    ),
    EntitySpec(
        "companies",
        "Companies",
        (
            *_cols("FileAs", "CompanyDisplayName", "Location"),
            *_cols("Email1Address", "BusinessPhone", "WebSite", "Industry", view=False),
            Column("ClientStatus_lookup", default_view=True),
            Column("CompanyType_lookup"),
            Column("TotalNumberOfAssignments", "integer", default_view=True),
            Column("IsPlaceOfStudy", "boolean"),
            Column("ParentCompanyId", "reference"),
            Column("RecordOwners", "references"),
            Column("Custom_Tier", custom=True, label="Client Tier"),
            *_stamps(),
        ),
        share=0.3,
    ),
    EntitySpec(
        "assignments",
        "Assignments",
        (
            *_cols("AssignmentReferenceNumber", "FileAs", "CompanyDisplayName"),
            Column("CompanyId", "reference", default_view=True),
            Column("Status_lookup", default_view=True),
            Column("EngagementType_lookup"),
            Column("EmploymentType_lookup"),
            *_cols("Location", "InternalRef", "ExternalRef", view=False),
            Column("StartDate", "datetime"),
            Column("EstimatedFee", "decimal"),
            Column("FeeCurrency"),
            Column("RecordOwners", "references"),
            Column("Custom_RetainerPaid", "boolean", custom=True, label="Retainer Paid"),
            *_stamps(),
        ),
        share=0.2,
    ),
    EntitySpec(
        "programmes",
        "Programmes",
        (
            *_cols("ProgrammeReferenceNumber", "Name", "ProgrammeType"),
            Column("ProgrammeStatusDisplay", default_view=True),
            Column("StartDate", "datetime"),
            Column("EndDate", "datetime"),
            Column("RecordOwners", "references"),
            *_stamps(),
        ),
        share=0.05,
    ),
    EntitySpec(
        "placements",
        "Placements",
        (
            *_cols("FileAs", "CandidateDisplayName", "CompanyDisplayName"),
            Column("AssignmentId", "reference", default_view=True),
            Column("PersonId", "reference", default_view=True),
            Column("CompanyId", "reference"),
            Column("PlacementStatus_lookup", default_view=True),
            Column("PlacementType_lookup"),
            Column("StartDate", "datetime"),
            Column("Salary", "decimal"),
            Column("Fee", "decimal"),
            Column("FeeCurrency"),
            *_stamps(),
        ),
        share=0.1,
    ),
    EntitySpec(
        "appointments",
        "Appointments",
        (
            Column("ActionSubject", default_view=True),
            Column("ActionType", "reference", default_view=True),
            Column("Content", default_view=True),
            Column("Date", "datetime", default_view=True),
            Column("Location"),
            Column("PersonId", "reference"),
            Column("AssignmentId", "reference"),
            *_stamps(),
        ),
        share=0.5,
    ),
    EntitySpec(
        "journal",
        "Notes",
        (
            Column("ActionSubject", default_view=True),
            Column("ActionType", "reference", default_view=True),
            Column("Notes", default_view=True),
            Column("Date", "datetime", default_view=True),
            Column("PersonId", "reference"),
            Column("CompanyId", "reference"),
            *_stamps(),
        ),
        share=1.5,
    ),
    EntitySpec(
        "documents",
        "Documents",
        (
            *_cols("AttachmentName", "DocumentTypeDisplayText", "DocumentExtension"),
            Column("CreatedBy", default_view=True),
            Column("IsDefaultCv", "boolean"),
            Column("ExpirationDate", "datetime"),
            Column("PersonId", "reference"),
            *_stamps(),
        ),
        share=0.4,
    ),
    EntitySpec(
        "lookuplists",
        "LookupLists",
        _cols("Name"),
        modified=None,
    ),
    EntitySpec(
        "lookuplistentries",
        "LookupListEntries",
        (
            Column("Name", default_view=True),
            Column("LookupListId", "reference", default_view=True),
            Column("IsActive", "boolean", default_view=True),
            Column("OrderIndex", "integer", default_view=True),
        ),
        modified=None,
    ),
)
ENTITIES: dict[str, EntitySpec] = {spec.path: spec for spec in ENTITY_LIST}

# The docs' enumeration names for GET /api/v1/settings/{key}.
SETTING_NAMES = (
    "AllCompaniesProgressStatuses AllPeopleProgressStatuses AppointmentActionTypes "
    "AssignmentAdStatus AssignmentAdvertEmploymentType AssignmentCandidateGroups "
    "AssignmentCandidateStatus AssignmentClientRole AssignmentCompanyStatus "
    "AssignmentEmploymentType AssignmentFeeType AssignmentLostReasons AssignmentReferralStatus "
    "AssignmentResearchAssignmentStatus AssignmentResearchProgrammeStatus AssignmentStatus "
    "AssignmentWeighting CandidateContractTypes ClientContractTypes ClientSource CommissionType "
    "CompanyClientStatus CompanyRelationship CompanySize CompanySource CompanyTeamRole "
    "CompanyType ConsentEventTypes Currencies DataManagementPriorities "
    "DefaultCandidateProgressStatus DocumentType DurationPeriod EducationQualifications "
    "EmailActionTypes EngagementType FeedbackActionTypes GoogleAnalyticsKey InterimRateSettings "
    "InterviewActionTypes MaritalStatus Nationality NonExecPackageSettings NoteActionTypes "
    "OfferRejectedReasons PackageRatePeriod PaymentFrequencies PaymentType "
    "PermanentPackageSettings PersonAvailability PersonCandidateStatus PersonClientStatus "
    "PersonCustom1 PersonCustom2 PersonCustom3 PersonOfferStatus PersonPlacementStatus "
    "PersonPlacementType PersonPositionStatus PersonPositionType PlacementCancellationReasons "
    "PlacementOrigin PositionRole PriorityTypes ProgrammeTeamRole ProgressTrackingActionTypes "
    "ReferenceFormat ReferenceProgressStatus ReferenceType SentCurriculumVitaeActionTypes "
    "SentDocumentActionTypes Sex TaskActionTypes TeamRole TelephoneActionTypes"
).split()
SETTING_VALUES = (
    "Active",
    "On Hold",
    "Completed",
    "Cancelled",
    "Placement",
    "Target Candidate",
    "Left Message",
    "In Discussion",
    "Rejected",
    "Retained",
    "Contingent",
    "Interim",
)
STATUS_GROUPS = ("InitialValue", "ContactOutstanding", "Contact", "Rejected", "Placed")
RULE_ENTITIES = ("people", "companies", "assignment")
RULE_FIELDS = {
    "people": ("DateOfBirth", "Company", "Email1Address", "JobTitle", "MobilePhone"),
    "companies": ("Email1Address", "Email2Address", "Email3Address", "BusinessPhone", "WebSite"),
    "assignment": ("EngagementType", "InternalRef", "Company", "Location", "AssignmentStatus"),
}
COUNTRIES = (
    ("AF", "AFGHANISTAN"),
    ("AX", "ALAND ISLANDS"),
    ("AL", "ALBANIA"),
    ("DZ", "ALGERIA"),
    ("AS", "AMERICAN SAMOA"),
    ("AR", "ARGENTINA"),
    ("AU", "AUSTRALIA"),
    ("AT", "AUSTRIA"),
    ("BE", "BELGIUM"),
    ("BR", "BRAZIL"),
    ("CA", "CANADA"),
    ("CN", "CHINA"),
    ("DK", "DENMARK"),
    ("FI", "FINLAND"),
    ("FR", "FRANCE"),
    ("DE", "GERMANY"),
    ("IN", "INDIA"),
    ("IE", "IRELAND"),
    ("IT", "ITALY"),
    ("JP", "JAPAN"),
    ("MX", "MEXICO"),
    ("NL", "NETHERLANDS"),
    ("NZ", "NEW ZEALAND"),
    ("NO", "NORWAY"),
    ("PL", "POLAND"),
    ("PT", "PORTUGAL"),
    ("SG", "SINGAPORE"),
    ("ZA", "SOUTH AFRICA"),
    ("ES", "SPAIN"),
    ("SE", "SWEDEN"),
    ("CH", "SWITZERLAND"),
    ("AE", "UNITED ARAB EMIRATES"),
    ("GB", "UNITED KINGDOM"),
    ("US", "UNITED STATES"),
)
LOOKUP_VALUES = {
    "CandidateStatus_lookup": ("Target Candidate", "In Discussion", "Shortlisted", "Rejected"),
    "ClientStatus_lookup": ("Client", "Prospect", "Former Client", "Off Limits"),
    "CompanyType_lookup": ("Public", "Private", "Partnership", "Non-Profit"),
    "Status_lookup": ("Active", "On Hold", "Completed", "Cancelled", "Placement"),
    "EngagementType_lookup": ("Retained", "Contingent", "Interim"),
    "EmploymentType_lookup": ("Permanent", "Contract", "Non-Executive"),
    "PlacementStatus_lookup": ("Offered", "Accepted", "Started", "Cancelled"),
    "PlacementType_lookup": ("Permanent", "Interim"),
}
CURRENCIES = ("GBP", "USD", "EUR", "CHF")
ACTION_TYPES = {
    "appointments": ("Meeting", "Interview", "Lunch"),
    "journal": ("Note", "Telephone", "Email"),
}
EDITABLE_COLUMNS = ("FileAs", "Name", "ActionSubject", "AttachmentName", "DisplayFileAs")
EDITABLE_COLUMNS = ("FileAs", "Name", "ActionSubject", "AttachmentName", "DisplayFileAs")


def round_trip(moment: datetime) -> str:
    """A .NET round-trip ("o") date: seven fractional digits and a `+00:00` offset."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}0+00:00"


def public_item(row: Record, select: Iterable[str], spec: EntitySpec) -> Record:
    """An item as a list answers it: selected columns, nulls left out, identity columns."""
    item: Record = {}
    for name in select:
        value = row.get(name)
        if value is not None:
            item[name] = value
    item["ItemType"] = spec.item_type
    item["ItemId"] = row["ItemId"]
    item["OffLimitsStatus"] = row.get("OffLimitsStatus", "Off")
    return item


@dataclass
class InveniasData:
    """Every table of one seeded tenant."""

    records: int
    seed: int
    tables: dict[str, dict[str, Record]] = field(default_factory=dict)
    settings: dict[str, list[Record]] = field(default_factory=dict)
    rules: dict[str, list[Record]] = field(default_factory=dict)
    countries: list[Record] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.fake = Faker(self.seed)
        self.tables = {path: {} for path in ENTITIES}
        self.keys: dict[str, list[str]] = {path: [] for path in ENTITIES}
        self.user_refs: list[Record] = []
        self._generate()

    # -- generation ------------------------------------------------------------------------
    def _generate(self) -> None:
        fake = self.fake
        self.countries = [{"CountryCode": code, "CountryName": name} for code, name in COUNTRIES]
        for name in SETTING_NAMES:
            count = 3 + fake.random.randrange(6)
            self.settings[name] = [
                {
                    "Id": fake.guid(),
                    "DisplayTitle": value,
                    "ItemDisplayText": value,
                    "ItemType": "LookupListEntries",
                    "StatusGroupName": fake.choice(list(STATUS_GROUPS)),
                }
                for value in fake.random.sample(SETTING_VALUES, k=count)
            ]
        for entity, names in RULE_FIELDS.items():
            self.rules[entity] = [
                {
                    "FieldName": name,
                    "FieldPolicy": fake.choice(["Normal", "Preferred", "Compulsory"]),
                    "Label": _label(name),
                }
                for name in names
            ]
        # Professional users appear as record owners and document creators.
        self.user_refs = [
            {"Id": fake.guid(), "ItemDisplayText": f"{fake.first_name()} {fake.last_name()}"}
            for _ in range(max(3, self.records // 100))
        ]
        self.action_type_ids = {
            name: fake.guid() for names in ACTION_TYPES.values() for name in names
        }
        for name in ("AssignmentStatus", "PersonCandidateStatus", "DocumentType", "Currencies"):
            parent = self.generate("lookuplists", name=name)
            for order, entry in enumerate(self.settings[name]):
                self.generate(
                    "lookuplistentries",
                    name=entry["DisplayTitle"],
                    parent=parent["ItemId"],
                    order=order,
                )
        for path in ("companies", "people", "assignments", "programmes"):
            self._fill(path)
        for path in ("placements", "appointments", "journal", "documents"):
            self._fill(path)

    def _fill(self, path: str) -> None:
        count = max(1, round(self.records * ENTITIES[path].share))
        for _ in range(count):
            self.generate(path)

    def generate(self, path: str, created: datetime | None = None, **extra: Any) -> Record:
        """Build, store and return one new row of `path`."""
        spec = ENTITIES[path]
        fake = self.fake
        row: Record = {"ItemId": fake.guid()}
        if spec.modified is not None:
            born = created or fake.timestamp(DATA_START, DATA_END - timedelta(days=30))
            changed = created or fake.later(born)
            row[CREATED] = round_trip(born)
            row[MODIFIED] = round_trip(changed)
        row.update(BUILDERS[path](self, extra))
        if fake.boolean(0.02):
            row["OffLimitsStatus"] = "On"
        self.tables[path][row["ItemId"]] = row
        self.keys[path].append(row["ItemId"])
        return row

    def touch(self, row: Record, now: datetime) -> None:
        """Apply an edit made now by an API user."""
        for name in EDITABLE_COLUMNS:
            if isinstance(row.get(name), str):
                row[name] = f"{row[name].removesuffix(' (edited)')} (edited)"
                break
        row[MODIFIED] = round_trip(now)

    # -- helpers for builders ----------------------------------------------------------------
    def ref(self, path: str) -> Record | None:
        """A reference to a random existing row of `path`."""
        keys = self.keys[path]
        return {"Id": self.fake.random.choice(keys)} if keys else None

    def forget(self, path: str, ident: str) -> None:
        """Remove a row (a hard delete)."""
        del self.tables[path][ident]
        self.keys[path].remove(ident)

    def owners(self) -> list[Record]:
        """One or two record owners."""
        if not self.user_refs:
            return []
        return self.fake.random.sample(
            self.user_refs, k=min(len(self.user_refs), 1 + self.fake.random.randrange(2))
        )

    def lookup(self, column: str) -> str | None:
        """A lookup display value, sometimes empty."""
        if self.fake.boolean(0.05):
            return None
        return self.fake.choice(list(LOOKUP_VALUES[column]))

    def maybe(self, value: Any, share: float = 0.85) -> Any:
        """The value, or None (an empty column) now and then."""
        return value if self.fake.boolean(share) else None

    def date(self) -> str:
        """A date column value."""
        return round_trip(self.fake.timestamp())


def _name_of(data: InveniasData, path: str, ref: Record | None, column: str) -> Any:
    row = data.tables[path].get(ref["Id"]) if ref else None
    return row.get(column) if row else None


def _label(name: str) -> str:
    out = ""
    for char in name:
        if char.isupper() and out and not out[-1].isupper():
            out += " "
        out += char
    return out


def _person(data: InveniasData, _extra: Record) -> Record:
    fake = data.fake
    first, last = fake.first_name(), fake.last_name()
    company = data.ref("companies")
    company_name = _name_of(data, "companies", company, "FileAs")
    return {
        "FileAs": f"{last}, {first}",
        "DisplayFileAs": f"{first} {last}",
        "PersonFirstName": first,
        "PersonFamilyName": last,
        "PersonMiddleName": data.maybe(fake.first_name(), 0.2),
        "PersonNickName": data.maybe(first[:3], 0.1),
        "Salutation": data.maybe(fake.choice(["Mr", "Ms", "Dr", "Mx"]), 0.6),
        "PositionJobTitle": data.maybe(fake.job_title()),
        "CompanyDisplayName": company_name,
        "CompanyId": company,
        "Email1Address": data.maybe(fake.email(first, last)),
        "Email2Address": data.maybe(fake.email(first, last, "mail.example"), 0.3),
        "MobilePhone": data.maybe(fake.phone(), 0.6),
        "BusinessPhone": data.maybe(fake.phone(), 0.5),
        "Location": data.maybe(fake.city()[0]),
        "DateOfBirth": data.maybe(
            round_trip(fake.timestamp(datetime(1950, 1, 1, tzinfo=timezone.utc), DATA_START)), 0.4
        ),
        "TotalCandidateAssignments": fake.random.randrange(6),
        "CandidateStatus_lookup": data.lookup("CandidateStatus_lookup"),
        "RecordOwners": data.owners(),
        "Custom_ExecutiveLevel": data.maybe(fake.choice(["C-Suite", "VP", "Director"]), 0.5),
        "Custom_BoardSeats": data.maybe(fake.random.randrange(5), 0.3),
    }


def _company(data: InveniasData, _extra: Record) -> Record:
    fake = data.fake
    name = fake.company()
    return {
        "FileAs": name,
        "CompanyDisplayName": name,
        "Location": data.maybe(fake.city()[0]),
        "Email1Address": data.maybe(f"info@{name.split()[0].lower()}.example"),
        "BusinessPhone": data.maybe(fake.phone()),
        "WebSite": data.maybe(f"https://{name.split()[0].lower()}.example"),
        "Industry": data.maybe(fake.department()),
        "ClientStatus_lookup": data.lookup("ClientStatus_lookup"),
        "CompanyType_lookup": data.lookup("CompanyType_lookup"),
        "TotalNumberOfAssignments": fake.random.randrange(10),
        "IsPlaceOfStudy": fake.boolean(0.05),
        "ParentCompanyId": data.maybe(data.ref("companies"), 0.1),
        "RecordOwners": data.owners(),
        "Custom_Tier": data.maybe(fake.choice(["Gold", "Silver", "Bronze"]), 0.5),
    }


def _assignment(data: InveniasData, _extra: Record) -> Record:
    fake = data.fake
    company = data.ref("companies")
    number = len(data.tables["assignments"]) + 1
    return {
        "AssignmentReferenceNumber": f"A{number:06d}",
        "FileAs": fake.job_title(),
        "CompanyDisplayName": (_name_of(data, "companies", company, "FileAs")),
        "CompanyId": company,
        "Status_lookup": data.lookup("Status_lookup"),
        "EngagementType_lookup": data.lookup("EngagementType_lookup"),
        "EmploymentType_lookup": data.lookup("EmploymentType_lookup"),
        "Location": data.maybe(fake.city()[0]),
        "InternalRef": data.maybe(f"INT-{fake.random.randrange(10**5):05d}", 0.5),
        "ExternalRef": data.maybe(f"EXT-{fake.random.randrange(10**5):05d}", 0.3),
        "StartDate": data.maybe(data.date(), 0.6),
        "EstimatedFee": data.maybe(float(fake.money(10_000, 250_000))),
        "FeeCurrency": fake.choice(list(CURRENCIES)),
        "RecordOwners": data.owners(),
        "Custom_RetainerPaid": data.maybe(fake.boolean(), 0.5),
    }


def _programme(data: InveniasData, _extra: Record) -> Record:
    fake = data.fake
    number = len(data.tables["programmes"]) + 1
    return {
        "ProgrammeReferenceNumber": f"CA{number:06d}",
        "Name": f"{fake.choice(['Networking', 'Leadership', 'Board'])} {fake.department()}",
        "ProgrammeType": fake.choice(["Business Development", "Marketing Event", "Research"]),
        "ProgrammeStatusDisplay": data.maybe(fake.choice(["Active", "Completed"]), 0.7),
        "StartDate": data.maybe(data.date(), 0.7),
        "EndDate": data.maybe(data.date(), 0.4),
        "RecordOwners": data.owners(),
    }


def _placement(data: InveniasData, _extra: Record) -> Record:
    fake = data.fake
    person = data.ref("people")
    person_row = data.tables["people"].get(person["Id"], {}) if person else {}
    return {
        "FileAs": f"{person_row.get('DisplayFileAs', '')} - {fake.job_title()}",
        "CandidateDisplayName": person_row.get("DisplayFileAs"),
        "CompanyDisplayName": person_row.get("CompanyDisplayName"),
        "AssignmentId": data.ref("assignments"),
        "PersonId": person,
        "CompanyId": person_row.get("CompanyId"),
        "PlacementStatus_lookup": data.lookup("PlacementStatus_lookup"),
        "PlacementType_lookup": data.lookup("PlacementType_lookup"),
        "StartDate": data.maybe(data.date()),
        "Salary": data.maybe(float(fake.money(80_000, 900_000))),
        "Fee": data.maybe(float(fake.money(20_000, 300_000))),
        "FeeCurrency": fake.choice(list(CURRENCIES)),
    }


def _action_type(data: InveniasData, kind: str) -> Record:
    name = data.fake.choice(list(ACTION_TYPES[kind]))
    return {"Id": data.action_type_ids[name], "ItemDisplayText": name}


def _appointment(data: InveniasData, _extra: Record) -> Record:
    fake = data.fake
    return {
        "ActionSubject": fake.sentence(5),
        "ActionType": _action_type(data, "appointments"),
        "Content": data.maybe(fake.sentence(14), 0.7),
        "Date": data.date(),
        "Location": data.maybe(fake.city()[0], 0.5),
        "PersonId": data.maybe(data.ref("people")),
        "AssignmentId": data.maybe(data.ref("assignments"), 0.5),
    }


def _journal(data: InveniasData, _extra: Record) -> Record:
    fake = data.fake
    return {
        "ActionSubject": fake.sentence(4),
        "ActionType": _action_type(data, "journal"),
        "Notes": data.maybe(fake.sentence(20)),
        "Date": data.date(),
        "PersonId": data.maybe(data.ref("people")),
        "CompanyId": data.maybe(data.ref("companies"), 0.4),
    }


def _document(data: InveniasData, _extra: Record) -> Record:
    fake = data.fake
    person = data.ref("people")
    owner = _name_of(data, "people", person, "DisplayFileAs") or "Unknown"
    extension = fake.choice(["pdf", "docx", "doc", "txt"])
    return {
        "AttachmentName": f"{owner.replace(' ', '_')}_CV.{extension}",
        "DocumentTypeDisplayText": data.maybe(fake.choice(["CV", "Cover Letter", "Reference"])),
        "DocumentExtension": extension,
        "CreatedBy": fake.random.choice(data.user_refs)["ItemDisplayText"],
        "IsDefaultCv": fake.boolean(0.3),
        "ExpirationDate": data.maybe(data.date(), 0.2),
        "PersonId": person,
    }


def _lookup_list(_data: InveniasData, extra: Record) -> Record:
    return {"Name": extra["name"]}


def _lookup_entry(_data: InveniasData, extra: Record) -> Record:
    return {
        "Name": extra["name"],
        "LookupListId": {"Id": extra["parent"]},
        "IsActive": True,
        "OrderIndex": extra["order"],
    }


BUILDERS: dict[str, Callable[[InveniasData, Record], Record]] = {
    "people": _person,
    "companies": _company,
    "assignments": _assignment,
    "programmes": _programme,
    "placements": _placement,
    "appointments": _appointment,
    "journal": _journal,
    "documents": _document,
    "lookuplists": _lookup_list,
    "lookuplistentries": _lookup_entry,
}
