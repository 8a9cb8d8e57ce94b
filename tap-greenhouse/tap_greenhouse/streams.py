"""Harvest v3 list endpoints, one stream each.

Incremental streams filter on the timestamp Greenhouse documents for the resource
(`updated_at`; `submitted_at` for EEOC). The small configuration resources are read in
full: whether they accept a date filter is unconfirmed, and they hold a few rows.
"""

from __future__ import annotations

from typing import ClassVar

from tap_greenhouse.client import GreenhouseStream


class IncrementalStream(GreenhouseStream):
    """Filtered with `updated_at=gte|<bookmark - lookback>|lte|<sync start>`."""

    replication_key = "updated_at"


# -- candidates and their pipeline -------------------------------------------------------
class CandidatesStream(IncrementalStream):
    """People in the pipeline (no embedded applications in v3)."""

    name = "candidates"


class ApplicationsStream(IncrementalStream):
    """A candidate's application to a job, or a prospect record."""

    name = "applications"


class ApplicationStagesStream(IncrementalStream):
    """Stage history of applications (entered/exited times)."""

    name = "application_stages"


class NotesStream(IncrementalStream):
    """Notes on candidates (v3 replacement of the activity feed)."""

    name = "notes"


class AttachmentsStream(IncrementalStream):
    """Resumes, cover letters and other files attached to candidates."""

    name = "attachments"


class InterviewsStream(IncrementalStream):
    """Scheduled interviews."""

    name = "interviews"


class ScorecardsStream(IncrementalStream):
    """Interview feedback."""

    name = "scorecards"


class OffersStream(IncrementalStream):
    """Offers, every version."""

    name = "offers"


class EeocStream(IncrementalStream):
    """Voluntary EEOC answers per application; filtered on submission time."""

    name = "eeoc"
    replication_key = "submitted_at"


class DemographicAnswersStream(IncrementalStream):
    """Answers to demographic survey questions."""

    name = "demographic_answers"


# -- jobs ----------------------------------------------------------------------------------
class JobsStream(IncrementalStream):
    """Requisitions."""

    name = "jobs"


class JobPostsStream(IncrementalStream):
    """Job board posts, active and inactive."""

    name = "job_posts"


class JobInterviewStagesStream(IncrementalStream):
    """Interview plan stages of each job (v1 `job_stages`)."""

    name = "job_interview_stages"


class OpeningsStream(IncrementalStream):
    """Openings (headcount slots) of each job."""

    name = "openings"


class ApprovalFlowsStream(IncrementalStream):
    """Job and offer approval flows."""

    name = "approval_flows"


class EmailTemplatesStream(IncrementalStream):
    """Email templates."""

    name = "email_templates"


# -- people and organisation ---------------------------------------------------------------
class UsersStream(IncrementalStream):
    """Greenhouse users, including service accounts and deactivated users."""

    name = "users"
    extra_params: ClassVar[dict[str, str]] = {"show_service_accounts": "true"}


class UserRolesStream(GreenhouseStream):
    """Job admin and interviewer roles."""

    name = "user_roles"


class DepartmentsStream(GreenhouseStream):
    """Departments (flat list with `parent_id`)."""

    name = "departments"


class OfficesStream(GreenhouseStream):
    """Offices (flat list with `parent_id`)."""

    name = "offices"


# -- configuration and lookups -------------------------------------------------------------
class SourcesStream(GreenhouseStream):
    """Candidate sources."""

    name = "sources"


class RejectionReasonsStream(GreenhouseStream):
    """Rejection reasons, Greenhouse's defaults included."""

    name = "rejection_reasons"
    extra_params: ClassVar[dict[str, str]] = {"include_defaults": "true"}


class CloseReasonsStream(GreenhouseStream):
    """Reasons an opening was closed."""

    name = "close_reasons"


class CustomFieldsStream(GreenhouseStream):
    """Custom field definitions of every object type."""

    name = "custom_fields"


class CustomFieldOptionsStream(GreenhouseStream):
    """Options of select-type custom fields."""

    name = "custom_field_options"


class ProspectPoolsStream(GreenhouseStream):
    """Prospect pools."""

    name = "prospect_pools"


class ProspectPoolStagesStream(GreenhouseStream):
    """Stages of prospect pools."""

    name = "prospect_pool_stages"


class CandidateTagsStream(GreenhouseStream):
    """Tags that can be applied to candidates."""

    name = "candidate_tags"


class DemographicQuestionSetsStream(GreenhouseStream):
    """Demographic survey question sets."""

    name = "demographic_question_sets"


class DemographicQuestionsStream(GreenhouseStream):
    """Demographic questions (no timestamps in v3)."""

    name = "demographic_questions"


class DemographicAnswerOptionsStream(GreenhouseStream):
    """Answer options of demographic questions (no timestamps in v3)."""

    name = "demographic_answer_options"


STREAM_TYPES: list[type[GreenhouseStream]] = [
    CandidatesStream,
    ApplicationsStream,
    ApplicationStagesStream,
    NotesStream,
    AttachmentsStream,
    InterviewsStream,
    ScorecardsStream,
    OffersStream,
    EeocStream,
    DemographicAnswersStream,
    JobsStream,
    JobPostsStream,
    JobInterviewStagesStream,
    OpeningsStream,
    ApprovalFlowsStream,
    EmailTemplatesStream,
    UsersStream,
    UserRolesStream,
    DepartmentsStream,
    OfficesStream,
    SourcesStream,
    RejectionReasonsStream,
    CloseReasonsStream,
    CustomFieldsStream,
    CustomFieldOptionsStream,
    ProspectPoolsStream,
    ProspectPoolStagesStream,
    CandidateTagsStream,
    DemographicQuestionSetsStream,
    DemographicQuestionsStream,
    DemographicAnswerOptionsStream,
]
