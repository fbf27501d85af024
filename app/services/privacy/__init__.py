"""Data protection: the audit log, erasure and access on a person's request.

Entry points:
- `audit.record`: append one entry to the audit log in the request's transaction (who, which
  campaign, when, the action, the object's type and ids, a detail without personal data);
  `audit.entries`: a page of the log for admins (`GET /audit`).
- `erasure.erase_person`: erase a person's personal data and free text, keeping the anonymised
  history so that counts and progress stay true (`DELETE /people/{id}`).
- `export.export_person`: everything held about a person as one document
  (`GET /people/{id}/export`).

Every module touches the database through the session it is given, and none commits: `audit`
(one INSERT per entry; the ORM for reading), `erasure` and `export` (SQL in `queries.py`).
`erasure.name_pattern` is pure.
"""
