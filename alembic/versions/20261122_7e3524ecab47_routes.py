"""Walking routes of walk lists: distance and minutes.

Revision ID: 7e3524ecab47
Revises: 175fbfe2682d
Create Date: 2026-11-22 05:46:10.058140
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "7e3524ecab47"
down_revision: str | None = "175fbfe2682d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("walk_list", sa.Column("route_distance_m", sa.Double(), nullable=True))
    op.add_column("walk_list", sa.Column("route_minutes", sa.Double(), nullable=True))


def downgrade() -> None:
    op.drop_column("walk_list", "route_minutes")
    op.drop_column("walk_list", "route_distance_m")
