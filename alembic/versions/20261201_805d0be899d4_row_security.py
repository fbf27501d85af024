"""Row-level security: a second wall between campaigns, under the scoping in the code.

- Role `doorstep_api` (NOLOGIN, created here when missing): what the API server's login role
  is a member of. It may read and write the application's tables (`alembic_version` only
  read, for /readyz; `campaign` only read and update, campaigns are made and deleted by the
  CLI as the owner; `audit_entry` only read and insert), and by default privileges the tables
  and sequences that later migrations create (procrastinate's job tables, ...).
- Every tenant-owned table (a `campaign_id` column) and `campaign` itself have row-level
  security with one policy, `tenant_isolation`: a row is visible and writable only while the
  transaction's `app.campaign_id` setting names its campaign (`set_config('app.campaign_id',
  '42', true)`, done by `app.db` when a session knows its campaign). Without the setting no row
  is visible and every write is refused. The owner (migrations, CLI) is not subject to it.
- Before a request knows its campaign, two lookups must cross campaigns; each is a narrow
  SECURITY DEFINER function owned by the owner, with a fixed search_path, executable by
  `doorstep_api` only: `login_accounts(email, slug, max)` (the accounts a password login may
  try) and `list_code_by_hash(hash)` (the one code a volunteer typed). `analyze_table(regclass)`
  lets the API refresh planner statistics after big writes (ANALYZE needs the owner).
- The account references that named `app_user.id` alone (contact.canvasser_id,
  contact.entered_by, walk_list_assignment.user_id) become composite (campaign_id, ...) keys, so
  a row can never point at another campaign's account, and `app_user`'s unique(id) goes.

Creating the role needs CREATEROLE: where the owner has none, a DBA creates `doorstep_api`
beforehand (`CREATE ROLE doorstep_api NOLOGIN`) and the migration finds it.

Revision ID: 805d0be899d4
Revises: 6a082d2b5c2e
Create Date: 2026-12-01 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "805d0be899d4"
down_revision: str | None = "6a082d2b5c2e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLE = "doorstep_api"
# Tables of the schema that are not the application's to write.
NOT_GRANTED = ("alembic_version", "spatial_ref_sys")
# The transaction's campaign; NULL (no row matches) when unset or reset to ''.
CURRENT_CAMPAIGN = "NULLIF(current_setting('app.campaign_id', true), '')::bigint"

CREATE_ROLE = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{API_ROLE}') THEN
        CREATE ROLE {API_ROLE} NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- made meanwhile by a migration of another database of the cluster
END
$$"""

# (name, arguments, definition): SECURITY DEFINER, so they read as the owner, past the policies.
FUNCTIONS = (
    (
        "login_accounts",
        "text, text, integer",
        """(p_email text, p_slug text, p_max integer)
RETURNS TABLE (campaign_id bigint, user_id bigint, slug text, password_hash text,
               active boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT u.campaign_id, u.id, c.slug, u.password_hash, u.deactivated_at IS NULL
    FROM {schema}.app_user u
    JOIN {schema}.campaign c ON c.id = u.campaign_id
    JOIN {schema}.membership m ON m.campaign_id = u.campaign_id AND m.user_id = u.id
    WHERE u.email = p_email AND (p_slug IS NULL OR c.slug = p_slug)
    ORDER BY c.slug
    LIMIT p_max
$$""",
    ),
    (
        "list_code_by_hash",
        "bytea",
        """(p_hash bytea)
RETURNS TABLE (id bigint, campaign_id bigint, walk_list_id bigint,
               expires_at timestamptz, revoked_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT k.id, k.campaign_id, k.walk_list_id, k.expires_at, k.revoked_at
    FROM {schema}.walk_list_code k
    WHERE k.code_hash = p_hash
    LIMIT 1
$$""",
    ),
    (
        "analyze_table",
        "regclass",
        """(p_table regclass)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = p_table AND c.relkind = 'r'
                   AND c.relnamespace = '{schema}'::regnamespace) THEN
        RAISE EXCEPTION 'analyze_table: % is not a table of the application', p_table
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('ANALYZE %s', p_table);
END
$$""",
    ),
)

# (table, column, on delete): account references that become (campaign_id, column).
_ACCOUNT_FKS = (
    ("contact", "canvasser_id", "SET NULL (canvasser_id)", "SET NULL"),
    ("contact", "entered_by", "SET NULL (entered_by)", "SET NULL"),
    ("walk_list_assignment", "user_id", "CASCADE", "CASCADE"),
)


# The suppression trigger of revision 6a082d2b5c2e (re-imported people on the erasure list are
# deleted at the end of the INSERT), in two steps. Its one-statement DELETE planned a nested loop
# of every person of the campaign against every inserted row once the policy's qual became the
# index condition on `person` (a 23k-row re-import took 208 s instead of 3 s): it now finds the
# few suppressed rows first (usually none), then deletes them by primary key.
SUPPRESSION_TWO_STEPS = """
CREATE OR REPLACE FUNCTION person_not_suppressed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    campaigns bigint[];
    ids bigint[];
BEGIN
    SELECT array_agg(a.campaign_id), array_agg(a.id) INTO campaigns, ids
    FROM added a
    JOIN erased_voter e
      ON e.campaign_id = a.campaign_id
     AND e.voter_key = sha256(convert_to(a.external_id, 'UTF8'));
    IF ids IS NOT NULL THEN
        DELETE FROM person p
        USING unnest(campaigns, ids) AS s(campaign_id, id)
        WHERE p.campaign_id = s.campaign_id AND p.id = s.id;
    END IF;
    RETURN NULL;
END
$$"""
SUPPRESSION_ONE_STATEMENT = """
CREATE OR REPLACE FUNCTION person_not_suppressed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM person p
    USING added a
    JOIN erased_voter e
      ON e.campaign_id = a.campaign_id
     AND e.voter_key = sha256(convert_to(a.external_id, 'UTF8'))
    WHERE p.campaign_id = a.campaign_id AND p.id = a.id;
    RETURN NULL;
END
$$"""


