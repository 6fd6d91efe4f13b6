#!/usr/bin/env bash
# Conformance check: real Zoom clients that no one here wrote, pointed at zoom-sim through
# their own configuration, list, deactivate and delete users unchanged (issue 3).
#
#   zoomus 1.2.1 (PyPI)       base_uri + oauth_uri options: the whole flow, OAuth included.
#   @zoom/rivet 0.4.0 (npm)   Zoom's official SDK: baseUrl + tokenStore options; its OAuth
#                             host is a hard-coded constant, so its token is fetched for it.
#
# Installs both pinned clients into this folder (.venv/, node_modules/), starts the zoom-sim
# binary (ZOOM_SIM_BIN, default <repo>/target/release/zoom-sim) on a free port for each
# client, and ends with `third-party-client: N passed, M failed`. Exits non-zero on any failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SIM_BIN="${ZOOM_SIM_BIN:-$REPO/target/release/zoom-sim}"
USERS="${SIM_USERS:-120}"
SEED="${SIM_SEED:-7}"
ACCOUNT_ID="conformance-account"
CLIENT_ID="conformance-client"
CLIENT_SECRET="conformance-secret"
START=$SECONDS

if [[ ! -x "$SIM_BIN" ]]; then
  echo "zoom-sim binary not found at $SIM_BIN (build it with cargo build --release -p zoom-sim, or set ZOOM_SIM_BIN)" >&2
  exit 2
fi
for tool in python3 node npm; do
  command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }
done

WORK="$(mktemp -d)"
SIM_PID=""
stop_sim() {
  if [[ -n "$SIM_PID" ]]; then
    kill "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
    SIM_PID=""
  fi
}
cleanup() {
  stop_sim
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts a fresh simulator on a port the OS picks; sets SIM_PID and BASE_URL.
start_sim() {
  local out="$WORK/sim-$1.out"
  "$SIM_BIN" --port 0 --users "$USERS" --seed "$SEED" \
    --account-id "$ACCOUNT_ID" --client-id "$CLIENT_ID" --client-secret "$CLIENT_SECRET" \
    >"$out" 2>"$WORK/sim-$1.err" &
  SIM_PID=$!
  BASE_URL=""
  for _ in $(seq 100); do
    BASE_URL="$(head -n 1 "$out" 2>/dev/null || true)"
    [[ "$BASE_URL" == http://* ]] && return 0
    kill -0 "$SIM_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "zoom-sim did not start:" >&2
  cat "$WORK/sim-$1.err" >&2
  exit 2
}

echo "== installing the pinned clients"
if [[ ! -x "$HERE/.venv/bin/python" ]]; then
  python3 -m venv "$HERE/.venv"
fi
"$HERE/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
(cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

PASSED=0
FAILED=0
# Runs one client's check against its own fresh simulator and adds up its RESULT line.
run_check() {
  local name="$1"
  shift
  echo "== $name"
  start_sim "$name"
  local log="$WORK/$name.log" rc=0
  "$@" "$BASE_URL" "$ACCOUNT_ID" "$CLIENT_ID" "$CLIENT_SECRET" 2>&1 | tee "$log" || rc=$?
  stop_sim
  local result
  result="$(grep -E '^RESULT passed=[0-9]+ failed=[0-9]+$' "$log" | tail -n 1 || true)"
  if [[ -z "$result" ]]; then
    echo "  FAIL $name printed no RESULT line (exit $rc)"
    FAILED=$((FAILED + 1))
    return
  fi
  local p f
  p="$(sed -E 's/^RESULT passed=([0-9]+) failed=([0-9]+)$/\1/' <<<"$result")"
  f="$(sed -E 's/^RESULT passed=([0-9]+) failed=([0-9]+)$/\2/' <<<"$result")"
  if [[ "$rc" -ne 0 && "$f" -eq 0 ]]; then
    echo "  FAIL $name exited $rc"
    f=1
  fi
  PASSED=$((PASSED + p))
  FAILED=$((FAILED + f))
}

run_check zoomus "$HERE/.venv/bin/python" "$HERE/check_zoomus.py"
run_check rivet node "$HERE/check_rivet.mjs"

echo "== done in $((SECONDS - START))s"
echo "third-party-client: $PASSED passed, $FAILED failed"
[[ "$FAILED" -eq 0 ]]
