"""Geography: precincts and turfs, the areas that doors are counted and canvassed in.

Entry points:
- `precincts.import_precincts` (GeoJSON, upsert by code), `precincts.list_precincts`,
  `precincts.get_precinct`, `precincts.assign_household_precincts` (point in polygon).
- `turfs.create_turf` (from precincts or a drawn polygon), `turfs.list_turfs`, `turfs.get_turf`,
  `turfs.delete_turf`, `turfs.owned_precincts`.

Both modules touch the database; GeoJSON <-> shapely <-> PostGIS conversions live in `app.geo`.
"""
