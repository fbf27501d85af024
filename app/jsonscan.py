"""Reading a JSON text's structure without parsing it: vectorised passes over its bytes (numpy),
a few milliseconds a megabyte, no Python objects made, no recursion.

Parsing JSON holds the GIL for as long as it takes (4 MB of coordinates: over 100 ms), and
nothing else in the process runs meanwhile. These scans let the server refuse what it would not
use before paying for it: bodies nested too deep (`json_depth`), and in a FeatureCollection, the
features with more vertices than allowed (`feature_slices`), which are then never parsed.
"""

import itertools
from dataclasses import dataclass

import numpy as np

_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN = (ord("["), ord("{"))
_CLOSE = (ord("]"), ord("}"))
_WHITESPACE = (ord(" "), ord("\t"), ord("\n"), ord("\r"))


def real_quotes(data: np.ndarray, body: bytes) -> np.ndarray:
    """Offsets of the quotes that open or close strings: those not escaped by an odd run of
    backslashes before them (one pass per backslash of the longest run)."""
    quotes = np.flatnonzero(data == _QUOTE)
    if b"\\" not in body or quotes.size == 0:
        return quotes
    escaped = np.zeros(quotes.size, dtype=bool)
    in_run = np.ones(quotes.size, dtype=bool)
    back = 1
    while True:
        before = quotes - back
        in_run &= (before >= 0) & (data[np.maximum(before, 0)] == _BACKSLASH)
        if not in_run.any():
            return quotes[~escaped]
        escaped ^= in_run
        back += 1


@dataclass
class Structure:
    """The brackets and commas of a JSON text that stand outside strings."""

    data: np.ndarray
    offsets: np.ndarray  # of each bracket or comma, in order
    depth: np.ndarray  # the nesting just after each: inside an opening bracket, outside a closing

    @classmethod
    def of(cls, body: bytes, commas: bool = False) -> "Structure":
        data = np.frombuffer(body, dtype=np.uint8)
        opening = np.isin(data, _OPEN)
        wanted = opening | np.isin(data, _CLOSE)
        if commas:
            wanted |= data == ord(",")
        offsets = np.flatnonzero(wanted)
        quotes = real_quotes(data, body)
        if quotes.size:
            offsets = offsets[np.searchsorted(quotes, offsets) % 2 == 0]
        chars = data[offsets]
        step = np.where(np.isin(chars, _OPEN), 1, np.where(np.isin(chars, _CLOSE), -1, 0))
        return cls(data, offsets, np.cumsum(step))


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text."""
    structure = Structure.of(body)
    return int(structure.depth.max()) if structure.depth.size else 0


def _next_non_space(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The byte after each offset, skipping whitespace (0 at the end of the text)."""
    solid = np.flatnonzero(~np.isin(data, _WHITESPACE))
    at = np.searchsorted(solid, offsets + 1)
    return np.where(at < solid.size, data[solid[np.minimum(at, solid.size - 1)]], 0)


@dataclass
class FeatureSlices:
    """A FeatureCollection cut into the bytes of its envelope (with `"features": []`) and of
    each feature, with the positions (innermost arrays) each feature holds."""

    envelope: bytes
    features: list[bytes]
    positions: list[int]


def feature_slices(body: bytes) -> FeatureSlices | None:
    """The body cut at its features, when it is an object with a top-level `"features"`
    array; None otherwise (the caller parses it whole and reports what is wrong)."""
    structure = Structure.of(body, commas=True)
    data, offsets, depth = structure.data, structure.offsets, structure.depth
    if not offsets.size or data[offsets[0]] != ord("{") or depth[-1] != 0:
        return None
    start = _features_array(body, structure)
    if start is None:
        return None
    i = int(np.searchsorted(offsets, start))
    closing = np.flatnonzero((depth[i + 1 :] == 1) & (data[offsets[i + 1 :]] == ord("]")))
    if not closing.size:
        return None
    j = i + 1 + int(closing[0])
    inner = slice(i + 1, j)
    cuts = offsets[inner][(depth[inner] == 2) & (data[offsets[inner]] == ord(","))]
    bounds = [start + 1, *(cuts + 1).tolist(), int(offsets[j]) + 1]
    features = [body[a : b - 1] for a, b in itertools.pairwise(bounds)]
    if len(features) == 1 and not features[0].strip():
        features = []
    # positions: the arrays whose first element is not an array (empty ones aside)
    opens = offsets[inner][data[offsets[inner]] == ord("[")]
    leaves = opens[~np.isin(_next_non_space(data, opens), (ord("["), ord("]")))]
    counts = np.diff(np.searchsorted(leaves, np.asarray(bounds) - 1))
    envelope = body[: start + 1] + body[int(offsets[j]) :]
    return FeatureSlices(envelope, features, [int(c) for c in counts[: len(features)]])


def _features_array(body: bytes, structure: Structure) -> int | None:
    """The offset of the `[` of the top-level "features" member, if there is one."""
    offsets, depth = structure.offsets, structure.depth
    found = body.find(b'"features"')
    while found != -1:
        k = int(np.searchsorted(offsets, found))
        # at depth 1 (inside the outer object only), and a key: followed by a colon
        level = int(depth[k - 1]) if k else 0
        rest = body[found + len(b'"features"') :].lstrip()
        if level == 1 and rest.startswith(b":") and rest[1:].lstrip().startswith(b"["):
            return len(body) - len(rest[1:].lstrip())
        found = body.find(b'"features"', found + 1)
    return None
