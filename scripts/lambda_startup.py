#!/usr/bin/env python3
"""Lambda start-up and package size, for each function binary.

Usage: .venv/bin/python3 scripts/lambda_startup.py [--runs 5] [--json FILE]

For `planner` and `executor` (the release binaries): the time from the process's start to
its first `GET /2018-06-01/runtime/invocation/next` on a Runtime API served here, with its
init done as in AWS (the SDK clients, the settings, the Zoom app's credentials read from
SSM: moto's server, on 127.0.0.1). The median of `--runs` starts. And the size of its
deployment zip: the binary as `bootstrap`, deflated, as `cargo lambda build
--output-format zip` packages it (these are the x86_64 release binaries; `make deploy`
builds arm64 ones with the same profile).

Targets: start-up at most 100 ms; zip at most 15 MB. Needs boto3 (in .venv with moto).
"""
import argparse
import http.server
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
MAX_START_MS = 100.0
MAX_ZIP_MB = 15.0
PARAMS = {"/offboard/zoom/account-id": "sim-account", "/offboard/zoom/client-id": "sim-client",
          "/offboard/zoom/client-secret": "sim-secret"}


class RuntimeApi(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.first_next = threading.Event()
        self.at = 0.0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.endswith("/runtime/invocation/next") and not self.server.first_next.is_set():
            self.server.at = time.monotonic()
            self.server.first_next.set()
        # No invocation is ever handed out: the process is stopped once it asked.
        self.server.first_next.wait()
        time.sleep(5)

    def log_message(self, *args) -> None:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    moto = subprocess.Popen([sys.executable, str(ROOT / "tests/moto_server.py"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return moto, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    moto.kill()
    raise SystemExit("moto's server did not start")


def start_up_ms(binary: Path, env: dict) -> float:
    api = RuntimeApi()
    threading.Thread(target=api.serve_forever, daemon=True).start()
    started = time.monotonic()
    process = subprocess.Popen([str(binary)], env={**env, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api.server_address[1]}"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if not api.first_next.wait(timeout=30):
            raise SystemExit(f"{binary.name} never asked for an invocation: {process.stderr.read(2000)!r}")
        return (api.at - started) * 1000
    finally:
        process.kill()
        process.wait()
        api.shutdown()


def zip_mb(binary: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bootstrap.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            info = zipfile.ZipInfo("bootstrap")
            info.external_attr = 0o755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, binary.read_bytes())
        return path.stat().st_size / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args()
    moto, endpoint = start_moto()
    try:
        aws = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
               "AWS_REGION": "us-east-1"}
        ssm = boto3.client("ssm", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                           aws_secret_access_key="test")
        for name, value in PARAMS.items():
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
        names = list(PARAMS)
        env = {
            "PATH": os.environ.get("PATH", ""), **aws,
            "AWS_LAMBDA_FUNCTION_NAME": "bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_FUNCTION_VERSION": "1", "AWS_LAMBDA_LOG_GROUP_NAME": "bench", "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
            "ZOOM_ACCOUNT_ID_PARAM": names[0], "ZOOM_CLIENT_ID_PARAM": names[1], "ZOOM_CLIENT_SECRET_PARAM": names[2],
            "OFFBOARD_BUCKET": "offboard-bench", "OFFBOARD_QUEUE_URL": f"{endpoint}/123456789012/offboard-actions",
            # Only named at start-up: the key is used when a plan is written or checked.
            "OFFBOARD_PLAN_KEY_ID": "arn:aws:kms:us-east-1:123456789012:key/bench",
            "RUST_LOG": "warn",
        }
        figures = {}
        for name in ("planner", "executor"):
            binary = ROOT / "target/release" / name
            starts = [start_up_ms(binary, env) for _ in range(args.runs)]
            figures[name] = {"start_up_ms_median": statistics.median(starts), "start_up_ms": starts,
                             "binary_mb": binary.stat().st_size / 1e6, "zip_mb": zip_mb(binary)}
    finally:
        moto.terminate()
        moto.wait()
    for name, f in figures.items():
        runs = ", ".join(f"{ms:.0f}" for ms in f["start_up_ms"])
        print(f"{name}: start-up median {f['start_up_ms_median']:.0f} ms ({runs} ms), "
              f"binary {f['binary_mb']:.1f} MB, zip {f['zip_mb']:.1f} MB")
    for name, f in figures.items():
        verdict = "PASS" if f["start_up_ms_median"] <= MAX_START_MS else "MISS"
        print(f"{verdict} {name} Lambda start-up to its first request: {f['start_up_ms_median']:.0f} ms "
              f"(target <= {MAX_START_MS:.0f} ms)")
        verdict = "PASS" if f["zip_mb"] <= MAX_ZIP_MB else "MISS"
        print(f"{verdict} {name} Lambda zip: {f['zip_mb']:.1f} MB (target <= {MAX_ZIP_MB:.0f} MB)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
