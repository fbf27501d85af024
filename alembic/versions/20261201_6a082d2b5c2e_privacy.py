"""Data protection: the audit log (append-only), the suppression list of erased voters, erased
people kept erased, and the indexes that erasure and export use.

Revision ID: 6a082d2b5c2e
Revises: 358acec4505c
Create Date: 2026-12-01 09:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "6a082d2b5c2e"
down_revision: str | None = "358acec4505c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The log cannot be rewritten: UPDATE, TRUNCATE and DELETE are refused, except the DELETE of a
# whole campaign's rows by the cascade of the campaign's own deletion (the campaign row is
# already gone when the cascade reaches its log).
AUDIT_APPEND_ONLY = [
    """
CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM campaign WHERE id = OLD.campaign_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_entry is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$""",
    """CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()""",
    """CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()""",
]

# An erased person (external_id 'erased:<id>') stays erased: any later UPDATE of the row (a
# phone that synced late, a hand correction) is a no-op. Only erased rows pay for the call.
PERSON_STAYS_ERASED = [
    """
CREATE FUNCTION person_stays_erased() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN OLD;
END
$$""",
    """CREATE TRIGGER person_stays_erased BEFORE UPDATE ON person
    FOR EACH ROW WHEN (OLD.external_id LIKE 'erased:%') EXECUTE FUNCTION person_stays_erased()""",
]

# A voter file imported again cannot bring an erased voter back: the people just inserted whose
# voter id is on the suppression list are removed at the end of the INSERT (one hash join per
# statement, not a lookup per row).
PERSON_NOT_SUPPRESSED = [
    """
CREATE FUNCTION person_not_suppressed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM person p
    USING added a
    JOIN erased_voter e
      ON e.campaign_id = a.campaign_id
     AND e.voter_key = sha256(convert_to(a.external_id, 'UTF8'))
    WHERE p.campaign_id = a.campaign_id AND p.id = a.id;
    RETURN NULL;
END
$$""",
    """CREATE TRIGGER person_not_suppressed AFTER INSERT ON person
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION person_not_suppressed()""",
]


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_guest", sa.Text(), nullable=True),
        sa.Column("actor_role", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("object_type", sa.Text(), nullable=False),
        sa.Column(
            "object_ids",
            postgresql.ARRAY(sa.BigInteger()),
            server_default=sa.text("'{}'::bigint[]"),
            nullable=False,
        ),
        sa.Column(
            "detail",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_audit_entry_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "id", name=op.f("pk_audit_entry")),
    )
    op.create_index(
        "ix_audit_entry_campaign_id_at", "audit_entry", ["campaign_id", "at"], unique=False
    )
    op.create_index(
        "ix_audit_entry_object_ids",
        "audit_entry",
        ["object_ids"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_table(
        "erased_voter",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("voter_key", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_erased_voter_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "voter_key", name=op.f("pk_erased_voter")),
    )
    op.create_index(
        "ix_walk_list_target_campaign_id_person_id",
        "walk_list_target",
        ["campaign_id", "person_id"],
        unique=False,
    )
    op.create_index(
        "ix_contact_campaign_id_household_id",
        "contact",
        ["campaign_id", "household_id"],
        unique=False,
    )
    for statement in AUDIT_APPEND_ONLY + PERSON_STAYS_ERASED + PERSON_NOT_SUPPRESSED:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER person_not_suppressed ON person")
    op.execute("DROP FUNCTION person_not_suppressed()")
    op.execute("DROP TRIGGER person_stays_erased ON person")
    op.execute("DROP FUNCTION person_stays_erased()")
    op.drop_index("ix_contact_campaign_id_household_id", table_name="contact")
    op.drop_index("ix_walk_list_target_campaign_id_person_id", table_name="walk_list_target")
    op.drop_table("erased_voter")
    op.drop_index("ix_audit_entry_object_ids", table_name="audit_entry", postgresql_using="gin")
    op.drop_index("ix_audit_entry_campaign_id_at", table_name="audit_entry")
    op.drop_table("audit_entry")  # its triggers go with it
    op.execute("DROP FUNCTION audit_entry_append_only()")
