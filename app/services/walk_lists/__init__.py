"""Walk lists: a turf, a survey and filters made into a routed snapshot of doors and people.

Entry points:
- `build.create_walk_list`: select the targets, route them, insert the snapshot.
- `targeting.NEVER_CANVASSED`, `targeting.filter_predicates`: who a canvass leaves out and the
  organizer's filters, as SQL predicates (the turf cut counts doors with them too).
- `serving.payload_etag`, `serving.payload_of`, `serving.list_walk_lists`,
  `serving.visible_lists`, `serving.assign`, `serving.delete_walk_list`: who sees which list,
  the phone payload and its ETag (computed in SQL, so a 304 builds nothing).
- `progress.progress`: doors attempted, people contacted, results and answers.
- `codes.create`, `codes.exchange`, `codes.revoke`: list codes for volunteers without an
  account.
- `sheet_pdf.sheet_pdf`: the printed walk sheet.

Pure (no database): `route_planner` and `route_search` (walking order, numpy), `targeting`
(SQL text only), and `sheet_pdf.render`. The rest touches the database; the long SQL is in
`queries.py`.
"""
