"""The voter file: people, their doors (households) and their imported data.

Entry points:
- `importer.import_voters`: a CSV file into people and households (COPY into staging, then
  set-based upserts by external voter id); bad rows are reported by line and column.
- `people.list_people`, `people.get_person`, `people.patch_person`, `people.add_tag`,
  `people.remove_tag`: search, one profile, hand corrections.

Pure (no database): `csv_reader` (CSV into typed Arrow batches), `quotes` (where records start,
read from the quotes in linear time), `cell_checks` (the columns and their vectorised checks),
`addresses` (the normalised address key that decides who shares a
door). `importer` and `people` touch the database.
"""
