"""List codes (guest tokens for one walk list), a never-reused list number, contacts by list.

Revision ID: 03bae0139680
Revises: 559d6b266181
Create Date: 2026-11-22 05:01:10.061134
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "03bae0139680"
down_revision: str | None = "559d6b266181"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "walk_list_code",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("walk_list_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "walk_list_id"],
            ["walk_list.campaign_id", "walk_list.id"],
            name=op.f("fk_walk_list_code_campaign_id_walk_list_id_walk_list"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_walk_list_code_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "id", name=op.f("pk_walk_list_code")),
        sa.UniqueConstraint("code", name=op.f("uq_walk_list_code_code")),
    )
    op.create_index(
        "ix_contact_campaign_id_walk_list_id",
        "contact",
        ["campaign_id", "walk_list_id"],
        unique=False,
    )
    op.add_column(
        "campaign", sa.Column("last_list_number", sa.Integer(), server_default="0", nullable=False)
    )
    op.execute(
        "UPDATE campaign c SET last_list_number = coalesce("
        "(SELECT max(split_part(w.number, '-', 2)::int) FROM walk_list w"
        " WHERE w.campaign_id = c.id), 0)"
    )


def downgrade() -> None:
    op.drop_column("campaign", "last_list_number")
    op.drop_index("ix_contact_campaign_id_walk_list_id", table_name="contact")
    op.drop_table("walk_list_code")
