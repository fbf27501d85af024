"""Surveys (questions, coded options with profile effects) and turfs.

Revision ID: 9abcdff67e2b
Revises: f5dabe48b674
Create Date: 2026-11-22 03:48:07.301188
"""

from collections.abc import Sequence

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "9abcdff67e2b"
down_revision: str | None = "f5dabe48b674"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_survey_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "id", name=op.f("pk_survey")),
    )
    op.create_geospatial_table(
        "turf",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "precinct_ids",
            postgresql.ARRAY(sa.BigInteger()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_turf_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "id", name=op.f("pk_turf")),
    )
    op.create_geospatial_index(
        "ix_turf_geom", "turf", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_table(
        "survey_question",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("survey_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("profile_field", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind in ('single_choice', 'multiple_choice', 'text', 'number')",
            name=op.f("ck_survey_question_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "survey_id"],
            ["survey.campaign_id", "survey.id"],
            name=op.f("fk_survey_question_campaign_id_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "id", name=op.f("pk_survey_question")),
        sa.UniqueConstraint(
            "campaign_id",
            "survey_id",
            "number",
            name=op.f("uq_survey_question_campaign_id_survey_id_number"),
        ),
    )
    op.create_table(
        "survey_option",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("question_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column(
            "effects",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "question_id"],
            ["survey_question.campaign_id", "survey_question.id"],
            name=op.f("fk_survey_option_campaign_id_question_id_survey_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "id", name=op.f("pk_survey_option")),
        sa.UniqueConstraint(
            "campaign_id",
            "question_id",
            "code",
            name=op.f("uq_survey_option_campaign_id_question_id_code"),
        ),
    )


def downgrade() -> None:
    op.drop_table("survey_option")
    op.drop_table("survey_question")
    op.drop_geospatial_index(
        "ix_turf_geom", table_name="turf", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("turf")
    op.drop_table("survey")
