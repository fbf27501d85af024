"""The SQL of the audit log, erasure and export (every statement scoped to one campaign)."""

INSERT_AUDIT = """
    INSERT INTO audit_entry (campaign_id, actor_user_id, actor_guest, actor_role, action,
                             object_type, object_ids, detail)
    VALUES (:cid, :user_id, :guest, :role, :action, :object_type,
            CAST(:object_ids AS bigint[]), CAST(:detail AS jsonb))
"""

# Erasure, in order. The person, locked against a concurrent sync or erasure.
LOCK_PERSON = """
    SELECT id, external_id, household_id, first_name, middle_name, last_name
    FROM person
    WHERE campaign_id = :cid AND id = :pid
    FOR UPDATE
"""

# The contacts that spoke for the person (contact_target by person), each with whether it also
# speaks for someone not erased (then it is shared, and stays as it is, names redacted).
CONTACTS_OF = """
    SELECT t.contact_id,
           EXISTS (SELECT 1
                   FROM contact_target o
                   JOIN person p ON p.campaign_id = o.campaign_id AND p.id = o.person_id
                   WHERE o.campaign_id = :cid AND o.contact_id = t.contact_id
                     AND o.person_id <> :pid AND p.external_id NOT LIKE 'erased:%') AS shared
    FROM contact_target t
    WHERE t.campaign_id = :cid AND t.person_id = :pid
"""

CLEAR_CONTACTS = """
    UPDATE contact SET note = NULL, lon = NULL, lat = NULL
    WHERE campaign_id = :cid AND id = ANY(CAST(:ids AS bigint[]))
"""

CLEAR_ANSWERS = """
    UPDATE contact_response SET text = NULL, number = NULL
    WHERE campaign_id = :cid AND contact_id = ANY(CAST(:ids AS bigint[]))
      AND (text IS NOT NULL OR number IS NOT NULL)
"""

# Shared contacts: the person's names, as whole words in any case, become "[erased]".
REDACT_NOTES = """
    UPDATE contact SET note = regexp_replace(note, :pattern, '[erased]', 'gi')
    WHERE campaign_id = :cid AND id = ANY(CAST(:ids AS bigint[])) AND note ~* :pattern
    RETURNING id
"""

REDACT_ANSWERS = """
    UPDATE contact_response SET text = regexp_replace(text, :pattern, '[erased]', 'gi')
    WHERE campaign_id = :cid AND contact_id = ANY(CAST(:ids AS bigint[])) AND text ~* :pattern
    RETURNING contact_id
"""

# A shared contact's text answer also went into the profiles of the others it spoke for
# (a text question bound to a custom field): the names go there too, in the field's source and
# in the profile where the field still holds that answer (not since corrected by hand).
REDACT_PROFILES = """
    WITH found AS (
        SELECT s.person_id, s.field, substr(s.field, 8) AS key, s.value AS old,
               to_jsonb(regexp_replace(s.value #>> '{}', :pattern, '[erased]', 'gi')) AS new
        FROM person_field_source s
        WHERE s.campaign_id = :cid AND s.contact_id = ANY(CAST(:ids AS bigint[]))
          AND s.person_id IN (SELECT o.person_id FROM contact_target o
                              WHERE o.campaign_id = :cid
                                AND o.contact_id = ANY(CAST(:ids AS bigint[])))
          AND s.person_id <> :pid AND s.field LIKE 'custom:%'
          AND jsonb_typeof(s.value) = 'string' AND s.value #>> '{}' ~* :pattern
    ), sources AS (
        UPDATE person_field_source s SET value = f.new
        FROM found f
        WHERE s.campaign_id = :cid AND s.person_id = f.person_id AND s.field = f.field
    ), patches AS (
        SELECT f.person_id, jsonb_object_agg(f.key, f.new) AS patch
        FROM found f
        JOIN person q ON q.campaign_id = :cid AND q.id = f.person_id
        WHERE q.custom_fields -> f.key = f.old
        GROUP BY f.person_id
    )
    UPDATE person p SET custom_fields = p.custom_fields || x.patch, updated_at = now()
    FROM patches x
    WHERE p.campaign_id = :cid AND p.id = x.person_id
    RETURNING p.id
"""

DELETE_FIELD_SOURCES = """
    DELETE FROM person_field_source WHERE campaign_id = :cid AND person_id = :pid
"""

