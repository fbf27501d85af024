"""Automatic turf cutting: an area's doors into balanced, compact, one-piece turfs.

Entry points:
- `service.cut`: the API's call. Reads the area and its doors from the database, runs the cut
  in a worker thread, and saves the turfs (or previews them).
- `cutter.cut_turfs`: the cut itself, on arrays of door coordinates and a shapely area.

Pure (no database, no I/O; safe in a worker thread): `cutter`, `partition` (balanced Lloyd on
door locations), `shapes` (Voronoi cells merged per turf, their adjacency), `repair` (stray
pieces and balance fixed on the cells' graph), `metrics` (the figures reported), `budget` (a
time limit and a cancel flag the loops check, so a cut in a worker thread can be stopped).
Only `service` touches the database.
"""
