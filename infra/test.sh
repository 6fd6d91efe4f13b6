#!/usr/bin/env bash
# infra/test.sh: everything that checks the CDK app, offline (only the npm registry and
# PyPI are reached, for the installs). Runnable from any directory:
#   1. npm ci
#   2. type check, then the assertions tests (node's test runner)
#   3. cdk synth, with cdk-nag's AwsSolutions rules as a validation plugin
#   4. cfn-lint and checkov on the synthesized template (from infra/.venv-checks)
# Exits non-zero on the first failure.
set -euo pipefail

INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$INFRA"
PYTHON="${PYTHON:-python3}"
VENV="$INFRA/.venv-checks"
TEMPLATE="$INFRA/cdk.out/Offboard.template.json"

# No AWS account, no credentials, no lookups: synth must not need them.
export CDK_DISABLE_VERSION_CHECK=1
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN CDK_DEFAULT_ACCOUNT CDK_DEFAULT_REGION

step() { printf '\n==> %s\n' "$*"; }

step "npm ci"
npm ci --no-audit --no-fund --loglevel=error

step "type check and assertions tests"
npm test --silent

step "cdk synth with cdk-nag AwsSolutions checks"
rm -rf "$INFRA/cdk.out"
# placeholderCode: synthesize without a Rust build (the zips are used when present).
npx --no-install cdk synth --quiet --no-notices --lookups=false -c placeholderCode=true
test -s "$TEMPLATE"
# The validation plugin fails synth on any finding; say so, from its report.
node -e '
  const r = require(process.argv[1]);
  const violations = r.pluginReports.flatMap((p) => p.violations || []);
  if (violations.length) { console.error(JSON.stringify(violations, null, 2)); process.exit(1); }
  console.log("cdk-nag AwsSolutions: 0 unacknowledged findings");
' "$INFRA/cdk.out/validation-report.json"

step "install cfn-lint and checkov (requirements-checks.txt) into .venv-checks"
stamp="$VENV/.requirements-checks.sha256"
want="$(sha256sum requirements-checks.txt | cut -d' ' -f1)"
if [[ ! -x "$VENV/bin/checkov" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r requirements-checks.txt
  echo "$want" > "$stamp"
fi
"$VENV/bin/cfn-lint" --version
"$VENV/bin/checkov" --version

step "cfn-lint"
# Exit codes: 0 clean, 2 errors, 4 warnings, 8 informational; any finding fails here.
"$VENV/bin/cfn-lint" --format parseable "$TEMPLATE"
echo "cfn-lint: 0 errors, 0 warnings"

step "checkov"
# Skips are written in the stack (lib/acknowledge.ts: skipCheckov) as template metadata,
# each with its reason; --skip-download keeps checkov offline.
# --quiet prints failed checks and the summary line only. checkov exits 0 on a template it
# could not parse, so its summary is checked too.
checkov_out="$("$VENV/bin/checkov" --file "$TEMPLATE" --framework cloudformation --skip-download --compact --quiet)" \
  || { printf '%s\n' "$checkov_out"; echo "checkov: failed checks" >&2; exit 1; }
printf '%s\n' "$checkov_out" | grep -v '^$'
if ! grep -Eq 'Passed checks: [1-9][0-9]*, Failed checks: 0, Skipped checks: [0-9]+$' <<<"$checkov_out"; then
  echo "checkov: no clean scan of $TEMPLATE (parsing error or nothing checked)" >&2
  exit 1
fi

printf '\ninfra/test.sh: all checks passed\n'
