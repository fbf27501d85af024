"""Address normalisation: the key that decides which people share a door.

"12 Main Street", "12 MAIN ST" and "12 main st." must be one household, and so must
"Apt 2B", "#2b" and "Unit 2-B". The key folds case, accents, spacing and punctuation, and maps
street-type words and directions to their USPS abbreviations. Each part is memoised: a voter file
repeats the same few thousand streets, cities and units hundreds of thousands of times.
"""

import re
import unicodedata
from functools import lru_cache

# USPS Publication 28 suffixes and directionals (the common ones, plus frequent misspellings).
_WORDS = {
    "STREET": "ST", "STR": "ST", "STRT": "ST",
    "AVENUE": "AVE", "AV": "AVE", "AVEN": "AVE", "AVENU": "AVE", "AVN": "AVE",
    "ROAD": "RD", "DRIVE": "DR", "DRV": "DR", "BOULEVARD": "BLVD", "BOUL": "BLVD",
    "LANE": "LN", "PLACE": "PL", "COURT": "CT", "CRT": "CT", "TERRACE": "TER", "TERR": "TER",
    "PARKWAY": "PKWY", "PKY": "PKWY", "HIGHWAY": "HWY", "HIWAY": "HWY", "SQUARE": "SQ",
    "SQR": "SQ", "CIRCLE": "CIR", "CIRC": "CIR", "CRCL": "CIR", "ALLEY": "ALY", "ALLY": "ALY",
    "TRAIL": "TRL", "TURNPIKE": "TPKE", "EXPRESSWAY": "EXPY", "CRESCENT": "CRES",
    "HEIGHTS": "HTS", "PARK": "PARK", "PLAZA": "PLZ", "POINT": "PT", "WHARF": "WHF",
    "EXTENSION": "EXT", "CENTER": "CTR", "CENTRE": "CTR", "COVE": "CV", "GARDENS": "GDNS",
    "GREEN": "GRN", "LANDING": "LNDG", "ROW": "ROW", "WAY": "WAY", "WALK": "WALK",
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
    "NORTHEAST": "NE", "NORTHWEST": "NW", "SOUTHEAST": "SE", "SOUTHWEST": "SW",
    "SAINT": "ST", "MOUNT": "MT", "FORT": "FT",
}  # fmt: skip
_UNIT_DESIGNATORS = {
    "APT",
    "APARTMENT",
    "UNIT",
    "STE",
    "SUITE",
    "NO",
    "NUM",
    "NUMBER",
    "RM",
    "ROOM",
}
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")


def _fold(value: str) -> str:
    """Upper case, accents removed, every run of punctuation or space made one space."""
    value = unicodedata.normalize("NFKD", value)
    value = "".join(c for c in value if not unicodedata.combining(c))
    return _NOT_ALNUM.sub(" ", value.upper()).strip()


@lru_cache(maxsize=65536)
def street_key(street: str) -> str:
    """ "Main Street", "MAIN ST." and "main st" are one street: folded, USPS abbreviations."""
    return " ".join(_WORDS.get(word, word) for word in _fold(street).split())


@lru_cache(maxsize=65536)
def unit_key(unit: str) -> str:
    """ "Apt 2B", "#2b" and "Unit 2-B" are one unit: designators dropped, folded, no spaces."""
    words = _fold(unit).split()
    while words and words[0] in _UNIT_DESIGNATORS:
        words = words[1:]
    return "".join(words)


@lru_cache(maxsize=65536)
def house_key(number: str, suffix: str) -> str:
    """'12', 'A' and '12A' and '12-a' are the same house number."""
    return _fold(number + suffix).replace(" ", "")


@lru_cache(maxsize=4096)
def city_key(city: str) -> str:
    """A city name folded (case, accents, punctuation, spacing)."""
    return _fold(city)


def zip_key(zip_code: str) -> str:
    """ZIP+4 and ZIP5 of the same door must match: keep the five digits."""
    return zip_code.strip()[:5]


def address_key(number: str, suffix: str, street: str, unit: str, city: str, zip_code: str) -> str:
    """The key that decides who shares a door: house, street, unit, city and ZIP5, normalised."""
    return (
        f"{house_key(number, suffix)}|{street_key(street)}|{unit_key(unit)}"
        f"|{city_key(city)}|{zip_key(zip_code)}"
    )
