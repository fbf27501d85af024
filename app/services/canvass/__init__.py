"""Canvassing results: door knocks from phones, paper sheets and uploads, fed into profiles.

A door knock: routers/sync -> `phone_sync.sync` (each item checked alone, into a
`record.ContactDraft`) -> `record.record` (the one writer of contacts, exactly once by
client_id) -> `profile_updates.apply` (answers into the profiles by event time).

Entry points:
- `phone_sync.sync`: a phone's batch of results.
- `paper_entry.enter_for_list`: walk-sheet lines typed in by data entry.
- `results_upload.import_canvass_results`: the same as a CSV import job.
- `history.history`: a person's contacts, oldest first.
- `answers`: a survey's questions (`load_questions`), and the one check of an answer against
  its question's kind, for phones (`answer_problem`) and sheets (`answer_from_sheet`).

Pure (no database): `answers.answer_problem`, `answers.answer_from_sheet`, and
`profile_updates.option_facts`. Everything else reads or writes the database; the long SQL is
in `queries.py`.
"""
