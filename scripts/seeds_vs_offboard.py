#!/usr/bin/env python3
"""2,000 deactivations, the seeds' way and Offboard's, against the same simulator in the same run.

Usage: seeds_vs_offboard.py [--users 20000] [--count 2000] [--json FILE]

Starts the release zoom-sim (rate plan Business: Light 80/s, Medium 60/s; 20 ms latency), picks
`--count` active plain members, and times, from start to exit:
  1. scripts/seeds_baseline.py: the account read page by page, then a fixed 10 requests/s
     with a one-second sleep after every ten calls;
  2. `offboard apply --yes --approve-hold` on the same roster (backup, plan, then the
     actions at the rate limit, at Offboard's default budget share of 0.8), with a policy
     that asks for the same work: no meetings check, no SSO revoke.
The simulator is reset between the two. Both must deactivate all of them. Prints both
times, their ratio and a PASS or MISS line (target: Offboard at least 5 times faster).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 5.0


def get_json(url: str, method: str = "GET") -> dict:
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
    return json.loads(body) if body else {}


def deactivated(base: str) -> int:
    operations = get_json(f"{base}/_sim/operations")["operations"]
    return sum(1 for op in operations if op["op"] == "deactivate" and op["applied"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--json")
    args = parser.parse_args()

    sim = subprocess.Popen(
        [str(ROOT / "target/release/zoom-sim"), "--port", "0", "--users", str(args.users), "--seed", "3",
         "--rate-plan", "business", "--latency-ms", "20"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        base = sim.stdout.readline().strip()
        api, oauth = f"{base}/v2", f"{base}/oauth/token"
        users = get_json(f"{base}/_sim/users")["users"]
        chosen = [u["email"] for u in users if u["status"] == "active" and u["plain_member"]][: args.count]
        if len(chosen) < args.count:
            raise SystemExit(f"only {len(chosen)} plain active members in the account")
        work = Path(tempfile.mkdtemp(prefix="offboard-seeds-bench-"))
        roster = work / "leavers.csv"
        roster.write_text("email\n" + "\n".join(chosen) + "\n")
        policy = work / "policy.json"
        policy.write_text(json.dumps({"upcoming_meetings": "ignore", "revoke_sso_first": False}))

        started = time.monotonic()
        baseline = subprocess.run(
            [sys.executable, str(ROOT / "scripts/seeds_baseline.py"), api, oauth, str(roster)],
            check=True, capture_output=True, text=True,
        )
        baseline_seconds = time.monotonic() - started
        baseline_figures = json.loads(baseline.stdout)
        baseline_done = deactivated(base)

        get_json(f"{base}/_sim/reset", method="POST")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "ZOOM_ACCOUNT_ID": "sim-account", "ZOOM_CLIENT_ID": "sim-client", "ZOOM_CLIENT_SECRET": "sim-secret",
        }
        started = time.monotonic()
        offboard = subprocess.run(
            [str(ROOT / "target/release/offboard"), "--zoom-url", api, "--oauth-url", oauth, "--policy", str(policy),
             "--state-dir", str(work / "runs"), "apply", "--roster", str(roster), "--yes", "--approve-hold"],
            env=env, capture_output=True, text=True,
        )
        offboard_seconds = time.monotonic() - started
        if offboard.returncode != 0:
            raise SystemExit(f"offboard apply exited {offboard.returncode}: {offboard.stderr[-2000:]}")
        offboard_done = deactivated(base)
    finally:
        sim.terminate()
        sim.wait()

    ratio = baseline_seconds / offboard_seconds
    figures = {
        "deactivations": args.count,
        "baseline_seconds": baseline_seconds, "baseline_calls": baseline_figures["calls"],
        "baseline_deactivated": baseline_done,
        "offboard_seconds": offboard_seconds, "offboard_deactivated": offboard_done,
        "ratio": ratio,
    }
    print(f"seeds' way: {baseline_seconds:.1f} s for {baseline_done} deactivations ({baseline_figures['calls']} calls)")
    print(f"offboard apply: {offboard_seconds:.1f} s for {offboard_done} deactivations (backup and plan included)")
    if baseline_done != args.count or offboard_done != args.count:
        print(f"MISS 2,000 deactivations vs the seeds' way: not the same work ({baseline_done} and {offboard_done})")
    else:
        verdict = "PASS" if ratio >= TARGET_RATIO else "MISS"
        print(f"{verdict} 2,000 deactivations vs the seeds' way: offboard {offboard_seconds:.1f} s, "
              f"seeds {baseline_seconds:.1f} s = {ratio:.1f}x faster (target >= {TARGET_RATIO:.0f}x)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
