"""The voter file's columns and the checks on their cells, vectorised with Arrow compute.

Each check is a boolean mask over a batch of rows plus the wording of its failure; only the
failing rows ever reach Python, to have their message formatted.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from app.services.voter_file.addresses import city_key, house_key, street_key, unit_key, zip_key

REQUIRED = ("voter_id", "first_name", "last_name", "house_number", "street")
OPTIONAL = (
    "middle_name", "suffix", "birth_date", "birth_year", "sex", "party", "phone", "email",
    "house_suffix", "unit", "city", "state", "zip", "lon", "lat", "precinct_code",
)  # fmt: skip
KNOWN = REQUIRED + OPTIONAL
# The longest value of each text column (as PATCH /people allows); longer is a bad cell.
MAX_LENGTH = {
    "first_name": 200, "middle_name": 200, "last_name": 200, "street": 200, "city": 200,
    "phone": 32, "email": 320,
}  # fmt: skip
MAX_OTHER_LENGTH = 100
MAX_CUSTOM_LENGTH = 1000
EARLIEST_BIRTH_YEAR = 1900  # as PATCH /people: nobody on a voter roll was born earlier
# Staging types of the columns that are not text.
TYPES = {"birth_date": "date", "birth_year": "int", "lon": "float8", "lat": "float8"}

_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_YEAR_RE = r"^\d{4}$"
_NUMBER_RE = r"^[-+]?(\d{1,20}(\.\d*)?|\.\d+)([eE][-+]?\d{1,2})?$"

Columns = dict[str, pa.Array]


@dataclass
class Check:
    """One column's failing rows (a mask) and how to word each failure from the cell."""

    column: str
    mask: pa.Array
    message: Callable[[str], str]


def null_empty(column: pa.Array) -> pa.Array:
    """Empty cells as nulls: an empty column value means "not given"."""
    return pc.if_else(pc.equal(column, ""), None, column)


def _date_checks(text: pa.Array, today: date) -> tuple[pa.Array, list[Check]]:
    given = pc.not_equal(text, "")
    shaped = pc.match_substring_regex(text, _DATE_RE)
    parsed = pc.strptime(
        pc.if_else(shaped, text, None), format="%Y-%m-%d", unit="s", error_is_null=True
    )
    birth_date = parsed.cast(pa.date32())
    # strptime rolls 2020-02-30 over to March 1st: the day must survive the round trip.
    day_given = pc.if_else(shaped, pc.utf8_slice_codeunits(text, 8, 10), None).cast(pa.int64())
    real_day = pc.fill_null(pc.equal(pc.day(parsed), day_given), False)
    future = pc.greater(birth_date, pa.scalar(today, pa.date32()))
    return birth_date, [
        Check("birth_date", pc.and_(given, pc.invert(shaped)),
              lambda v: f"invalid date {v!r}; expected YYYY-MM-DD"),
        Check("birth_date", pc.and_(shaped, pc.invert(real_day)),
              lambda v: f"invalid date {v!r}: no such day"),
        Check("birth_date", pc.less(pc.year(birth_date), EARLIEST_BIRTH_YEAR),
              lambda v: f"birth date {v!r} is before {EARLIEST_BIRTH_YEAR}"),
        Check("birth_date", future, lambda v: f"birth date {v!r} is in the future"),
    ]  # fmt: skip


def _year_checks(text: pa.Array, today: date) -> tuple[pa.Array, list[Check]]:
    shaped = pc.match_substring_regex(text, _YEAR_RE)
    year = pc.if_else(shaped, text, None).cast(pa.int32())
    out_of_range = pc.or_(pc.less(year, EARLIEST_BIRTH_YEAR), pc.greater(year, today.year))
    return year, [
        Check("birth_year", pc.and_(pc.not_equal(text, ""), pc.invert(shaped)),
              lambda v: f"invalid year {v!r}; expected four digits"),
        Check("birth_year", out_of_range, lambda v: f"year {v} out of range"),
    ]  # fmt: skip


def _coordinate_checks(
    cols: Columns, name: str, other: str, bound: int
) -> tuple[pa.Array, list[Check]]:
    text = cols[name]
    given, other_given = pc.not_equal(text, ""), pc.not_equal(cols[other], "")
    shaped = pc.match_substring_regex(text, _NUMBER_RE)
    number = pc.if_else(shaped, text, None).cast(pa.float64())
    return number, [
        Check(name, pc.and_(pc.invert(given), other_given),
              lambda _v: f"{other} is given without {name}"),
        Check(name, pc.and_(given, pc.invert(shaped)), lambda v: f"not a number: {v!r}"),
        Check(name, pc.greater(pc.abs(number), bound),
              lambda v: f"{name} {v} out of range [-{bound}, {bound}]"),
    ]  # fmt: skip


def too_long(column: pa.Array, limit: int) -> pa.Array:
    """The cells longer than `limit` characters."""
    return pc.greater(pc.utf8_length(column), limit)


def _length_check(cols: Columns, name: str) -> Check:
    limit = MAX_LENGTH.get(name, MAX_OTHER_LENGTH)
    return Check(name, too_long(cols[name], limit), lambda _v: f"longer than {limit} characters")


def typed_cells(cols: Columns, today: date) -> tuple[Columns, list[Check]]:
    """The typed columns (birth_date, birth_year, lon, lat) and every check of a batch."""
    checks = [
        Check(name, pc.equal(cols[name], ""), lambda _v: "required value is empty")
        for name in REQUIRED
    ]
    checks += [_length_check(cols, name) for name in KNOWN if name not in TYPES]
    birth_date, date_checks = _date_checks(cols["birth_date"], today)
    birth_year, year_checks = _year_checks(cols["birth_year"], today)
    lon, lon_checks = _coordinate_checks(cols, "lon", "lat", 180)
    lat, lat_checks = _coordinate_checks(cols, "lat", "lon", 90)
    typed = {
        "birth_date": birth_date,
        "birth_year": pc.coalesce(birth_year, pc.year(birth_date).cast(pa.int32())),
        "lon": lon,
        "lat": lat,
    }
    return typed, checks + date_checks + year_checks + lon_checks + lat_checks


def _map_unique(column: pa.Array, fn: Callable[[str], str]) -> pa.Array:
    """Apply a Python function once per distinct value, then spread the results back."""
    encoded = column.dictionary_encode()
    mapped = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return mapped.take(encoded.indices)


def address_keys(cols: Columns) -> pa.Array:
    """The household key of each row (see services.addresses), computed per distinct part."""
    house = pc.binary_join_element_wise(cols["house_number"], cols["house_suffix"], "\x1f")
    parts = [
        _map_unique(house, lambda v: house_key(*v.split("\x1f"))),
        _map_unique(cols["street"], street_key),
        _map_unique(cols["unit"], unit_key),
        _map_unique(cols["city"], city_key),
        _map_unique(cols["zip"], zip_key),
    ]
    return pc.binary_join_element_wise(*parts, "|")
