#!/usr/bin/env python3
"""`make bench`: every benchmark, one after the other, in one run; then one line per target.

Each step is a command that prints `PASS ...` or `MISS ...` lines, one per target it
checks, and may write its figures as JSON. This script runs them in order, shows their
output as it comes, and writes:
  - bench/results.json: the machine, the date, the commit, and per step its command, its
    time, its targets and its figures;
  - the summary table at the top of BENCHMARKS.md (the steps' own sections stay below it);
and ends with one line per target, PASS or MISS with the figure. A step that fails is a
MISS line of its own. The exit code is 1 only when a step failed to run.
"""
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "bench" / "raw"
VENV_PYTHON = str(ROOT / ".venv" / "bin" / "python3")

STEPS = [
    ("zoom-sim ceiling, limits off", ["bash", "scripts/bench-sim.sh"], None),
    ("Zoom client: executor pacing (1 and 4 instances), backup listing of 100,000",
     ["target/release/client-bench"], None),
    ("executor Lambda, 1 instance on the local stack, batches of 10; S3 requests per action at 1,000",
     ["target/release/executor-bench", "--batch-size", "10", "--json", "bench/raw/executor-10.json"],
     "bench/raw/executor-10.json"),
    # The stack's defaults: 5 instances (reserved concurrency and the mapping's maximum
    # concurrency), batches of 10, 10 in flight per batch, half the budget; 25 ms per AWS
    # request, 50 ms per Zoom request.
    ("executor as deployed: 5 instances, batches of 10, 25 ms AWS, 50 ms Zoom, 5,000 actions",
     ["target/release/executor-bench", "--actions", "5000", "--instances", "5", "--batch-size", "10",
      "--budget-share", "0.5", "--aws-latency-ms", "25", "--zoom-latency-ms", "50",
      "--label", "executor as deployed, 5 instances, 25 ms AWS, 50 ms Zoom", "--json", "bench/raw/executor-deployed.json"],
     "bench/raw/executor-deployed.json"),
    ("S3 requests per action at 20,000 actions (the 1,000 run's figure beside it)",
     ["target/release/executor-bench", "--actions", "20000", "--instances", "5", "--batch-size", "10",
      "--zoom-latency-ms", "0", "--min-ratio", "0", "--label", "executor, 20,000 actions",
      "--json", "bench/raw/executor-20000.json"],
     "bench/raw/executor-20000.json"),
    ("S3 requests per action, 1,000 against 20,000 actions",
     [sys.executable, "-c", "import json,sys; a=json.load(open('bench/raw/executor-10.json'))['s3_per_action']; "
      "b=json.load(open('bench/raw/executor-20000.json'))['s3_per_action']; d=abs(a-b)/max(a,b); "
      "print(('PASS' if d<=0.10 else 'MISS')+f' S3 requests per action within 10% at 1,000 and 20,000: {a:.3f} and {b:.3f}, {d*100:.1f}% apart')"],
     None),
    ("diff, 1,000,000 x 1,000,000, against Python", ["target/release/diff-bench", "--json", "bench/raw/diff.json"],
     "bench/raw/diff.json"),
    ("planner end to end, 100,000-user account", ["target/release/planner-bench", "--json", "bench/raw/planner.json"],
     "bench/raw/planner.json"),
    ("planner end to end, 1,000,000-user account, in the deployed planner's 1,024 MB",
     ["target/release/planner-bench", "--users", "1000000", "--rows", "1000000", "--max-mb", "1024",
      "--max-seconds", "600", "--max-own-seconds", "30", "--json", "bench/raw/planner-1m.json"],
     "bench/raw/planner-1m.json"),
    ("2,000 deactivations, Offboard vs the seeds' way",
     [sys.executable, "scripts/seeds_vs_offboard.py", "--json", "bench/raw/seeds.json"], "bench/raw/seeds.json"),
    ("Lambda start-up and zip size", [VENV_PYTHON, "scripts/lambda_startup.py", "--json", "bench/raw/startup.json"],
     "bench/raw/startup.json"),
]
VERDICT = re.compile(r"^(PASS|MISS) (.*)$")


def machine() -> dict:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory_gib = 0.0
    try:
        kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
        memory_gib = kb / 1024 / 1024
    except (OSError, StopIteration):
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "memory_gib": round(memory_gib, 1), "kernel": platform.release(),
            "load_average_before": os.getloadavg()}


def commit() -> str:
    """The commit measured; `-dirty` when the working tree had changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        return f"{head}-dirty" if dirty else head
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_step(name: str, command: list[str]) -> tuple[int, list[tuple[str, str]], float]:
    print(f"\n=== {name}: {' '.join(command)}", flush=True)
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    verdicts = []
    for line in process.stdout:
        print(line, end="", flush=True)
        match = VERDICT.match(line.strip())
        if match:
            verdicts.append((match.group(1), match.group(2)))
    code = process.wait()
    return code, verdicts, time.monotonic() - started


def summary_section(results: dict) -> str:
    rows = []
    for step in results["steps"]:
        shown = " ".join(step["command"]).replace(VENV_PYTHON, ".venv/bin/python3").replace(sys.executable, "python3")
        command = "`" + shown + "`"
        for target in step["targets"]:
            verdict = "PASS" if target["verdict"] == "PASS" else "**MISS**"
            rows.append(f"| {target['figure']} | {verdict} | {step['name']} | {command} |")
    m = results["machine"]
    return (
        "<!-- summary:start -->\n"
        "## Every target, one run\n\n"
        f"Command: `make bench` (`scripts/bench.py`), {results['date']}, commit {results['commit']}, "
        f"{results['seconds'] / 60:.1f} min. Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, "
        f"Linux {m['kernel']}, load average before {', '.join(f'{x:.2f}' for x in m['load_average_before'])}; "
        "shared and noisy, so the ratios (measured side by side in the same run) hold better than the times. "
        "Figures in full: `bench/results.json`; each step's own section follows.\n\n"
        "| figure (target) | verdict | benchmark | command |\n|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n<!-- summary:end -->"
    )


def write_benchmarks_md(section: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(r"<!-- summary:start -->.*?<!-- summary:end -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        head, _, rest = text.partition("\n\n")
        text = f"{head}\n\n{section}\n\n{rest}"
    path.write_text(text)


def main() -> int:
    RAW.mkdir(parents=True, exist_ok=True)
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "commit": commit(),
        "machine": machine(),
        "steps": [],
    }
    started = time.monotonic()
    failed = 0
    for name, command, figures_path in STEPS:
        code, verdicts, seconds = run_step(name, command)
        if code != 0:
            failed += 1
            verdicts.append(("MISS", f"{name}: the benchmark failed (exit {code})"))
        figures = None
        if figures_path and (ROOT / figures_path).exists() and code == 0:
            figures = json.loads((ROOT / figures_path).read_text())
        results["steps"].append({
            "name": name, "command": command, "exit_code": code, "seconds": round(seconds, 1),
            "targets": [{"verdict": v, "figure": f} for v, f in verdicts], "figures": figures,
        })
    results["seconds"] = round(time.monotonic() - started, 1)
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    write_benchmarks_md(summary_section(results))

    targets = [(t["verdict"], t["figure"]) for s in results["steps"] for t in s["targets"]]
    passed = sum(1 for v, _ in targets if v == "PASS")
    print(f"\nmake bench: {len(targets)} targets, {passed} PASS, {len(targets) - passed} MISS, "
          f"in {results['seconds'] / 60:.1f} min (bench/results.json, BENCHMARKS.md)")
    for verdict, figure in targets:
        print(f"{verdict} {figure}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