# Every personal field goes; the row stays (lists and contacts point to it), do-not-contact so
# that no list targets it again. The trigger person_stays_erased keeps it so afterwards.
ERASE_PERSON = """
    UPDATE person
    SET external_id = 'erased:' || id, first_name = '', middle_name = NULL, last_name = '',
        suffix = NULL, birth_date = NULL, birth_year = NULL, sex = NULL, party = NULL,
        phone = NULL, email = NULL, support_level = NULL, is_volunteer = false,
        is_donor = false, deceased = false, moved = false, do_not_contact = true,
        tags = '{}', custom_fields = '{}', last_contacted_at = NULL, updated_at = now()
    WHERE campaign_id = :cid AND id = :pid
"""

SUPPRESS_VOTER = """
    INSERT INTO erased_voter (campaign_id, voter_key)
    VALUES (:cid, sha256(convert_to(:external_id, 'UTF8')))
    ON CONFLICT DO NOTHING
"""

OTHERS_AT_DOOR = """
    SELECT count(*) FROM person
    WHERE campaign_id = :cid AND household_id = :hid AND id <> :pid
      AND external_id NOT LIKE 'erased:%'
"""

# The last person at the door is gone: so is the address (the door stays, for the counts of the
# lists and contacts that reached it; it can never match an address again).
ERASE_HOUSEHOLD = """
    UPDATE household
    SET address_key = 'erased:' || id, house_number = '', house_suffix = NULL, street = '',
        unit = NULL, city = NULL, state = NULL, zip = NULL, geom = NULL, updated_at = now()
    WHERE campaign_id = :cid AND id = :hid
"""

UNLOCATE_DOOR_CONTACTS = """
    UPDATE contact SET lon = NULL, lat = NULL
    WHERE campaign_id = :cid AND household_id = :hid AND (lon IS NOT NULL OR lat IS NOT NULL)
"""

# Export: the contacts that spoke for the person, in time order, with their answers in words.
EXPORT_CONTACTS = """
    SELECT c.id, c.knocked_at, c.received_at, c.result, c.source, c.walk_list_id,
           c.household_id, c.note, c.lon, c.lat, c.superseded_by,
           EXISTS (SELECT 1 FROM contact_target o
                   WHERE o.campaign_id = c.campaign_id AND o.contact_id = c.id
                     AND o.person_id <> t.person_id) AS spoke_for_others,
           coalesce((SELECT jsonb_agg(jsonb_build_object(
                        'question_id', r.question_id, 'prompt', q.prompt,
                        'option_ids', r.option_ids,
                        'options', coalesce((SELECT jsonb_agg(so.label ORDER BY so.position)
                                             FROM survey_option so
                                             WHERE so.campaign_id = r.campaign_id
                                               AND so.id = ANY(r.option_ids)), '[]'),
                        'text', r.text, 'number', r.number) ORDER BY r.question_id)
                     FROM contact_response r
                     LEFT JOIN survey_question q
                       ON q.campaign_id = r.campaign_id AND q.id = r.question_id
                     WHERE r.campaign_id = c.campaign_id AND r.contact_id = c.id),
                    '[]') AS answers
    FROM contact_target t
    JOIN contact c ON c.campaign_id = t.campaign_id AND c.id = t.contact_id
    WHERE t.campaign_id = :cid AND t.person_id = :pid
    ORDER BY c.knocked_at, c.id
"""

EXPORT_FIELD_SOURCES = """
    SELECT field, value, contact_id, knocked_at FROM person_field_source
    WHERE campaign_id = :cid AND person_id = :pid
    ORDER BY field
"""

EXPORT_LIST_LINES = """
    SELECT w.id AS walk_list_id, w.number, w.name, t.line, t.seq, w.created_at
    FROM walk_list_target t
    JOIN walk_list w ON w.campaign_id = t.campaign_id AND w.id = t.walk_list_id
    WHERE t.campaign_id = :cid AND t.person_id = :pid
    ORDER BY w.id
"""

# The log's entries about the person, and the pulls of the lists they are on.
EXPORT_AUDIT = """
    SELECT id, at, actor_user_id, actor_guest, actor_role, action, object_type, object_ids,
           detail
    FROM audit_entry
    WHERE campaign_id = :cid
      AND ((object_type = 'person' AND object_ids @> ARRAY[CAST(:pid AS bigint)])
           OR (object_type = 'walk_list' AND object_ids && CAST(:lists AS bigint[])))
    ORDER BY id
"""
