"""Durable jobs: procrastinate's queue schema, import-job progress and cancellation, and
uploads kept in PostgreSQL until their job ends.

The queue's schema is procrastinate 3.10.0's own `schema.sql`, frozen next to this file
(`20261201_bf9f8baa5ea2_procrastinate_3_10_0.sql`) so that this revision creates the same
objects whatever procrastinate is installed later; a procrastinate upgrade comes with a
revision that applies its migration scripts (`procrastinate/sql/migrations/`).

Jobs left `queued` or `running` by the old in-process runner have no queue entry and would
wait forever: they are failed here, as its start-up did.

Revision ID: bf9f8baa5ea2
Revises: 805d0be899d4
Create Date: 2026-12-01 11:00:00.000000
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.util import await_only

from alembic import op

revision: str = "bf9f8baa5ea2"
down_revision: str | None = "805d0be899d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROCRASTINATE_SCHEMA = Path(__file__).with_name("20261201_bf9f8baa5ea2_procrastinate_3_10_0.sql")
STATUSES = "status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')"
OLD_STATUSES = "status in ('queued', 'running', 'succeeded', 'failed')"
# The transaction's campaign, as the policies of revision 805d0be899d4 read it.
CURRENT_CAMPAIGN = "NULLIF(current_setting('app.campaign_id', true), '')::bigint"


def _execute_script(sql: str) -> None:
    """Run a multi-statement script (functions with $$ bodies) in the migration's transaction:
    asyncpg's simple-query protocol takes it whole, where a prepared statement takes one."""
    driver = op.get_bind().connection.driver_connection
    assert driver is not None
    await_only(driver.execute(sql))


def upgrade() -> None:
    _execute_script(PROCRASTINATE_SCHEMA.read_text(encoding="utf-8"))

    op.execute(
        "UPDATE import_job SET status = 'failed', finished_at = now(),"
        " message = 'interrupted by a server upgrade; upload the file again'"
        " WHERE status IN ('queued', 'running')"
    )
    op.drop_constraint(op.f("ck_import_job_status_known"), "import_job", type_="check")
    op.create_check_constraint(op.f("ck_import_job_status_known"), "import_job", STATUSES)
    op.add_column("import_job", sa.Column("queue_job_id", sa.BigInteger(), nullable=True))
    op.add_column(
        "import_job",
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column(
        "import_job", sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("import_job", sa.Column("stage", sa.Text(), nullable=True))
    op.add_column(
        "import_job",
        sa.Column("rows_done", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("import_job", sa.Column("rows_total", sa.Integer(), nullable=True))
    op.add_column(
        "import_job",
        sa.Column("bytes_done", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("import_job", sa.Column("bytes_total", sa.BigInteger(), nullable=True))
    op.add_column("import_job", sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "import_upload",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_import_upload_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "job_id"],
            ["import_job.campaign_id", "import_job.id"],
            name=op.f("fk_import_upload_campaign_id_import_job"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "job_id", "seq", name=op.f("pk_import_upload")),
    )
    # Uploads live minutes: compressing them (pglz) would cost more time than the disk saved.
    op.execute("ALTER TABLE import_upload ALTER COLUMN data SET STORAGE EXTERNAL")
    # Tenant-owned: under the campaign policy (`tenant_isolation()` of revision 805d0be899d4).
    op.execute("ALTER TABLE import_upload ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON import_upload USING (campaign_id = {CURRENT_CAMPAIGN})"
        f" WITH CHECK (campaign_id = {CURRENT_CAMPAIGN})"
    )


def downgrade() -> None:
    op.drop_table("import_upload")
    for column in (
        "progress_at",
        "bytes_total",
        "bytes_done",
        "rows_total",
        "rows_done",
        "stage",
        "cancel_requested_at",
        "attempts",
        "queue_job_id",
    ):
        op.drop_column("import_job", column)
    op.execute(
        "UPDATE import_job SET status = 'failed', message = 'cancelled' WHERE status = 'cancelled'"
    )
    op.drop_constraint(op.f("ck_import_job_status_known"), "import_job", type_="check")
    op.create_check_constraint(op.f("ck_import_job_status_known"), "import_job", OLD_STATUSES)
    _execute_script(
        """
DROP TABLE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DO $$
DECLARE f regprocedure;
BEGIN
    FOR f IN SELECT oid::regprocedure FROM pg_proc WHERE proname LIKE 'procrastinate\\_%' LOOP
        EXECUTE 'DROP FUNCTION ' || f;
    END LOOP;
END
$$;
DROP TYPE procrastinate_job_to_defer_v1, procrastinate_job_event_type,
    procrastinate_job_status;
"""
    )
