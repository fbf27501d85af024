"""SQLModel tables, one file per domain. Importing this package registers every table."""

from app.models.base import metadata
from app.models.campaign import Campaign, Membership, Role, User
from app.models.imports import ImportJob
from app.models.people import Household, Person
from app.models.precinct import Precinct

__all__ = [
    "Campaign",
    "Household",
    "ImportJob",
    "Membership",
    "Person",
    "Precinct",
    "Role",
    "User",
    "metadata",
]
