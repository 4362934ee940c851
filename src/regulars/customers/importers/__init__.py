"""Importing customers and visits from CSV exports of points of sale and spreadsheets.

source.py        encoding detection and a record stream that never stops on a bad line
columns.py       header names in five languages, presets, the column map
values.py        cell parsers: phones (E.164), emails, dates, birthdays, money, waits
customer_rows.py one CSV record -> a checked CustomerRecord (or the reasons it is bad)
visit_rows.py    one CSV record -> a checked VisitRecord
services.py      every write: one transaction per batch (write_customer_batch,
                 write_visit_batch) and the audit entry of a run
runner.py        one run: read, check, write in batches, report bad rows
jobs.py          web imports: the upload, a background thread, the ImportJob row
cli.py           ``regulars import customers|visits FILE``
views.py         the import pages (owners only)
"""
