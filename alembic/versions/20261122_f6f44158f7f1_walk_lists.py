"""Walk lists: the snapshot of targets (line, door) and canvasser assignments.

Revision ID: f6f44158f7f1
Revises: 9abcdff67e2b
Create Date: 2026-11-22 03:50:52.339760
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "f6f44158f7f1"
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
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "turf_id"],
            ["turf.campaign_id", "turf.id"],
            name=op.f("fk_walk_list_campaign_id_turf_id_turf"),
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
    op.drop_index(op.f("ix_walk_list_assignment_user_id"), table_name="walk_list_assignment")
    op.drop_table("walk_list_assignment")
    op.drop_table("walk_list")
