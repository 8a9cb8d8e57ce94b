"""The Bullhorn entities the tap reads, and how `/meta` field metadata becomes JSON Schema."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

DLM = "dateLastModified"
ADDED = "dateAdded"


@dataclass(frozen=True)
class Entity:
    """One entity stream: its Bullhorn name and replication cursor (None = full table)."""

    name: str
    cursor: str | None

    @property
    def stream_name(self) -> str:
        """Snake-case stream name, e.g. `job_submission_history`."""
        return snake(self.name)


@dataclass(frozen=True)
class Association:
    """A to-many field read completely into its own link stream."""

    entity: str
    field: str
    target: str

    @property
    def stream_name(self) -> str:
        """E.g. `candidate_primary_skills`."""
        return f"{snake(self.entity)}_{snake(self.field)}"

    @property
    def parent_key(self) -> str:
        """The parent id column, e.g. `candidate_id`."""
        return f"{snake(self.entity)}_id"

    @property
    def child_key(self) -> str:
        """The associated id column, e.g. `skill_id`."""
        return f"{snake(self.target)}_id"


ENTITIES: tuple[Entity, ...] = (
    Entity("Candidate", DLM),
    Entity("ClientContact", DLM),
    Entity("ClientCorporation", DLM),
    Entity("JobOrder", DLM),
    Entity("JobSubmission", DLM),
    Entity("Placement", DLM),
    Entity("Note", DLM),
    Entity("Appointment", DLM),
    Entity("Task", DLM),
    Entity("Lead", DLM),
    Entity("Opportunity", DLM),
    Entity("CorporateUser", DLM),
    Entity("CandidateEducation", DLM),
    Entity("CandidateWorkHistory", DLM),
    Entity("CandidateReference", DLM),
    Entity("Sendout", ADDED),
    Entity("Tearsheet", DLM),
    Entity("PlacementChangeRequest", DLM),
    Entity("PlacementCommission", DLM),
    Entity("JobSubmissionHistory", ADDED),
    Entity("BusinessSector", None),
    Entity("Category", ADDED),
    Entity("Skill", None),
    Entity("Specialty", None),
    Entity("Country", None),
    Entity("State", None),
    Entity("CorporationDepartment", None),
)
ENTITY_NAMES = tuple(entity.name for entity in ENTITIES)

# Entities whose rows vanish on delete (sdk-rest HardDeleteEntity): only an event
# subscription sees those deletes. Soft deletes arrive as updated rows with isDeleted=true.
HARD_DELETE_ENTITIES = (
    "Placement",
    "PlacementCommission",
    "PlacementChangeRequest",
    "Sendout",
    "JobSubmissionHistory",
)

ASSOCIATIONS: tuple[Association, ...] = (
    Association("Candidate", "primarySkills", "Skill"),
    Association("JobOrder", "assignedUsers", "CorporateUser"),
)

_SCALAR_TYPES = {
    "Integer": "integer",
    "BigInteger": "integer",
    "Long": "integer",
    "Short": "integer",
    "BigDecimal": "number",
    "Double": "number",
    "Float": "number",
    "Boolean": "boolean",
}


def snake(name: str) -> str:
    """CamelCase to snake_case."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def field_schema(meta: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema for one `/meta` field; the admin label becomes the description."""
    kind = meta.get("type")
    data_type = meta.get("dataType")
    schema: dict[str, Any]
    if kind == "ID":
        schema = {"type": ["integer"]}
    elif kind == "TO_ONE":
        schema = {"type": ["object", "null"], "properties": {"id": {"type": ["integer", "null"]}}}
    elif kind == "TO_MANY":
        schema = {
            "type": ["object", "null"],
            "properties": {
                "total": {"type": ["integer", "null"]},
                "data": {
                    "type": ["array", "null"],
                    "items": {
                        "type": "object",
                        "properties": {"id": {"type": ["integer", "null"]}},
                    },
                },
            },
        }
    elif kind == "COMPOSITE":
        schema = {
            "type": ["object", "null"],
            "properties": {sub["name"]: field_schema(sub) for sub in meta.get("fields", [])},
        }
    elif data_type == "Timestamp":
        schema = {"type": ["string", "null"], "format": "date-time"}
    elif data_type in _SCALAR_TYPES:
        schema = {"type": [_SCALAR_TYPES[data_type], "null"]}
    else:
        schema = {"type": ["string", "null"]}
    label = meta.get("label")
    if label:
        schema["description"] = str(label)
    return schema


def schema_from_meta(meta: dict[str, Any], exclude: set[str]) -> dict[str, Any]:
    """The stream schema from `meta/{Entity}?fields=*&meta=full`, minus excluded fields."""
    properties = {
        field["name"]: field_schema(field)
        for field in meta.get("fields", [])
        if field.get("name") and field["name"] not in exclude and not field["name"].startswith("_")
    }
    return {"type": "object", "properties": properties}


def timestamp_paths(schema: dict[str, Any]) -> list[tuple[str, ...]]:
    """Paths of every date-time property (epoch millis in the API), nested ones included."""
    paths: list[tuple[str, ...]] = []
    for name, prop in schema.get("properties", {}).items():
        if prop.get("format") == "date-time":
            paths.append((name,))
        elif "properties" in prop:
            paths.extend((name, *sub) for sub in timestamp_paths(prop))
    return paths


def association_schema(association: Association, cursor: str | None) -> dict[str, Any]:
    """Schema of a link stream: parent id, associated id and the parent's cursor."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            association.parent_key: {
                "type": ["integer"],
                "description": f"{association.entity} id",
            },
            association.child_key: {
                "type": ["integer"],
                "description": f"{association.target} id (from {association.field})",
            },
        },
    }
    if cursor:
        schema["properties"][cursor] = {
            "type": ["string", "null"],
            "format": "date-time",
            "description": f"{cursor} of the {association.entity} the links were read from",
        }
    return schema
