#!/usr/bin/env python3
"""The diff the plain way: Python's csv module and a dict, as a script an admin would write.

Usage: diff_baseline.py ROSTER.csv SNAPSHOT.csv

The snapshot (the backup CSV Offboard writes) is loaded first and not timed, as Offboard's
bench holds its snapshot in memory before timing. Timed: reading the roster, normalizing
each email, indexing the snapshot by email, and deciding per row (deactivate an active
user, skip inactive, pending, unknown, invalid and duplicate rows). Prints one JSON line.
"""
import csv
import json
import sys
import time


def main() -> None:
    roster_path, snapshot_path = sys.argv[1], sys.argv[2]
    with open(snapshot_path, newline="", encoding="utf-8") as f:
        users = list(csv.DictReader(f))

    started = time.perf_counter()
    by_email = {u["email"].strip().lower(): u for u in users}
    actions, skipped, seen = [], [], {}
    with open(roster_path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader)
        column = 0
        for i, name in enumerate(header):
            if name.strip().lower().replace("-", "").replace("_", "") in ("email", "emailaddress", "mail"):
                column = i
                break
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            email = row[column].strip().lower() if column < len(row) else ""
            if "@" not in email or " " in email:
                skipped.append((line, email, "invalid_email"))
                continue
            if email in seen:
                skipped.append((line, email, "duplicate"))
                continue
            seen[email] = line
            user = by_email.get(email)
            if user is None:
                skipped.append((line, email, "not_in_account"))
            elif user["status"] == "inactive":
                skipped.append((line, email, "already_inactive"))
            elif user["status"] == "pending":
                skipped.append((line, email, "pending_invitation"))
            else:
                actions.append((line, user["id"], email, "deactivate"))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "actions": len(actions), "skipped": len(skipped)}))


if __name__ == "__main__":
    main()
