"""Walk lists (targets, assignments) and contacts (targets, answers, field provenance).

Revision ID: 559d6b266181
Revises: 9abcdff67e2b
Create Date: 2026-11-22 03:56:57.060802
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "559d6b266181"
down_revision: str | None = "9abcdff67e2b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "walk_list",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("turf_id", sa.BigInteger(), nullable=False),
        sa.Column("survey_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "filters",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("door_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("person_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "survey_id"],
            ["survey.campaign_id", "survey.id"],
            name=op.f("fk_walk_list_campaign_id_survey_id_survey"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "turf_id"],
            ["turf.campaign_id", "turf.id"],
            name=op.f("fk_walk_list_campaign_id_turf_id_turf"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_walk_list_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "id", name=op.f("pk_walk_list")),
        sa.UniqueConstraint("campaign_id", "number", name=op.f("uq_walk_list_campaign_id_number")),
    )
    op.create_table(
        "contact",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("walk_list_id", sa.BigInteger(), nullable=True),
        sa.Column("household_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
        sa.Column("canvasser_id", sa.BigInteger(), nullable=True),
        sa.Column("canvasser_name", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("knocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("lon", sa.Double(), nullable=True),
        sa.Column("lat", sa.Double(), nullable=True),
        sa.CheckConstraint(
            "result in ('canvassed', 'not_home', 'refused', 'moved', 'deceased', 'inaccessible', 'language_barrier', 'hostile', 'come_back', 'wrong_address', 'do_not_contact')",
            name=op.f("ck_contact_result_known"),
        ),
        sa.CheckConstraint(
            "source in ('app', 'paper', 'import', 'api')", name=op.f("ck_contact_source_known")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "household_id"],
            ["household.campaign_id", "household.id"],
            name=op.f("fk_contact_campaign_id_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "walk_list_id"],
            ["walk_list.campaign_id", "walk_list.id"],
            name=op.f("fk_contact_campaign_id_walk_list_id_walk_list"),
            ondelete="SET NULL (walk_list_id)",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_contact_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["canvasser_id"],
            ["app_user.id"],
            name=op.f("fk_contact_canvasser_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "id", name=op.f("pk_contact")),
        sa.UniqueConstraint(
            "campaign_id", "client_id", name=op.f("uq_contact_campaign_id_client_id")
        ),
    )
    op.create_table(
        "walk_list_assignment",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("walk_list_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "walk_list_id"],
            ["walk_list.campaign_id", "walk_list.id"],
            name=op.f("fk_walk_list_assignment_campaign_id_walk_list_id_walk_list"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_walk_list_assignment_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "walk_list_id", "user_id", name=op.f("pk_walk_list_assignment")
        ),
    )
    op.create_index(
        op.f("ix_walk_list_assignment_user_id"), "walk_list_assignment", ["user_id"], unique=False
    )
    op.create_table(
        "contact_response",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("contact_id", sa.BigInteger(), nullable=False),
        sa.Column("question_id", sa.BigInteger(), nullable=False),
        sa.Column("option_ids", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("number", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id", "contact_id"],
            ["contact.campaign_id", "contact.id"],
            name=op.f("fk_contact_response_campaign_id_contact_id_contact"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "contact_id", "question_id", name=op.f("pk_contact_response")
        ),
    )
    op.create_table(
        "contact_target",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("contact_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id", "contact_id"],
            ["contact.campaign_id", "contact.id"],
            name=op.f("fk_contact_target_campaign_id_contact_id_contact"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "person_id"],
            ["person.campaign_id", "person.id"],
            name=op.f("fk_contact_target_campaign_id_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "contact_id", "person_id", name=op.f("pk_contact_target")
        ),
    )
    op.create_index(
        "ix_contact_target_campaign_id_person_id",
        "contact_target",
        ["campaign_id", "person_id"],
        unique=False,
    )
    op.create_table(
        "person_field_source",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=False),
        sa.Column("knocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id", "person_id"],
            ["person.campaign_id", "person.id"],
            name=op.f("fk_person_field_source_campaign_id_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "person_id", "field", name=op.f("pk_person_field_source")
        ),
    )
    op.create_table(
        "walk_list_target",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("walk_list_id", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id", "household_id"],
            ["household.campaign_id", "household.id"],
            name=op.f("fk_walk_list_target_campaign_id_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "person_id"],
            ["person.campaign_id", "person.id"],
            name=op.f("fk_walk_list_target_campaign_id_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "walk_list_id"],
            ["walk_list.campaign_id", "walk_list.id"],
            name=op.f("fk_walk_list_target_campaign_id_walk_list_id_walk_list"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "walk_list_id", "line", name=op.f("pk_walk_list_target")
        ),
        sa.UniqueConstraint(
            "campaign_id",
            "walk_list_id",
            "person_id",
            name=op.f("uq_walk_list_target_campaign_id_walk_list_id_person_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("walk_list_target")
    op.drop_table("person_field_source")
    op.drop_index("ix_contact_target_campaign_id_person_id", table_name="contact_target")
    op.drop_table("contact_target")
    op.drop_table("contact_response")
    op.drop_index(op.f("ix_walk_list_assignment_user_id"), table_name="walk_list_assignment")
    op.drop_table("walk_list_assignment")
    op.drop_table("contact")
    op.drop_table("walk_list")
