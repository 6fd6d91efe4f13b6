#!/usr/bin/env bash
# Seeds fuzz/corpus/ from the test fixtures and a handful of small valid workbooks (the
# corpus itself is not committed). Needs python3 (standard library only).
#   bash fuzz/seed-corpus.sh && cd fuzz && cargo +nightly fuzz run roster -- -max_total_time=600 -max_len=4096
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="$here/../crates/core/tests/fixtures"
mkdir -p "$here/corpus/roster" "$here/corpus/hr_file" "$here/corpus/workbook"
find "$fixtures/rosters" -type f ! -name '*.py' | while read -r f; do
  cp "$f" "$here/corpus/roster/$(echo "${f#"$fixtures/rosters/"}" | tr '/' '_')"
done
cp "$fixtures/../regressions/date-out-of-range.xlsx" "$here/corpus/roster/regression_date-out-of-range.xlsx"
# The hostile workbook that is small enough to mutate (the 32 KB shared-strings bomb is not).
cp "$fixtures/workbooks/wide.xlsx" "$here/corpus/roster/hostile_wide.xlsx"
cp "$fixtures/workbooks/fuzz-crash-cell-reference.xlsx" "$here/corpus/roster/regression_fuzz-crash-cell-reference.xlsx"
cp "$here"/corpus/roster/* "$here/corpus/hr_file/"
# A few HR files: the date formats, ids, managers and actions parse_hr_file reads.
printf 'Employee ID,Work Email,Termination Date,Manager Email,Action\nE1,ana@acme.example,2026-11-01,boss@acme.example,\nE2,,12/24/2026,,deactivate\n,,2026-11-01,,\nE4,cy@acme.example,someday,,\nE5,di@acme.example,1.12.2026,,fire\n' >"$here/corpus/hr_file/hr-basic.csv"
printf 'email;last_day;manager\nana@acme.example;2026-12-01T17:30:00+01:00;\nbo@acme.example;2026-12-01 17:30;x@y.example\ncy@acme.example;31/31/2026;\n' >"$here/corpus/hr_file/hr-times.csv"
printf 'employee_id\teffective_date\taction\n100\t2026/02/30\tdelete\n101\t01-12-2026\tsuspend\n' >"$here/corpus/hr_file/hr-tab.tsv"

# Small valid workbooks, each twice: as a real .xlsx (deflated, for `roster` and `hr_file`)
# and as the `workbook` target's input (the sheet, shared strings and styles XML joined
# by NUL bytes, which that target zips itself).
python3 - "$here/corpus" <<'PY'
import sys, zipfile

corpus = sys.argv[1]
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
HEAD = f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>'
TAIL = "</sheetData></worksheet>"
CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/></Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>')
BOOK = (f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Leavers" sheetId="1" r:id="rId1"/></sheets></workbook>')
BOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
             'Target="worksheets/sheet1.xml"/></Relationships>')
# A date format (numFmtId 14) as style 1, so a number in a cell with s="1" is a date.
STYLES = (f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {NS}><fonts count="1"><font><sz val="11"/>'
          '<name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
          '<borders count="1"><border/></borders><cellXfs count="2"><xf numFmtId="0" fontId="0"/>'
          '<xf numFmtId="14" fontId="0" applyNumberFormat="1"/></cellXfs></styleSheet>')

def sst(*strings):
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    return f'<?xml version="1.0" encoding="UTF-8"?><sst {NS} count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'

def s(ref, index):
    return f'<c r="{ref}" t="s"><v>{index}</v></c>'

def inline(ref, text):
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'

def row(number, *cells):
    return f'<row r="{number}">{"".join(cells)}</row>'

SEEDS = {
    # The header names the column; shared strings; a blank row 3.
    "email-header": (row(1, s("A1", 0), s("B1", 1)) + row(2, s("A2", 2), s("B2", 3)) + row(4, s("A4", 4), s("B4", 3)),
                     sst("Name", "Email", "Ana Lopez", "ana.lopez@acme.example", "Bo Chen"), None),
    # The 2017 layout: any header, emails in column 1, inline strings.
    "2017-layout": (row(1, inline("A1", "Users to remove")) + row(2, inline("A2", "ana@acme.example"))
                    + row(3, inline("A3", "Bo@Acme.example ")), None, None),
    # A bare list, no header row, far-apart rows.
    "bare-list": (row(1, inline("A1", "ana@acme.example")) + row(70000, inline("A70000", "bo@acme.example")), None, None),
    # Managers in column 1, the people in an `Employee Email` column.
    "manager-employee": (row(1, inline("A1", "Manager Email"), inline("B1", "Employee Email"))
                         + row(2, inline("A2", "boss@acme.example"), inline("B2", "ana@acme.example")), None, None),
    # No email header, addresses in two columns: refused.
    "ambiguous": (row(1, inline("A1", "Supervisor"), inline("B1", "Departing employee"))
                  + row(2, inline("A2", "boss@acme.example"), inline("B2", "ana@acme.example")), None, None),
    # An HR file: a date-formatted day number, a number, a boolean and an error cell.
    "hr-dates": (row(1, inline("A1", "email"), inline("B1", "termination_date"), inline("C1", "employee_id"),
                     inline("D1", "manager"), inline("E1", "action"))
                 + row(2, inline("A2", "ana@acme.example"), '<c r="B2" s="1"><v>46000</v></c>', '<c r="C2"><v>1001</v></c>',
                       '<c r="D2" t="b"><v>1</v></c>', '<c r="E2" t="e"><v>#N/A</v></c>')
                 + row(3, '<c r="C3"><v>1002.5</v></c>', '<c r="B3" t="str"><v>2026-12-01</v></c>'), None, STYLES),
}

for name, (rows, shared, styles) in SEEDS.items():
    sheet = HEAD + rows + TAIL
    for target in ("roster", "hr_file"):
        with zipfile.ZipFile(f"{corpus}/{target}/valid-{name}.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
            for part, text in [("[Content_Types].xml", CT), ("_rels/.rels", RELS), ("xl/workbook.xml", BOOK),
                               ("xl/_rels/workbook.xml.rels", BOOK_RELS), ("xl/worksheets/sheet1.xml", sheet),
                               ("xl/sharedStrings.xml", shared), ("xl/styles.xml", styles)]:
                if text is not None:
                    z.writestr(zipfile.ZipInfo(part, date_time=(2026, 1, 1, 0, 0, 0)), text, zipfile.ZIP_DEFLATED)
    parts = [sheet, shared or "", styles or ""]
    while parts and parts[-1] == "":
        parts.pop()
    with open(f"{corpus}/workbook/{name}", "wb") as f:
        f.write(b"\0".join(p.encode() for p in parts))
PY
# The `workbook` target's crash (a sheet whose cell reference overflows calamine), kept.
cp "$fixtures/workbooks/fuzz-crash-cell-reference.sheet.xml" "$here/corpus/workbook/regression-cell-reference"