def _schema() -> str:
    name = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    return '"' + str(name).replace('"', '""') + '"'


def _tables(with_campaign_id: bool) -> list[str]:
    """The schema's tables owned by the migrating role (quoted names); with `with_campaign_id`,
    the tenant-owned ones. Found, not listed, so that tables of a sibling revision applied
    before this one (import uploads, procrastinate's queue) are covered in either order."""
    rows = op.get_bind().execute(
        sa.text(
            "SELECT quote_ident(c.relname) FROM pg_class c"
            " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')"
            "   AND pg_has_role(c.relowner, 'USAGE') AND NOT c.relname = ANY(:skip)"
            "   AND (NOT :tenant OR EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid"
            "        AND a.attname = 'campaign_id' AND NOT a.attisdropped))"
            " ORDER BY c.relname"
        ),
        {"skip": list(NOT_GRANTED), "tenant": with_campaign_id},
    )
    return list(rows.scalars())


def _grant(schema: str) -> None:
    op.execute(CREATE_ROLE)
    op.execute(f"GRANT USAGE ON SCHEMA {schema} TO {API_ROLE}")
    dml = "SELECT, INSERT, UPDATE, DELETE"
    for table in _tables(with_campaign_id=False):
        op.execute(f"GRANT {dml} ON {table} TO {API_ROLE}")
    op.execute(f"GRANT SELECT ON alembic_version TO {API_ROLE}")  # /readyz compares heads
    op.execute(f"REVOKE INSERT, DELETE ON campaign FROM {API_ROLE}")  # the CLI's
    op.execute(f"REVOKE UPDATE, DELETE ON audit_entry FROM {API_ROLE}")  # append-only
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {API_ROLE}")
    # What later migrations of this owner create (procrastinate's tables, ...).
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {dml} ON TABLES TO {API_ROLE}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES"
        f" TO {API_ROLE}"
    )


def _revoke(schema: str) -> None:
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} REVOKE USAGE, SELECT ON SEQUENCES"
        f" FROM {API_ROLE}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema}"
        f" REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {API_ROLE}"
    )
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {API_ROLE}")
    for table in (*_tables(with_campaign_id=False), "alembic_version"):
        op.execute(f"REVOKE ALL ON {table} FROM {API_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA {schema} FROM {API_ROLE}")
    # The role stays: other databases of the cluster may use it.


def tenant_isolation(table: str, column: str = "campaign_id") -> list[str]:
    """The statements that put a table under the policy (a later revision that adds a
    tenant-owned table runs them too)."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING ({column} = {CURRENT_CAMPAIGN})"
        f" WITH CHECK ({column} = {CURRENT_CAMPAIGN})",
    ]


def _policies() -> None:
    for table in _tables(with_campaign_id=True):
        for statement in tenant_isolation(table):
            op.execute(statement)
    for statement in tenant_isolation("campaign", "id"):
        op.execute(statement)


def _functions(schema: str) -> None:
    for name, arguments, definition in FUNCTIONS:
        op.execute(f"CREATE FUNCTION {name}" + definition.replace("{schema}", schema))
        op.execute(f"REVOKE ALL ON FUNCTION {name}({arguments}) FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {name}({arguments}) TO {API_ROLE}")


def _composite_account_fks() -> None:
    for table, column, ondelete, _ in _ACCOUNT_FKS:
        op.drop_constraint(f"fk_{table}_{column}_app_user", table, type_="foreignkey")
        op.create_foreign_key(
            f"fk_{table}_campaign_id_{column}_app_user",
            table,
            "app_user",
            ["campaign_id", column],
            ["campaign_id", "id"],
            ondelete=ondelete,
        )
    op.drop_constraint("uq_app_user_id", "app_user", type_="unique")


def upgrade() -> None:
    schema = _schema()
    _composite_account_fks()
    _grant(schema)
    _policies()
    _functions(schema)
    op.execute(SUPPRESSION_TWO_STEPS)


def downgrade() -> None:
    schema = _schema()
    op.execute(SUPPRESSION_ONE_STATEMENT)
    for name, arguments, _ in FUNCTIONS:
        op.execute(f"DROP FUNCTION {name}({arguments})")
    policies = op.get_bind().execute(
        sa.text(
            "SELECT quote_ident(c.relname) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid"
            " WHERE p.polname = 'tenant_isolation'"
            "   AND c.relnamespace = current_schema()::regnamespace"
        )
    )
    for table in policies.scalars().all():
        op.execute(f"DROP POLICY tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    _revoke(schema)
    op.create_unique_constraint("uq_app_user_id", "app_user", ["id"])
    for table, column, _, ondelete in _ACCOUNT_FKS:
        op.drop_constraint(f"fk_{table}_campaign_id_{column}_app_user", table, type_="foreignkey")
        op.create_foreign_key(
            f"fk_{table}_{column}_app_user",
            table,
            "app_user",
            [column],
            ["id"],
            ondelete=ondelete,
        )
