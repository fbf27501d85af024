"""The long SQL statements of the voter_file services: set-based work kept out of
the Python that runs it (see the README's architecture section for when SQL is used)."""

# Only the first line of a voter_id counts; later lines with the same id are rejected, never
# silently merged.
DUPLICATES = """
    SELECT s.line, d.first, s.voter_id
    FROM stg s
    JOIN (SELECT voter_id, min(line) AS first FROM stg GROUP BY 1 HAVING count(*) > 1) d
      ON s.voter_id = d.voter_id AND s.line > d.first
    ORDER BY s.line
"""

# A door's precinct: by point-in-polygon (precincts drive the join, so each polygon is tested
# against the points in its bounding box and PostGIS reuses its prepared form); a point on a
# shared boundary goes to the precinct with the smaller code, as in precincts.py. Without a
# point, by the code the file gives, when it names a known precinct.
DOOR_PRECINCTS = """
    UPDATE doors d SET precinct_id = l.precinct_id
    FROM (
        SELECT DISTINCT ON (d.address_key) d.address_key, p.id AS precinct_id
        FROM precinct p
        CROSS JOIN LATERAL (
            SELECT address_key FROM doors d WHERE ST_Intersects(p.geom, d.geom)
        ) d
        WHERE p.campaign_id = :cid
        ORDER BY d.address_key, p.code, p.id
    ) l
    WHERE d.address_key = l.address_key
"""

DOOR_PRECINCTS_BY_CODE = """
    UPDATE doors d SET precinct_id = p.id
    FROM precinct p
    WHERE d.geom IS NULL AND p.campaign_id = :cid AND p.code = d.precinct_code
"""

KNOWN_DOORS = """
    UPDATE doors d SET household_id = h.id
    FROM household h
    WHERE h.campaign_id = :cid AND h.address_key = d.address_key
"""

WITHOUT_PRECINCT = """
    SELECT count(*) FROM stg s
    JOIN doors d ON d.address_key = s.address_key
    JOIN household h ON h.campaign_id = :cid AND h.id = d.household_id
    WHERE h.precinct_id IS NULL
"""


_HOUSEHOLD_COLUMNS = ("house_number", "house_suffix", "street", "unit", "city", "state", "zip")
_HC = ", ".join(_HOUSEHOLD_COLUMNS)

# The doors of the file, one row each: the first line that has a point gives the door its point.
DOORS = f"""
    CREATE TEMP TABLE doors ON COMMIT DROP AS
    SELECT DISTINCT ON (address_key) address_key, {_HC}, precinct_code,
        CASE WHEN lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(lon, lat), 4326) END AS geom,
        NULL::bigint AS precinct_id, NULL::bigint AS household_id
    FROM stg
    ORDER BY address_key, lon IS NULL, line
"""

# A door the file gives neither a point nor a known precinct keeps the precinct it had.
_PRECINCT_KEPT = (
    "CASE WHEN d.geom IS NULL AND d.precinct_id IS NULL THEN h.precinct_id ELSE d.precinct_id END"
)
# The doors that changed are locked first, in id order, as a sync locks the doors it flags:
# two transactions that lock rows of a table in one order wait for each other, never in a
# cycle (issue 12). A row a sync changed meanwhile is locked in its new version and rechecked.
UPDATE_HOUSEHOLDS = f"""
    WITH changed AS MATERIALIZED (
        SELECT h.id FROM household h JOIN doors d ON d.household_id = h.id
        WHERE h.campaign_id = :cid
          AND ({", ".join(f"h.{c}" for c in _HOUSEHOLD_COLUMNS)}, h.geom, h.precinct_id)
              IS DISTINCT FROM
              ({", ".join(f"d.{c}" for c in _HOUSEHOLD_COLUMNS)}, coalesce(d.geom, h.geom),
               {_PRECINCT_KEPT})
        ORDER BY h.id
        FOR NO KEY UPDATE OF h
    )
    UPDATE household h SET
        {", ".join(f"{c} = d.{c}" for c in _HOUSEHOLD_COLUMNS)},
        geom = coalesce(d.geom, h.geom),
        precinct_id = {_PRECINCT_KEPT},
        updated_at = now()
    FROM changed c JOIN doors d ON d.household_id = c.id
    WHERE h.campaign_id = :cid AND h.id = c.id
"""
INSERT_HOUSEHOLDS = f"""
    WITH added AS (
        INSERT INTO household (campaign_id, address_key, {_HC}, geom, precinct_id)
        SELECT :cid, address_key, {_HC}, geom, precinct_id FROM doors WHERE household_id IS NULL
        RETURNING id, address_key
    )
    UPDATE doors d SET household_id = added.id FROM added WHERE d.address_key = added.address_key
"""

