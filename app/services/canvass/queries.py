"""The long SQL statements of the canvass services: set-based work kept out of
the Python that runs it (see the README's architecture section for when SQL is used)."""

# The profile fields that answers and results write, with their SQL types.
SCALAR_FIELDS = {
    "support_level": "smallint", "is_volunteer": "boolean", "is_donor": "boolean",
    "do_not_contact": "boolean", "moved": "boolean", "deceased": "boolean",
}  # fmt: skip

HISTORY = """
    SELECT c.id, c.client_id, c.result, c.knocked_at, c.received_at, c.source, c.walk_list_id,
           c.canvasser_id, coalesce(u.name, c.canvasser_name) AS canvasser, c.note,
           c.entered_by, c.superseded_by,
           coalesce((SELECT jsonb_agg(jsonb_build_object(
                        'question_id', r.question_id, 'option_ids', r.option_ids,
                        'text', r.text, 'number', r.number) ORDER BY r.question_id)
                     FROM contact_response r
                     WHERE r.campaign_id = c.campaign_id AND r.contact_id = c.id),
                    '[]') AS responses
    FROM contact_target t
    JOIN contact c ON c.campaign_id = t.campaign_id AND c.id = t.contact_id
    LEFT JOIN app_user u ON u.campaign_id = c.campaign_id AND u.id = c.canvasser_id
    WHERE t.campaign_id = :cid AND t.person_id = :pid AND c.id > :after
    ORDER BY c.id
    LIMIT :limit
"""

# Paper contacts come without a client_id: the database makes one (gen_random_uuid is volatile,
# so the CTE is computed once). Rows are inserted in client_id order, so that two batches
# holding the same ids lock them in the same order.
INSERT_CONTACTS = """
    WITH x AS (
        SELECT coalesce(client_id, gen_random_uuid()) AS client_id, list_id, household_id,
               person_id, result, note, knocked_at, lon, lat, n
        FROM unnest(CAST(:client_ids AS uuid[]), CAST(:lists AS bigint[]),
                    CAST(:households AS bigint[]), CAST(:persons AS bigint[]),
                    CAST(:results AS text[]), CAST(:notes AS text[]),
                    CAST(:times AS timestamptz[]), CAST(:lons AS float8[]),
                    CAST(:lats AS float8[])) WITH ORDINALITY
             AS u(client_id, list_id, household_id, person_id, result, note, knocked_at,
                  lon, lat, n)
    ), inserted AS (
        INSERT INTO contact (campaign_id, client_id, walk_list_id, household_id, person_id,
                             canvasser_id, canvasser_name, entered_by, result, note, source,
                             knocked_at, lon, lat)
        SELECT :cid, client_id, list_id, household_id, person_id, :canvasser_id,
               :canvasser_name, :entered_by, result, note, :source, knocked_at, lon, lat
        FROM x
        ORDER BY client_id
        ON CONFLICT (campaign_id, client_id) DO NOTHING
        RETURNING id, client_id
    )
    SELECT inserted.id, x.n FROM inserted JOIN x USING (client_id)
"""

QUESTIONS = """
    SELECT q.survey_id, q.id, q.number, q.kind, q.profile_field,
           o.id AS option_id, o.code, o.effects
    FROM survey_question q
    LEFT JOIN survey_option o ON o.campaign_id = q.campaign_id AND o.question_id = q.id
    WHERE q.campaign_id = :cid AND q.survey_id = ANY(CAST(:surveys AS bigint[]))
    ORDER BY q.survey_id, q.number, o.position
"""

