"""Accounts per campaign, login sessions, failed tries in the database, list codes hashed.

- `app_user` gains `campaign_id` (key (campaign_id, id), e-mail unique per campaign),
  `must_change_password` and `deactivated_at`. A global user with memberships in several
  campaigns becomes one account per campaign (the first campaign keeps the id; the others get
  copies with the same e-mail, name and password hash), and every reference in a campaign
  (membership, assignments, contacts, created_by) moves to that campaign's account. References
  to an account of another campaign are cleared; users without any membership are deleted.
  `app_user.id` stays unique on its own while contacts and assignments reference it alone.
- `membership` references its account by (campaign_id, user_id).
- `auth_session`: one row per login, checked on every request.
- `auth_failure`: failed logins and list-code tries, shared by every process.
- `walk_list_code.code` becomes `code_hash` (HMAC-SHA256 under SECRET_KEY) and `hint`. With
  SECRET_KEY in the environment, live codes are hashed and keep working; without it they
  cannot be, and are revoked.

Downgrade merges the accounts of one e-mail into the oldest (its password wins), drops the
roles of deactivated accounts, and revokes every list code (codes cannot be recovered).

Revision ID: 358acec4505c
Revises: 7e3524ecab47
Create Date: 2026-12-01 09:40:00.000000
"""

import hashlib
import hmac
import os
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "358acec4505c"
down_revision: str | None = "7e3524ecab47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables whose rows name an account of their campaign: (table, column).
_ACCOUNT_REFERENCES = (
    ("walk_list_assignment", "user_id"),
    ("contact", "canvasser_id"),
    ("contact", "entered_by"),
    ("walk_list", "created_by"),
    ("walk_list_code", "created_by"),
    ("import_job", "created_by"),
)
_SINGLE_FKS = (  # name, table, column, on delete: the references to app_user.id alone
    ("fk_walk_list_assignment_user_id_app_user", "walk_list_assignment", "user_id", "CASCADE"),
    ("fk_contact_canvasser_id_app_user", "contact", "canvasser_id", "SET NULL"),
    ("fk_contact_entered_by_app_user", "contact", "entered_by", "SET NULL"),
)
_PUBLISHED_KEYS = {"dev-only-insecure-secret-change-me-0123456789"}


def _drop_single_fks() -> None:
    for name, table, _, _ in _SINGLE_FKS:
        op.drop_constraint(name, table, type_="foreignkey")


def _create_single_fks() -> None:
    for name, table, column, ondelete in _SINGLE_FKS:
        op.create_foreign_key(name, table, "app_user", [column], ["id"], ondelete=ondelete)


def _split_accounts() -> None:
    """One account per membership: the first campaign keeps the user's id."""
    op.execute(
        "UPDATE app_user u SET campaign_id = m.first_campaign"
        " FROM (SELECT user_id, min(campaign_id) AS first_campaign FROM membership"
        "       GROUP BY user_id) m"
        " WHERE m.user_id = u.id"
    )
    op.execute(
        "CREATE TEMP TABLE account_split ON COMMIT DROP AS"
        " SELECT m.campaign_id, m.user_id AS old_id,"
        "        nextval(pg_get_serial_sequence('app_user', 'id')) AS new_id"
        " FROM membership m JOIN app_user u ON u.id = m.user_id"
        " WHERE m.campaign_id <> u.campaign_id"
    )
    op.execute(
        "INSERT INTO app_user (id, campaign_id, email, name, password_hash, created_at)"
        " SELECT s.new_id, s.campaign_id, u.email, u.name, u.password_hash, u.created_at"
        " FROM account_split s JOIN app_user u ON u.id = s.old_id"
    )
    for table, column in (("membership", "user_id"), *_ACCOUNT_REFERENCES):
        op.execute(
            f"UPDATE {table} t SET {column} = s.new_id FROM account_split s"
            f" WHERE t.campaign_id = s.campaign_id AND t.{column} = s.old_id"
        )
    # What still names an account of another campaign cannot be kept.
    op.execute(
        "DELETE FROM walk_list_assignment a WHERE NOT EXISTS (SELECT 1 FROM app_user u"
        " WHERE u.id = a.user_id AND u.campaign_id = a.campaign_id)"
    )
    for table, column in _ACCOUNT_REFERENCES[1:]:
        op.execute(
            f"UPDATE {table} t SET {column} = NULL WHERE {column} IS NOT NULL AND NOT EXISTS"
            f" (SELECT 1 FROM app_user u WHERE u.id = t.{column}"
            f"  AND u.campaign_id = t.campaign_id)"
        )
    op.execute("DELETE FROM app_user WHERE campaign_id IS NULL")


