"""The long SQL statements of the walk_lists services: set-based work kept out of
the Python that runs it (see the README's architecture section for when SQL is used)."""

TARGETS = """
    WITH targets AS (
        SELECT p.id AS person_id, h.id AS household_id, p.last_name, p.first_name,
               h.street, h.house_number, h.house_suffix, h.unit,
               nullif(substring(h.house_number from '^[0-9]+'), '')::bigint AS house_no,
               ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat
        FROM turf t
        JOIN household h ON h.campaign_id = t.campaign_id AND ST_Covers(t.geom, h.geom)
        JOIN person p ON p.campaign_id = h.campaign_id AND p.household_id = h.id
        WHERE t.campaign_id = :cid AND t.id = :turf_id
          AND {never_canvassed}
          {predicates}
    )
    SELECT person_id, household_id, street, house_number, lon, lat FROM targets
    ORDER BY {door}, upper(last_name), upper(first_name), person_id
"""

INSERT_TARGETS = """
    INSERT INTO walk_list_target (campaign_id, walk_list_id, line, seq, household_id, person_id)
    SELECT :cid, :list_id, * FROM unnest(CAST(:lines AS int[]), CAST(:seqs AS int[]),
                                         CAST(:households AS bigint[]), CAST(:people AS bigint[]))
"""

# The list as it stands now: people who have since died, moved, asked not to be contacted, or
# whose door turned out a wrong address, drop out at the next pull (their lines stay numbered).
# The doors and people of a list's phone payload (PAYLOAD_PEOPLE), and the digest of exactly
# those columns (PAYLOAD_DIGEST) from which the payload's ETag is made: a phone's If-None-Match
# is answered from the digest alone, before anything is built (issue 12).
_PAYLOAD_COLUMNS = (
    "t.seq", "t.line", "t.household_id", "h.house_number", "h.house_suffix", "h.street", "h.unit",
    "ST_X(h.geom) AS lon", "ST_Y(h.geom) AS lat", "p.id", "p.first_name", "p.last_name",
    "p.birth_date", "p.birth_year", "p.sex", "p.party", "p.support_level",
)  # fmt: skip
_PAYLOAD_FROM = """
    FROM walk_list_target t
    JOIN household h ON h.campaign_id = t.campaign_id AND h.id = t.household_id
    JOIN person p ON p.campaign_id = t.campaign_id AND p.id = t.person_id
    WHERE t.campaign_id = :cid AND t.walk_list_id = :id AND {never_canvassed}"""
PAYLOAD_PEOPLE = f"SELECT {', '.join(_PAYLOAD_COLUMNS)} {_PAYLOAD_FROM} ORDER BY t.line"
_ROW = ", ".join(c.split(" AS ")[0] for c in _PAYLOAD_COLUMNS)
# ROW(...)::text keeps every column in its place (a NULL is an empty field, not a shift)
PAYLOAD_DIGEST = f"""
    SELECT count(*) AS people,
           md5(coalesce(string_agg(ROW({_ROW})::text, E'\\n' ORDER BY t.line), ''))
           AS digest
    {_PAYLOAD_FROM}"""

COUNTS = """
    SELECT count(DISTINCT c.household_id) AS doors_attempted,
           (SELECT count(DISTINCT t.person_id)
            FROM contact c2
            JOIN contact_target t ON t.campaign_id = c2.campaign_id AND t.contact_id = c2.id
            WHERE c2.campaign_id = :cid AND c2.walk_list_id = :id AND c2.superseded_by IS NULL
              AND c2.result = ANY(CAST(:reached AS text[]))) AS people_contacted,
           coalesce((SELECT jsonb_object_agg(result, n) FROM (
                SELECT result, count(*) AS n FROM contact
                WHERE campaign_id = :cid AND walk_list_id = :id AND superseded_by IS NULL
                GROUP BY result) r),
               '{}') AS results
    FROM contact c
    WHERE c.campaign_id = :cid AND c.walk_list_id = :id AND c.superseded_by IS NULL
"""

ANSWERS = """
    WITH chosen AS (
        SELECT r.question_id, o.option_id, count(*) AS n
        FROM contact c
        JOIN contact_response r ON r.campaign_id = c.campaign_id AND r.contact_id = c.id
        CROSS JOIN unnest(r.option_ids) AS o(option_id)
        WHERE c.campaign_id = :cid AND c.walk_list_id = :id AND c.superseded_by IS NULL
        GROUP BY 1, 2
    )
    SELECT q.id AS question_id, so.id AS option_id, coalesce(chosen.n, 0) AS n
    FROM survey_question q
    JOIN survey_option so ON so.campaign_id = q.campaign_id AND so.question_id = q.id
    LEFT JOIN chosen ON chosen.question_id = q.id AND chosen.option_id = so.id
    WHERE q.campaign_id = :cid AND q.survey_id = :survey_id
    ORDER BY q.number, so.id
"""
