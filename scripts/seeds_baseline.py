#!/usr/bin/env python3
"""The seeds' way, as the approach Offboard replaces: the 2017 deprovisioner's method.

Usage: seeds_baseline.py API_BASE OAUTH_URL ROSTER.csv

Reads the whole account page by page, one request after another (`GET /users`, each status,
page_size 300, `next_page_token`), matches the roster's emails, then deactivates each match
at the seeds' fixed pace: at most 10 requests per second, a one-second sleep after every ten
calls ("due to Zoom API restrictions only 10 requests per second may be processed"). Every
call counts toward the pace, the listing's too. Python's standard library only, as a script
an admin would write. Prints one JSON line: seconds, calls, deactivated, failed.
"""
import base64
import csv
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET = "sim-account", "sim-client", "sim-secret"


class SeedsPace:
    """Ten calls, then sleep a second: the seeds' rate limiting."""

    def __init__(self) -> None:
        self.calls = 0

    def call(self, request: urllib.request.Request) -> tuple[int, bytes]:
        self.calls += 1
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        if self.calls % 10 == 0:
            time.sleep(1)
        return status, body


def token(oauth_url: str) -> str:
    query = urllib.parse.urlencode({"grant_type": "account_credentials", "account_id": ACCOUNT_ID})
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    request = urllib.request.Request(f"{oauth_url}?{query}", method="POST", headers={"Authorization": f"Basic {basic}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["access_token"]


def main() -> None:
    api, oauth_url, roster_path = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(roster_path, newline="", encoding="utf-8") as f:
        wanted = {row[0].strip().lower() for row in list(csv.reader(f))[1:] if row}
    started = time.monotonic()
    bearer = {"Authorization": f"Bearer {token(oauth_url)}"}
    pace = SeedsPace()
    ids = {}
    for status in ("active", "inactive", "pending"):
        page_token = ""
        while True:
            query = {"status": status, "page_size": 300}
            if page_token:
                query["next_page_token"] = page_token
            url = f"{api}/users?{urllib.parse.urlencode(query)}"
            code, body = pace.call(urllib.request.Request(url, headers=bearer))
            if code != 200:
                raise SystemExit(f"listing failed: HTTP {code} {body[:200]!r}")
            page = json.loads(body)
            for user in page.get("users", []):
                if user.get("id"):
                    ids[user["email"].lower()] = user["id"]
            page_token = page.get("next_page_token") or ""
            if not page_token:
                break
    deactivated = failed = 0
    for email in sorted(wanted):
        user_id = ids.get(email)
        if user_id is None:
            continue
        request = urllib.request.Request(
            f"{api}/users/{user_id}/status",
            data=json.dumps({"action": "deactivate"}).encode(),
            method="PUT",
            headers={**bearer, "Content-Type": "application/json"},
        )
        code, _ = pace.call(request)
        if code == 204:
            deactivated += 1
        else:
            failed += 1
    seconds = time.monotonic() - started
    print(json.dumps({"seconds": seconds, "calls": pace.calls, "deactivated": deactivated, "failed": failed}))


if __name__ == "__main__":
    main()