WINNERS = """
    WITH incoming AS (
        SELECT DISTINCT ON (person_id, field) person_id, field, value, contact_id, knocked_at
        FROM unnest(CAST(:persons AS bigint[]), CAST(:fields AS text[]), CAST(:values AS jsonb[]),
                    CAST(:contacts AS bigint[]), CAST(:times AS timestamptz[]))
             AS x(person_id, field, value, contact_id, knocked_at)
        ORDER BY person_id, field, knocked_at DESC, contact_id DESC
    )
    INSERT INTO person_field_source AS s
        (campaign_id, person_id, field, value, contact_id, knocked_at)
    SELECT :cid, person_id, field, value, contact_id, knocked_at FROM incoming
    ORDER BY person_id, field
    ON CONFLICT (campaign_id, person_id, field) DO UPDATE
        SET value = excluded.value, contact_id = excluded.contact_id,
            knocked_at = excluded.knocked_at
        -- Ties of event time go to the later contact (a paper entry replacing another).
        WHERE (excluded.knocked_at, excluded.contact_id) > (s.knocked_at, s.contact_id)
    RETURNING person_id, field, value
"""

# The winners written into the people: profile fields, custom fields, tags, last contact.
_SCALARS = ",\n".join(
    f"{f} = CASE WHEN x.patch ? '{f}' THEN (x.patch->>'{f}')::{t} ELSE p.{f} END"
    for f, t in SCALAR_FIELDS.items()
)
APPLY = f"""
    UPDATE person p SET
        {_SCALARS},
        custom_fields = p.custom_fields || x.custom,
        tags = ARRAY(
            SELECT DISTINCT tag
            FROM unnest(p.tags || ARRAY(SELECT jsonb_array_elements_text(x.tags_add))) tag
            WHERE NOT tag = ANY(ARRAY(SELECT jsonb_array_elements_text(x.tags_remove)))
            ORDER BY tag
        ),
        last_contacted_at = CASE WHEN x.touched IS NULL THEN p.last_contacted_at
                                 ELSE greatest(p.last_contacted_at, x.touched) END,
        updated_at = now()
    FROM unnest(CAST(:persons AS bigint[]), CAST(:patches AS jsonb[]), CAST(:customs AS jsonb[]),
                CAST(:adds AS jsonb[]), CAST(:removes AS jsonb[]), CAST(:touched AS timestamptz[]))
         AS x(person_id, patch, custom, tags_add, tags_remove, touched)
    WHERE p.campaign_id = :cid AND p.id = x.person_id
"""

INSERT_TARGETS = """
    INSERT INTO contact_target (campaign_id, contact_id, person_id)
    SELECT :cid, * FROM unnest(CAST(:contacts AS bigint[]), CAST(:people AS bigint[]))
"""

INSERT_RESPONSES = """
    INSERT INTO contact_response (campaign_id, contact_id, question_id, option_ids, text, number)
    SELECT :cid, c, q, ARRAY(SELECT jsonb_array_elements_text(o))::bigint[], t, n
    FROM unnest(CAST(:contacts AS bigint[]), CAST(:questions AS bigint[]),
                CAST(:options AS jsonb[]), CAST(:texts AS text[]),
                CAST(:numbers AS float8[])) AS x(c, q, o, t, n)
"""

# Paper entries replaced by newer ones stay as history, marked superseded.
SUPERSEDE = """
    UPDATE contact c SET superseded_by = x.new, superseded_at = now()
    FROM unnest(CAST(:old AS bigint[]), CAST(:new AS bigint[])) AS x(old, new)
    WHERE c.campaign_id = :cid AND c.id = x.old
"""


# A list's targets, and which of them were erased on request since the list was built (their
# knocks are refused: nothing more may be recorded about them).
SYNC_TARGETS = """
    SELECT t.walk_list_id, t.household_id, t.person_id, p.external_id LIKE 'erased:%' AS erased
    FROM walk_list_target t
    JOIN person p ON p.campaign_id = t.campaign_id AND p.id = t.person_id
    WHERE t.campaign_id = :cid AND t.walk_list_id = ANY(CAST(:ids AS bigint[]))
"""

# A sheet's lines, as SYNC_TARGETS for one list.
SHEET_LINES = """
    SELECT t.line, t.person_id, t.household_id, p.external_id LIKE 'erased:%' AS erased
    FROM walk_list_target t
    JOIN person p ON p.campaign_id = t.campaign_id AND p.id = t.person_id
    WHERE t.campaign_id = :cid AND t.walk_list_id = :id
"""
