"""Who a canvass targets: the people nobody ever knocks for, and the organizer's filters, as
SQL predicates over `person p` and `household h`.

One definition, used wherever doors are counted or listed for a canvass: the walk-list build
and the turf cut (which balances turfs by the doors a list on them would hold).
"""

from typing import Any

from app.schemas.walk_lists import WalkListFilters

# Never knocked for, whatever the filters: a door reported as a wrong address, and people who
# have died, moved away or asked not to be contacted.
NEVER_CANVASSED = "NOT h.wrong_address AND NOT p.deceased AND NOT p.moved AND NOT p.do_not_contact"

_AGE = """CASE WHEN p.birth_date IS NOT NULL THEN date_part('year', age(current_date, p.birth_date))
               ELSE date_part('year', current_date) - p.birth_year END"""


def filter_predicates(f: WalkListFilters) -> tuple[str, dict[str, Any]]:
    """SQL conditions and their parameters for the filters (always-excluded people aside)."""
    sql: list[str] = []
    params: dict[str, Any] = {}
    if not f.include_volunteers:
        sql.append("NOT p.is_volunteer")
    if f.not_contacted_days:
        recent = "now() - make_interval(days => :days)"
        sql.append(f"(p.last_contacted_at IS NULL OR p.last_contacted_at < {recent})")
        params["days"] = f.not_contacted_days
    if f.support_levels is not None:
        levels = [v for v in f.support_levels if v != "unknown"]
        unknown = "unknown" in f.support_levels
        sql.append(
            "(p.support_level = ANY(CAST(:levels AS int[]))"
            + (" OR p.support_level IS NULL)" if unknown else ")")
        )
        params["levels"] = levels
    if f.parties is not None:
        sql.append("upper(p.party) = ANY(CAST(:parties AS text[]))")
        params["parties"] = [x.strip().upper() for x in f.parties]
    if f.sexes is not None:
        sql.append("upper(p.sex) = ANY(CAST(:sexes AS text[]))")
        params["sexes"] = [x.strip().upper() for x in f.sexes]
    if f.age_min is not None:
        sql.append(f"({_AGE}) >= :age_min")
        params["age_min"] = f.age_min
    if f.age_max is not None:
        sql.append(f"({_AGE}) <= :age_max")
        params["age_max"] = f.age_max
    if f.tags_any is not None:
        sql.append("p.tags && CAST(:tags_any AS text[])")
        params["tags_any"] = f.tags_any
    if f.tags_none is not None:
        sql.append("NOT (p.tags && CAST(:tags_none AS text[]))")
        params["tags_none"] = f.tags_none
    return "".join(f"\n          AND {s}" for s in sql), params
