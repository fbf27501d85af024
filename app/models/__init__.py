"""SQLModel tables, one file per domain. Importing this package registers every table."""

from app.models.base import metadata
from app.models.campaign import AuthFailure, AuthSession, Campaign, Membership, Role, User
from app.models.contact import Contact, ContactResponse, ContactTarget, PersonFieldSource
from app.models.imports import ImportJob
from app.models.people import Household, Person
from app.models.precinct import Precinct
from app.models.privacy import AuditEntry, ErasedVoter  # noqa: F401 (registers them)
from app.models.survey import Survey, SurveyOption, SurveyQuestion
from app.models.turf import Turf
from app.models.walk_list import WalkList, WalkListAssignment, WalkListCode, WalkListTarget

__all__ = [
    "AuthFailure",
    "AuthSession",
    "Campaign",
    "Contact",
    "ContactResponse",
    "ContactTarget",
    "Household",
    "ImportJob",
    "Membership",
    "Person",
    "PersonFieldSource",
    "Precinct",
    "Role",
    "Survey",
    "SurveyOption",
    "SurveyQuestion",
    "Turf",
    "User",
    "WalkList",
    "WalkListAssignment",
    "WalkListCode",
    "WalkListTarget",
    "metadata",
]