def _hash_codes() -> None:
    """HMAC the stored codes under SECRET_KEY (as app.services.walk_lists.codes does), or
    revoke them when the key is not in the environment."""
    key = os.environ.get("SECRET_KEY", "")
    usable = len(key) >= 32 and key not in _PUBLISHED_KEYS
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT campaign_id, id, code FROM walk_list_code")).all()
    for campaign_id, code_id, code in rows:
        if usable:
            digest = hmac.new(key.encode(), f"list_code\x00{code}".encode(), hashlib.sha256)
            values = {"h": digest.digest(), "revoke": False}
        else:
            values = {"h": os.urandom(32), "revoke": True}
        bind.execute(
            sa.text(
                "UPDATE walk_list_code SET code_hash = :h, hint = right(code, 3),"
                " revoked_at = CASE WHEN :revoke THEN coalesce(revoked_at, now())"
                "                   ELSE revoked_at END"
                " WHERE campaign_id = :c AND id = :i"
            ),
            {**values, "c": campaign_id, "i": code_id},
        )


def upgrade() -> None:
    op.drop_constraint("uq_app_user_email", "app_user", type_="unique")
    op.add_column("app_user", sa.Column("campaign_id", sa.BigInteger(), nullable=True))
    op.add_column(
        "app_user",
        sa.Column(
            "must_change_password", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.add_column(
        "app_user", sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True)
    )
    _split_accounts()

    _drop_single_fks()
    op.drop_constraint("fk_membership_user_id_app_user", "membership", type_="foreignkey")
    op.drop_index(op.f("ix_membership_user_id"), table_name="membership")
    op.drop_constraint("pk_app_user", "app_user", type_="primary")
    op.alter_column("app_user", "campaign_id", nullable=False)
    op.create_primary_key("pk_app_user", "app_user", ["campaign_id", "id"])
    op.create_unique_constraint(op.f("uq_app_user_id"), "app_user", ["id"])
    op.create_unique_constraint(
        op.f("uq_app_user_campaign_id_email"), "app_user", ["campaign_id", "email"]
    )
    op.create_index("ix_app_user_email", "app_user", ["email"], unique=False)
    op.create_foreign_key(
        op.f("fk_app_user_campaign_id_campaign"),
        "app_user",
        "campaign",
        ["campaign_id"],
        ["id"],
        ondelete="CASCADE",
    )
    _create_single_fks()
    op.create_foreign_key(
        op.f("fk_membership_campaign_id_user_id_app_user"),
        "membership",
        "app_user",
        ["campaign_id", "user_id"],
        ["campaign_id", "id"],
        ondelete="CASCADE",
    )

    op.create_table(
        "auth_session",
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id", "user_id"],
            ["app_user.campaign_id", "app_user.id"],
            name=op.f("fk_auth_session_campaign_id_user_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_auth_session_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "id", name=op.f("pk_auth_session")),
    )
    op.create_index(
        "ix_auth_session_campaign_id_user_id",
        "auth_session",
        ["campaign_id", "user_id"],
        unique=False,
    )
    op.create_table(
        "auth_failure",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_failure")),
    )
    op.create_index("ix_auth_failure_key_at", "auth_failure", ["key", "at"], unique=False)
    op.create_index("ix_auth_failure_at", "auth_failure", ["at"], unique=False)

    op.add_column("walk_list_code", sa.Column("code_hash", sa.LargeBinary(), nullable=True))
    op.add_column("walk_list_code", sa.Column("hint", sa.Text(), nullable=True))
    _hash_codes()
    op.alter_column("walk_list_code", "code_hash", nullable=False)
    op.alter_column("walk_list_code", "hint", nullable=False)
    op.drop_constraint("uq_walk_list_code_code", "walk_list_code", type_="unique")
    op.drop_column("walk_list_code", "code")
    op.create_unique_constraint(
        op.f("uq_walk_list_code_campaign_id_code_hash"),
        "walk_list_code",
        ["campaign_id", "code_hash"],
    )
    op.create_index("ix_walk_list_code_code_hash", "walk_list_code", ["code_hash"], unique=False)


def _merge_accounts() -> None:
    """The accounts of one e-mail become the oldest one, which every reference moves to."""
    op.execute(
        "DELETE FROM membership m USING app_user u WHERE u.campaign_id = m.campaign_id"
        " AND u.id = m.user_id AND u.deactivated_at IS NOT NULL"
    )
    op.execute(
        "CREATE TEMP TABLE account_merge ON COMMIT DROP AS"
        " SELECT u.id AS old_id, k.keep_id FROM app_user u"
        " JOIN (SELECT email, min(id) AS keep_id FROM app_user GROUP BY email) k"
        "   ON k.email = u.email"
        " WHERE u.id <> k.keep_id"
    )
    for table, column in (("membership", "user_id"), *_ACCOUNT_REFERENCES):
        op.execute(
            f"UPDATE {table} t SET {column} = s.keep_id FROM account_merge s"
            f" WHERE t.{column} = s.old_id"
        )
    op.execute("DELETE FROM app_user u USING account_merge s WHERE u.id = s.old_id")


def downgrade() -> None:
    op.drop_index("ix_walk_list_code_code_hash", table_name="walk_list_code")
    op.drop_constraint(
        op.f("uq_walk_list_code_campaign_id_code_hash"), "walk_list_code", type_="unique"
    )
    op.add_column("walk_list_code", sa.Column("code", sa.Text(), nullable=True))
    op.execute(
        "UPDATE walk_list_code SET code = 'REVOKED-' || campaign_id || '-' || id,"
        " revoked_at = coalesce(revoked_at, now())"
    )
    op.alter_column("walk_list_code", "code", nullable=False)
    op.create_unique_constraint("uq_walk_list_code_code", "walk_list_code", ["code"])
    op.drop_column("walk_list_code", "hint")
    op.drop_column("walk_list_code", "code_hash")

    op.drop_index("ix_auth_failure_at", table_name="auth_failure")
    op.drop_index("ix_auth_failure_key_at", table_name="auth_failure")
    op.drop_table("auth_failure")
    op.drop_index("ix_auth_session_campaign_id_user_id", table_name="auth_session")
    op.drop_table("auth_session")

    op.drop_constraint(
        op.f("fk_membership_campaign_id_user_id_app_user"), "membership", type_="foreignkey"
    )
    _merge_accounts()
    _drop_single_fks()
    op.drop_constraint(op.f("fk_app_user_campaign_id_campaign"), "app_user", type_="foreignkey")
    op.drop_index("ix_app_user_email", table_name="app_user")
    op.drop_constraint(op.f("uq_app_user_campaign_id_email"), "app_user", type_="unique")
    op.drop_constraint(op.f("uq_app_user_id"), "app_user", type_="unique")
    op.drop_constraint("pk_app_user", "app_user", type_="primary")
    op.create_primary_key("pk_app_user", "app_user", ["id"])
    op.create_unique_constraint("uq_app_user_email", "app_user", ["email"])
    _create_single_fks()
    op.create_index(op.f("ix_membership_user_id"), "membership", ["user_id"], unique=False)
    op.create_foreign_key(
        "fk_membership_user_id_app_user",
        "membership",
        "app_user",
        ["user_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.drop_column("app_user", "deactivated_at")
    op.drop_column("app_user", "must_change_password")
    op.drop_column("app_user", "campaign_id")
