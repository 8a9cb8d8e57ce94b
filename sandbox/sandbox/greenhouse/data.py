"""Seeded Greenhouse Harvest v3 data set.

Field names follow the v3 standardizations: flat `*_id`/`*_ids` references,
`*_at` date-times in UTC with milliseconds, `*_on` dates, `sort_order`, and
custom fields keyed by `name_key` with `name`, `type` and `value`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.core.fake import Faker, iso_millis

Record = dict[str, Any]


@dataclass(frozen=True)
class ResourceSpec:
    """How one v3 list resource behaves in the sandbox."""

    name: str
    # Date-time fields the list endpoint filters on with the pipe syntax.
    date_filters: tuple[str, ...] = ("created_at", "updated_at")
    # Parent filters: query name -> record field, e.g. candidate_ids -> candidate_id.
    parent_filters: tuple[tuple[str, str], ...] = ()
    # A boolean record field a mutation may flip to mark the row inactive.
    soft_delete_field: str | None = None


SPECS: dict[str, ResourceSpec] = {
    spec.name: spec
    for spec in [
        ResourceSpec("candidates"),
        ResourceSpec(
            "applications",
            parent_filters=(("candidate_ids", "candidate_id"), ("job_ids", "job_id")),
        ),
        ResourceSpec("application_stages", parent_filters=(("application_ids", "application_id"),)),
        ResourceSpec("notes", parent_filters=(("candidate_ids", "candidate_id"),)),
        ResourceSpec("attachments", parent_filters=(("candidate_ids", "candidate_id"),)),
        ResourceSpec("scorecards", parent_filters=(("application_ids", "application_id"),)),
        ResourceSpec("interviews", parent_filters=(("application_ids", "application_id"),)),
        ResourceSpec("offers", parent_filters=(("application_ids", "application_id"),)),
        ResourceSpec(
            "eeoc",
            date_filters=("submitted_at",),
            parent_filters=(("application_ids", "application_id"),),
        ),
        ResourceSpec("jobs"),
        ResourceSpec(
            "job_posts", parent_filters=(("job_ids", "job_id"),), soft_delete_field="active"
        ),
        ResourceSpec("job_interview_stages", parent_filters=(("job_ids", "job_id"),)),
        ResourceSpec("openings", parent_filters=(("job_ids", "job_id"),)),
        ResourceSpec("approval_flows", parent_filters=(("job_ids", "job_id"),)),
        ResourceSpec("users", soft_delete_field="deactivated"),
        ResourceSpec("user_roles"),
        ResourceSpec("departments"),
        ResourceSpec("offices"),
        ResourceSpec("sources"),
        ResourceSpec("rejection_reasons"),
        ResourceSpec("close_reasons"),
        ResourceSpec("custom_fields"),
        ResourceSpec("custom_field_options"),
        ResourceSpec("prospect_pools"),
        ResourceSpec("prospect_pool_stages"),
        ResourceSpec("candidate_tags"),
        ResourceSpec("email_templates"),
        ResourceSpec("demographic_question_sets"),
        ResourceSpec("demographic_questions", date_filters=()),
        ResourceSpec("demographic_answer_options", date_filters=()),
        ResourceSpec(
            "demographic_answers", parent_filters=(("application_ids", "application_id"),)
        ),
    ]
}

APPLICATION_STATUSES = ["active", "rejected", "hired"]
OFFER_STATUSES = ["unresolved", "accepted", "rejected", "deprecated"]
JOB_STATUSES = ["open", "closed", "draft"]
INTERVIEW_STATUSES = ["scheduled", "awaiting_feedback", "complete"]
RATINGS = ["definitely_not", "no", "yes", "strong_yes", "no_decision"]
STAGE_NAMES = ["Application Review", "Phone Screen", "Onsite", "Offer"]
CUSTOM_FIELD_DEFS = [
    ("desired_salary", "Desired Salary", "candidate", "short_text"),
    ("notice_period", "Notice Period (weeks)", "candidate", "number"),
    ("visa_required", "Visa Required", "candidate", "yes_no"),
    ("referral_bonus", "Referral Bonus", "application", "currency"),
    ("hiring_budget", "Hiring Budget", "job", "currency"),
    ("cost_center", "Cost Center", "job", "single_select"),
    ("signing_bonus", "Signing Bonus", "offer", "currency"),
    ("employment_type", "Employment Type", "offer", "single_select"),
    ("start_location", "Start Location", "offer", "short_text"),
    ("preferred_pronouns", "Preferred Pronouns", "candidate", "short_text"),
]


def _stamp(record: Record, created: datetime, updated: datetime) -> Record:
    record["created_at"] = iso_millis(created)
    record["updated_at"] = iso_millis(updated)
    return record


class GreenhouseData:
    """All resources, keyed by id, generated from one seed."""

    def __init__(self, records: int, seed: int) -> None:
        self.fake = Faker(seed)
        self.tables: dict[str, dict[int, Record]] = {name: {} for name in SPECS}
        # Ids in insertion order, kept beside the tables so picking one is O(1), not O(rows).
        self._id_order: dict[str, list[int]] = {name: [] for name in SPECS}
        self._next_id: dict[str, int] = {}
        self.size = max(1, records)
        self._generate()

    # -- helpers ---------------------------------------------------------------------------
    def new_id(self, resource: str) -> int:
        """The next id of a resource (ids grow like database sequences)."""
        base = (list(SPECS).index(resource) + 1) * 10_000_000
        current = self._next_id.get(resource, base)
        self._next_id[resource] = current + 1
        return current + 1

    def ids(self, resource: str) -> list[int]:
        """Ids of a resource in insertion order."""
        return list(self._id_order[resource])

    def pick(self, resource: str) -> int:
        """A random existing id of a resource."""
        return self.fake.random.choice(self._id_order[resource])

    def add(self, resource: str, record: Record) -> Record:
        """Store a generated record."""
        if record["id"] not in self.tables[resource]:
            self._id_order[resource].append(record["id"])
        self.tables[resource][record["id"]] = record
        return record

    def remove(self, resource: str, ident: int) -> None:
        """Hard-delete a record."""
        del self.tables[resource][ident]
        self._id_order[resource].remove(ident)

    def _times(self) -> tuple[datetime, datetime]:
        created = self.fake.timestamp()
        return created, self.fake.later(created)

    def custom_fields(self, object_type: str) -> dict[str, Any]:
        """Custom field values for an object type, keyed by name_key."""
        values: dict[str, Any] = {}
        for key, label, owner, field_type in CUSTOM_FIELD_DEFS:
            if owner != object_type or self.fake.boolean(0.3):
                continue
            value: Any
            if field_type == "number":
                value = self.fake.random.randint(0, 12)
            elif field_type == "yes_no":
                value = self.fake.boolean()
            elif field_type == "currency":
                value = {"amount": self.fake.money(1000, 90000), "unit": "USD"}
            elif field_type == "single_select":
                value = self.fake.choice(["Full-time", "Part-time", "Contract", "CC-100"])
            else:
                value = self.fake.sentence(3)
            values[key] = {"name": label, "type": field_type, "value": value}
        return values

    # -- generation ------------------------------------------------------------------------
    def _generate(self) -> None:
        n = self.size
        small = {
            "users": 40,
            "departments": 10,
            "offices": 12,
            "sources": 20,
            "rejection_reasons": 12,
            "close_reasons": 5,
            "user_roles": 6,
            "custom_fields": len(CUSTOM_FIELD_DEFS),
            "prospect_pools": 4,
            "candidate_tags": 15,
            "email_templates": 10,
            "demographic_question_sets": 2,
        }
        for resource, count in small.items():
            for _ in range(count):
                self.generate(resource)
        for _ in range(len(self.tables["custom_fields"]) * 3):
            self.generate("custom_field_options")
        for _ in range(len(self.tables["prospect_pools"]) * 3):
            self.generate("prospect_pool_stages")
        for _ in range(6):
            self.generate("demographic_questions")
        for _ in range(18):
            self.generate("demographic_answer_options")
        jobs = max(10, n // 50)
        for resource in ("jobs", "job_posts", "openings", "approval_flows"):
            for _ in range(jobs):
                self.generate(resource)
        for _ in range(jobs * len(STAGE_NAMES)):
            self.generate("job_interview_stages")
        plan = [
            ("candidates", n),
            ("applications", n),
            ("application_stages", n),
            ("notes", n),
            ("attachments", n // 2),
            ("interviews", n // 2),
            ("scorecards", n // 2),
            ("offers", n // 5),
            ("eeoc", n // 4),
            ("demographic_answers", n // 4),
        ]
        for resource, count in plan:
            for _ in range(max(1, count)):
                self.generate(resource)

    def generate(self, resource: str, created: datetime | None = None) -> Record:
        """Create and store one record; `created` pins both timestamps (for inserts)."""
        builder: Callable[[int], Record] = getattr(self, f"_build_{resource}")
        record = builder(self.new_id(resource))
        if created is not None:
            for field in ("created_at", "updated_at", "submitted_at"):
                if field in record:
                    record[field] = iso_millis(created)
        return self.add(resource, record)

    def _build_candidates(self, ident: int) -> Record:
        f = self.fake
        first, last = f.first_name(), f.last_name()
        created, updated = self._times()
        city, _country = f.city()
        return _stamp(
            {
                "id": ident,
                "first_name": first,
                "last_name": last,
                "preferred_name": first if f.boolean(0.1) else None,
                "company": f.company() if f.boolean(0.8) else None,
                "title": f.job_title() if f.boolean(0.8) else None,
                "private": f.boolean(0.05),
                "can_email": f.boolean(0.9),
                "last_activity_at": iso_millis(updated),
                "email_addresses": [{"value": f.email(first, last), "type": "personal"}],
                "phone_numbers": [{"value": f.phone(), "type": "mobile"}],
                "addresses": [
                    {"value": f"{f.random.randint(1, 200)} High St, {city}", "type": "home"}
                ],
                "social_media_addresses": [
                    {"value": f"https://social.example/{first.lower()}{ident}"}
                ],
                "tags": f.skills(f.random.randint(0, 3)),
                "linked_user_ids": [],
                "custom_fields": self.custom_fields("candidate"),
            },
            created,
            updated,
        )

    def _build_applications(self, ident: int) -> Record:
        f = self.fake
        created, updated = self._times()
        status = f.choice(APPLICATION_STATUSES)
        prospect = f.boolean(0.1)
        return _stamp(
            {
                "id": ident,
                "candidate_id": self.pick("candidates"),
                "job_id": None if prospect else self.pick("jobs"),
                "prospect": prospect,
                "status": status,
                "last_activity_at": iso_millis(updated),
                "rejected_at": iso_millis(updated) if status == "rejected" else None,
                "rejection_reason_id": self.pick("rejection_reasons")
                if status == "rejected"
                else None,
                "source_id": self.pick("sources"),
                "referrer_id": self.pick("users") if f.boolean(0.1) else None,
                "credited_to_id": self.pick("users"),
                "recruiter_id": self.pick("users"),
                "coordinator_id": self.pick("users") if f.boolean(0.5) else None,
                "job_interview_stage_id": self.pick("job_interview_stages"),
                "prospect_pool_id": self.pick("prospect_pools") if prospect else None,
                "prospect_pool_stage_id": self.pick("prospect_pool_stages") if prospect else None,
                "custom_fields": self.custom_fields("application"),
            },
            created,
            updated,
        )

    def _build_application_stages(self, ident: int) -> Record:
        created, updated = self._times()
        exited = updated if self.fake.boolean(0.7) else None
        return _stamp(
            {
                "id": ident,
                "application_id": self.pick("applications"),
                "job_interview_stage_id": self.pick("job_interview_stages"),
                "entered_at": iso_millis(created),
                "exited_at": iso_millis(exited) if exited else None,
            },
            created,
            updated,
        )

    def _build_notes(self, ident: int) -> Record:
        created, updated = self._times()
        return _stamp(
            {
                "id": ident,
                "candidate_id": self.pick("candidates"),
                "application_id": None,
                "user_id": self.pick("users"),
                "body": self.fake.sentence(20),
                "visibility": self.fake.choice(["admin_only", "private", "public"]),
            },
            created,
            updated,
        )

    def _build_attachments(self, ident: int) -> Record:
        created, updated = self._times()
        kind = self.fake.choice(["resume", "cover_letter", "offer_packet", "other"])
        return _stamp(
            {
                "id": ident,
                "candidate_id": self.pick("candidates"),
                "application_id": self.pick("applications"),
                "filename": f"{kind}_{ident}.pdf",
                "url": f"https://files.sandbox.invalid/attachments/{ident}.pdf",
                "type": kind,
            },
            created,
            updated,
        )

    def _build_interviews(self, ident: int) -> Record:
        created, updated = self._times()
        starts = self.fake.later(created)
        return _stamp(
            {
                "id": ident,
                "application_id": self.pick("applications"),
                "job_interview_stage_id": self.pick("job_interview_stages"),
                "starts_at": iso_millis(starts),
                "ends_at": iso_millis(starts.replace(microsecond=0)),
                "location": self.fake.choice(["Video call", "Office", "Phone"]),
                "status": self.fake.choice(INTERVIEW_STATUSES),
                "organizer_id": self.pick("users"),
                "interviewer_ids": [self.pick("users") for _ in range(2)],
                "video_conferencing_url": f"https://meet.sandbox.invalid/{ident}",
            },
            created,
            updated,
        )

    def _build_scorecards(self, ident: int) -> Record:
        created, updated = self._times()
        return _stamp(
            {
                "id": ident,
                "application_id": self.pick("applications"),
                "candidate_id": self.pick("candidates"),
                "interview_id": self.pick("interviews") if self.tables["interviews"] else None,
                "interviewer_id": self.pick("users"),
                "submitted_by_id": self.pick("users"),
                "candidate_rating": self.fake.choice(RATINGS),
                "interviewed_at": iso_millis(created),
                "submitted_at": iso_millis(updated),
            },
            created,
            updated,
        )

    def _build_offers(self, ident: int) -> Record:
        created, updated = self._times()
        return _stamp(
            {
                "id": ident,
                "application_id": self.pick("applications"),
                "candidate_id": self.pick("candidates"),
                "job_id": self.pick("jobs"),
                "version": self.fake.random.randint(1, 3),
                "status": self.fake.choice(OFFER_STATUSES),
                "sent_on": created.date().isoformat(),
                "starts_on": updated.date().isoformat(),
                "resolved_at": iso_millis(updated) if self.fake.boolean(0.6) else None,
                "custom_fields": self.custom_fields("offer"),
            },
            created,
            updated,
        )

    def _build_eeoc(self, ident: int) -> Record:
        created, updated = self._times()
        return _stamp(
            {
                "id": ident,
                "application_id": self.pick("applications"),
                "candidate_id": self.pick("candidates"),
                "race": self.fake.choice(
                    ["Decline To Self Identify", "Two or More Races", "Asian"]
                ),
                "gender": self.fake.choice(["Decline To Self Identify", "Female", "Male"]),
                "veteran_status": self.fake.choice(
                    ["I don't wish to answer", "I am not a veteran"]
                ),
                "disability_status": self.fake.choice(["No, I don't have a disability", "Yes"]),
                "submitted_at": iso_millis(updated),
            },
            created,
            updated,
        )

    def _build_jobs(self, ident: int) -> Record:
        created, updated = self._times()
        status = self.fake.choice(JOB_STATUSES)
        return _stamp(
            {
                "id": ident,
                "name": self.fake.job_title(),
                "requisition_id": f"REQ-{ident % 100000:05d}",
                "status": status,
                "confidential": self.fake.boolean(0.1),
                "is_template": False,
                "copied_from_id": None,
                "department_id": self.pick("departments"),
                "office_ids": [self.pick("offices")],
                "opened_at": iso_millis(created),
                "closed_at": iso_millis(updated) if status == "closed" else None,
                "notes": self.fake.sentence(8),
                "custom_fields": self.custom_fields("job"),
            },
            created,
            updated,
        )

    def _build_job_posts(self, ident: int) -> Record:
        created, updated = self._times()
        city, _country = self.fake.city()
        return _stamp(
            {
                "id": ident,
                "job_id": self.pick("jobs"),
                "title": self.fake.job_title(),
                "location": {"name": city},
                "internal": self.fake.boolean(0.2),
                "external": True,
                "active": self.fake.boolean(0.8),
                "live": self.fake.boolean(0.6),
                "first_published_at": iso_millis(created),
                "content": f"<p>{self.fake.sentence(25)}</p>",
            },
            created,
            updated,
        )

    def _build_job_interview_stages(self, ident: int) -> Record:
        created, updated = self._times()
        order = len(self.tables["job_interview_stages"]) % len(STAGE_NAMES)
        return _stamp(
            {
                "id": ident,
                "job_id": self.pick("jobs"),
                "name": STAGE_NAMES[order],
                "sort_order": order,
            },
            created,
            updated,
        )

    def _build_openings(self, ident: int) -> Record:
        created, updated = self._times()
        is_open = self.fake.boolean(0.6)
        return _stamp(
            {
                "id": ident,
                "job_id": self.pick("jobs"),
                "opening_id": f"OPN-{ident % 100000:05d}",
                "open": is_open,
                "opened_at": iso_millis(created),
                "closed_at": None if is_open else iso_millis(updated),
                "application_id": None,
                "close_reason_id": None if is_open else self.pick("close_reasons"),
            },
            created,
            updated,
        )

    def _build_approval_flows(self, ident: int) -> Record:
        created, updated = self._times()
        return _stamp(
            {
                "id": ident,
                "job_id": self.pick("jobs"),
                "offer_id": None,
                "approval_type": self.fake.choice(["open_job", "offer_job"]),
                "sequential": self.fake.boolean(),
                "approval_status": self.fake.choice(["approved", "waiting", "rejected"]),
                "requested_by_user_id": self.pick("users"),
            },
            created,
            updated,
        )

    def _build_users(self, ident: int) -> Record:
        f = self.fake
        first, last = f.first_name(), f.last_name()
        created, updated = self._times()
        email = f.email(first, last, "sandbox-corp.example")
        service = len(self.tables["users"]) < 2
        return _stamp(
            {
                "id": ident,
                "first_name": first,
                "last_name": last,
                "name": f"{first} {last}",
                "primary_email_address": email,
                "emails": [email],
                "employee_id": f"E{ident % 100000:05d}",
                "deactivated": f.boolean(0.1),
                "site_admin": len(self.tables["users"]) < 5,
                "_service_account": service,
                "linked_candidate_ids": [],
            },
            created,
            updated,
        )

    def _build_named(self, ident: int, name: str, **extra: Any) -> Record:
        created, updated = self._times()
        return _stamp({"id": ident, "name": name, **extra}, created, updated)

    def _build_user_roles(self, ident: int) -> Record:
        roles = ["Interviewer", "Recruiter", "Hiring Manager", "Coordinator", "Sourcer", "Approver"]
        index = len(self.tables["user_roles"]) % len(roles)
        return self._build_named(ident, roles[index], role_type="job_admin")

    def _build_departments(self, ident: int) -> Record:
        existing = self.ids("departments")
        parent = existing[0] if existing and self.fake.boolean(0.5) else None
        return self._build_named(
            ident, self.fake.department(), parent_id=parent, external_id=f"D{ident % 1000}"
        )

    def _build_offices(self, ident: int) -> Record:
        city, country = self.fake.city()
        return self._build_named(
            ident,
            city,
            location={"name": f"{city}, {country}"},
            parent_id=None,
            external_id=f"O{ident % 1000}",
        )

    def _build_sources(self, ident: int) -> Record:
        names = ["LinkedIn", "Referral", "Indeed", "Company Website", "Agency", "Event"]
        return self._build_named(
            ident,
            f"{self.fake.choice(names)} {ident % 100}",
            source_type=self.fake.choice(["prospecting", "referral", "job_board", "agency"]),
        )

    def _build_rejection_reasons(self, ident: int) -> Record:
        default = len(self.tables["rejection_reasons"]) < 4
        return self._build_named(
            ident,
            self.fake.choice(["Lacking skills", "Salary", "Withdrew", "Hired elsewhere"]),
            rejection_reason_type=self.fake.choice(["We rejected them", "They rejected us"]),
            _default=default,
        )

    def _build_close_reasons(self, ident: int) -> Record:
        return self._build_named(
            ident, self.fake.choice(["Filled", "Budget cut", "Duplicate", "On hold"])
        )

    def _build_custom_fields(self, ident: int) -> Record:
        key, label, owner, field_type = CUSTOM_FIELD_DEFS[len(self.tables["custom_fields"])]
        return self._build_named(
            ident,
            label,
            name_key=key,
            field_type=owner,
            value_type=field_type,
            private=False,
            required=self.fake.boolean(0.2),
            active=True,
        )

    def _build_custom_field_options(self, ident: int) -> Record:
        return self._build_named(
            ident,
            self.fake.choice(["Full-time", "Part-time", "Contract", "CC-100", "CC-200"]),
            custom_field_id=self.pick("custom_fields"),
            sort_order=len(self.tables["custom_field_options"]),
            external_id=None,
        )

    def _build_prospect_pools(self, ident: int) -> Record:
        return self._build_named(ident, f"Pool {ident % 100}", active=True)

    def _build_prospect_pool_stages(self, ident: int) -> Record:
        return self._build_named(
            ident,
            self.fake.choice(["Contacted", "Engaged", "Interested"]),
            prospect_pool_id=self.pick("prospect_pools"),
            sort_order=len(self.tables["prospect_pool_stages"]) % 3,
        )

    def _build_candidate_tags(self, ident: int) -> Record:
        return self._build_named(ident, self.fake.skills(1)[0])

    def _build_email_templates(self, ident: int) -> Record:
        return self._build_named(
            ident,
            f"Template {ident % 100}",
            description=self.fake.sentence(5),
            type=self.fake.choice(["candidate_rejection", "interviewer_invite", "other"]),
            default=False,
            body=self.fake.sentence(30),
            user_id=self.pick("users"),
        )

    def _build_demographic_question_sets(self, ident: int) -> Record:
        return _stamp(
            {
                "id": ident,
                "title": f"Survey {ident % 10}",
                "description": "Voluntary",
                "active": True,
            },
            *self._times(),
        )

    def _build_demographic_questions(self, ident: int) -> Record:
        return {
            "id": ident,
            "demographic_question_set_id": self.pick("demographic_question_sets"),
            "name": self.fake.choice(["Gender identity", "Ethnicity", "Age range"]),
            "active": True,
            "required": False,
            "answer_type": self.fake.choice(["single_select", "multi_select"]),
        }

    def _build_demographic_answer_options(self, ident: int) -> Record:
        return {
            "id": ident,
            "demographic_question_id": self.pick("demographic_questions"),
            "name": self.fake.choice(["Prefer not to say", "Option A", "Option B"]),
            "free_form": self.fake.boolean(0.1),
            "active": True,
        }

    def _build_demographic_answers(self, ident: int) -> Record:
        created, updated = self._times()
        return _stamp(
            {
                "id": ident,
                "application_id": self.pick("applications"),
                "demographic_question_id": self.pick("demographic_questions"),
                "demographic_answer_option_id": self.pick("demographic_answer_options"),
                "free_form_text": None,
            },
            created,
            updated,
        )
