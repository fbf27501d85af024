"""The long SQL statements of the geography services: set-based work kept out of
the Python that runs it (see the README's architecture section for when SQL is used)."""

# A point on a boundary shared by two precincts belongs to the one with the smaller code, so the
# answer never depends on the order rows happen to come in.
ASSIGN = """
    WITH located AS MATERIALIZED (
        SELECT DISTINCT ON (h.id) h.id, p.id AS precinct_id
        FROM precinct p
        CROSS JOIN LATERAL (
            SELECT h.id FROM household h
            WHERE h.campaign_id = p.campaign_id AND ST_Intersects(p.geom, h.geom)
        ) h
        WHERE p.campaign_id = :cid
        ORDER BY h.id, p.code, p.id
    )
    UPDATE household h SET precinct_id = l.precinct_id, updated_at = now()
    FROM household h2 LEFT JOIN located l ON l.id = h2.id
    WHERE h2.campaign_id = :cid AND h2.geom IS NOT NULL
      AND h.campaign_id = :cid AND h.id = h2.id AND h.precinct_id IS DISTINCT FROM l.precinct_id
"""

# Counts and (optionally) geometry of some turfs; households by cover of their point.
SUMMARY = """
    SELECT t.id, t.name, t.precinct_ids, t.created_at, c.households, c.people
        {geometry}
    FROM turf t
    CROSS JOIN LATERAL (
        SELECT count(DISTINCT h.id) AS households, count(p.id) AS people
        FROM household h
        LEFT JOIN person p ON p.campaign_id = h.campaign_id AND p.household_id = h.id
        WHERE h.campaign_id = t.campaign_id AND ST_Covers(t.geom, h.geom)
    ) c
    WHERE t.campaign_id = :cid AND {where}
    ORDER BY t.id
    LIMIT :limit
"""
