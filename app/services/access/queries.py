"""The SQL of the throttle (`auth_failure`: not tenant-owned, keyed by hashes)."""

# For each key: how long until it has fewer than `lim` failures in its window, or NULL when
# it has fewer already. The lim-th newest failure in the window leaves it after `win` s.
THROTTLE_WAITS = """
SELECT extract(epoch FROM (
           SELECT f.at FROM auth_failure f
           WHERE f.key = k.key AND f.at > now() - make_interval(secs => k.win)
           ORDER BY f.at DESC
           OFFSET k.lim - 1 LIMIT 1
       ) + make_interval(secs => k.win) - now()) AS wait_s
FROM unnest(CAST(:keys AS bytea[]), CAST(:limits AS int[]), CAST(:windows AS int[]))
     AS k(key, lim, win)
"""

RECORD_FAILURE = """
WITH stale AS (
    DELETE FROM auth_failure
    WHERE key = ANY(CAST(:keys AS bytea[])) AND at < now() - make_interval(secs => :horizon)
)
INSERT INTO auth_failure (key) SELECT unnest(CAST(:keys AS bytea[]))
"""

PRUNE_FAILURES = "DELETE FROM auth_failure WHERE at < now() - make_interval(secs => :horizon)"

FORGET_FAILURES = "DELETE FROM auth_failure WHERE key = ANY(CAST(:keys AS bytea[]))"
