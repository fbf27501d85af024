"""Surveys: numbered questions with coded options (the codes printed on paper sheets)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    SmallInteger,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.models.base import campaign_pk_column, created_at_column, id_column


# How a question is answered: one option, several options, free text, or a number. (A comment,
# not a docstring: the docstring would become the API schema's description.)
class QuestionKind(StrEnum):
    single_choice = "single_choice"
    multiple_choice = "multiple_choice"
    text = "text"
    number = "number"


class Survey(SQLModel, table=True):
    __tablename__ = "survey"

    campaign_id: int = Field(sa_column=campaign_pk_column())
    id: int | None = Field(default=None, sa_column=id_column())
    name: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class SurveyQuestion(SQLModel, table=True):
    __tablename__ = "survey_question"
    __table_args__ = (
        ForeignKeyConstraint(
            ["campaign_id", "survey_id"], ["survey.campaign_id", "survey.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("campaign_id", "survey_id", "number"),
        CheckConstraint(
            "kind in ('single_choice', 'multiple_choice', 'text', 'number')", name="kind_known"
        ),
    )

    campaign_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    id: int | None = Field(default=None, sa_column=id_column())
    survey_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    number: int = Field(sa_column=Column(SmallInteger, nullable=False))
    prompt: str = Field(sa_column=Column(Text, nullable=False))
    kind: str = Field(sa_column=Column(Text, nullable=False))
    profile_field: str | None = Field(default=None, sa_column=Column(Text))


class SurveyOption(SQLModel, table=True):
    __tablename__ = "survey_option"
    __table_args__ = (
        ForeignKeyConstraint(
            ["campaign_id", "question_id"],
            ["survey_question.campaign_id", "survey_question.id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("campaign_id", "question_id", "code"),
    )

    campaign_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    id: int | None = Field(default=None, sa_column=id_column())
    question_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    position: int = Field(sa_column=Column(SmallInteger, nullable=False))
    code: str = Field(sa_column=Column(Text, nullable=False))
    label: str = Field(sa_column=Column(Text, nullable=False))
    effects: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
