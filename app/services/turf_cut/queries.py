"""The long SQL statements of the turf_cut services: set-based work kept out of
the Python that runs it (see the README's architecture section for when SQL is used)."""

PRECINCT_UNION = """
    SELECT ST_AsBinary(ST_Union(geom)) FROM precinct
    WHERE campaign_id = :cid AND id = ANY(CAST(:ids AS bigint[]))
"""

# Every door in the area, with its people.
ALL_DOORS = """
    SELECT h.id, ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat,
           (SELECT count(*) FROM person p
            WHERE p.campaign_id = h.campaign_id AND p.household_id = h.id) AS people
    FROM household h
    WHERE h.campaign_id = :cid AND ST_Covers(ST_GeomFromWKB(:area, 4326), h.geom)
    ORDER BY h.id
"""

# The doors with someone the filters keep (and whom lists never leave out), with those people.
FILTERED_DOORS = """
    SELECT h.id, ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat, count(*) AS people
    FROM household h
    JOIN person p ON p.campaign_id = h.campaign_id AND p.household_id = h.id
    WHERE h.campaign_id = :cid AND ST_Covers(ST_GeomFromWKB(:area, 4326), h.geom)
      AND {never_canvassed}
      {predicates}
    GROUP BY h.campaign_id, h.id
    ORDER BY h.id
"""

SAVE = """
    INSERT INTO turf (campaign_id, name, precinct_ids, geom)
    SELECT :cid, name, '{}', ST_Multi(ST_GeomFromWKB(geom, 4326))
    FROM unnest(CAST(:names AS text[]), CAST(:geoms AS bytea[])) WITH ORDINALITY AS x(name, geom, n)
    ORDER BY n
    RETURNING id
"""
