"""Canvassing results: door knocks from phones, paper sheets and uploads, fed into profiles.

A door knock: routers/sync -> `phone_sync.sync` (check each item) -> `record.record` (the one
writer of contacts, exactly once by client_id) -> `profile_updates.apply` (answers into the
profiles by event time).

Entry points:
- `phone_sync.sync`: a phone's batch of results.
- `paper_entry.enter_for_list`: walk-sheet lines typed in by data entry.
- `results_upload.import_canvass_results`: the same as a CSV import job.
- `history.history`: a person's contacts, oldest first.

All modules touch the database except the pure helpers in `profile_updates` (`option_facts`).
"""
