#!/usr/bin/env bash
# Seeds fuzz/corpus/ from the test fixtures (the corpus itself is not committed).
#   bash fuzz/seed-corpus.sh && cd fuzz && cargo +nightly fuzz run roster -- -max_total_time=600 -max_len=4096
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="$here/../crates/core/tests/fixtures"
mkdir -p "$here/corpus/roster" "$here/corpus/hr_file"
find "$fixtures/rosters" -type f ! -name '*.py' | while read -r f; do
  cp "$f" "$here/corpus/roster/$(echo "${f#"$fixtures/rosters/"}" | tr '/' '_')"
done
cp "$here"/corpus/roster/* "$here/corpus/hr_file/"
# A few HR files: the date formats, ids, managers and actions parse_hr_file reads.
printf 'Employee ID,Work Email,Termination Date,Manager Email,Action\nE1,ana@acme.example,2026-11-01,boss@acme.example,\nE2,,12/24/2026,,deactivate\n,,2026-11-01,,\nE4,cy@acme.example,someday,,\nE5,di@acme.example,1.12.2026,,fire\n' >"$here/corpus/hr_file/hr-basic.csv"
printf 'email;last_day;manager\nana@acme.example;2026-12-01T17:30:00+01:00;\nbo@acme.example;2026-12-01 17:30;x@y.example\ncy@acme.example;31/31/2026;\n' >"$here/corpus/hr_file/hr-times.csv"
printf 'employee_id\teffective_date\taction\n100\t2026/02/30\tdelete\n101\t01-12-2026\tsuspend\n' >"$here/corpus/hr_file/hr-tab.tsv"
