"""Paper entries: who entered a contact, superseded paper contacts; duplicate counts of jobs.

Revision ID: 175fbfe2682d
Revises: 03bae0139680
Create Date: 2026-11-22 05:30:11.439463
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "175fbfe2682d"
down_revision: str | None = "03bae0139680"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("contact", sa.Column("entered_by", sa.BigInteger(), nullable=True))
    op.add_column("contact", sa.Column("superseded_by", sa.BigInteger(), nullable=True))
    op.add_column("contact", sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_contact_entered_by_app_user"),
        "contact",
        "app_user",
        ["entered_by"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column(
        "import_job",
        sa.Column("duplicates", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("import_job", "duplicates")
    op.drop_constraint(op.f("fk_contact_entered_by_app_user"), "contact", type_="foreignkey")
    op.drop_column("contact", "superseded_at")
    op.drop_column("contact", "superseded_by")
    op.drop_column("contact", "entered_by")