# Voter-file columns of a person; canvass data (support, tags, flags) is never touched here.
_PERSON_VALUES = {
    "first_name": "s.first_name",
    "middle_name": "s.middle_name",
    "last_name": "s.last_name",
    "suffix": "s.suffix",
    "birth_date": "s.birth_date",
    "birth_year": "s.birth_year::smallint",
    "sex": "upper(s.sex)",
    "party": "s.party",
    "phone": "s.phone",
    "email": "lower(s.email)",
}
_PERSON_COLUMNS = list(_PERSON_VALUES)
# Which file columns a person column comes from: absent columns leave stored values alone.
_SOURCES = {"birth_year": ("birth_year", "birth_date")}


def people_sql(present: set[str], custom_count: int) -> list[str]:
    """Statements that stage the people with their household and known id, update the known
    ones whose file data changed, and insert the new ones (in the order the importer runs
    them: stage, analyze, known, insert, update)."""
    updated = [c for c in _PERSON_COLUMNS if any(s in present for s in _SOURCES.get(c, (c,)))]
    pairs = ", ".join(f"CAST(:n{i} AS text), s.c{i}" for i in range(custom_count))
    custom = f"jsonb_strip_nulls(jsonb_build_object({pairs}))" if custom_count else "'{}'::jsonb"
    set_custom = ", custom_fields = p.custom_fields || x.custom_fields" if custom_count else ""
    custom_changed = "OR NOT (p.custom_fields @> x.custom_fields)" if custom_count else ""
    stage = f"""
        CREATE TEMP TABLE people ON COMMIT DROP AS
        SELECT s.voter_id AS external_id, d.household_id,
            {", ".join(f"{expr} AS {c}" for c, expr in _PERSON_VALUES.items())},
            {custom} AS custom_fields, NULL::bigint AS person_id
        FROM stg s JOIN doors d ON d.address_key = s.address_key
    """
    known = """
        UPDATE people x SET person_id = p.id FROM person p
        WHERE p.campaign_id = :cid AND p.external_id = x.external_id
    """
    # The people who changed, locked first in id order (as UPDATE_HOUSEHOLDS locks doors).
    update = f"""
        WITH changed AS MATERIALIZED (
            SELECT p.id FROM person p JOIN people x ON x.person_id = p.id
            WHERE p.campaign_id = :cid
              AND ((p.household_id, {", ".join(f"p.{c}" for c in updated)})
                   IS DISTINCT FROM (x.household_id, {", ".join(f"x.{c}" for c in updated)})
                   {custom_changed})
            ORDER BY p.id
            FOR NO KEY UPDATE OF p
        )
        UPDATE person p SET household_id = x.household_id,
            {"".join(f"{c} = x.{c}, " for c in updated)} updated_at = now() {set_custom}
        FROM changed c JOIN people x ON x.person_id = c.id
        WHERE p.campaign_id = :cid AND p.id = c.id
    """
    insert = f"""
        INSERT INTO person (campaign_id, external_id, household_id, {", ".join(_PERSON_COLUMNS)},
                            custom_fields)
        SELECT :cid, external_id, household_id, {", ".join(_PERSON_COLUMNS)}, custom_fields
        FROM people WHERE person_id IS NULL
    """
    return [stage, "ANALYZE people", known, insert, update]
