"""Generates date-out-of-range.xlsx, a regression input of crates/core/tests/regressions.rs.

Regenerate (from this directory) with a throwaway venv:

    python3 -m venv /tmp/xl && /tmp/xl/bin/pip install openpyxl
    /tmp/xl/bin/python make_xlsx.py

A well-formed workbook whose row 2 has a date-formatted cell holding day number 1e9,
far past year 9999 (Excel shows it as ####). Reading it used to panic in
table.rs `excel_serial_to_iso` (jiff's `Span::days` is out of range past 7,304,484 days).
"""

import datetime

from openpyxl import Workbook

workbook = Workbook()
sheet = workbook.active
sheet.append(["Email", "Termination Date"])
sheet.append(["ana.lopez@acme.example", 1e9])
sheet["B2"].number_format = "yyyy-mm-dd"
sheet.append(["bo.chen@acme.example", -1e9])
sheet["B3"].number_format = "yyyy-mm-dd"
fixed = datetime.datetime(2026, 1, 1)
workbook.properties.created = fixed
workbook.properties.modified = fixed
workbook.save("date-out-of-range.xlsx")
