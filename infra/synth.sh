#!/usr/bin/env bash
# infra/synth.sh OUT: synthesizes the stack (placeholder function code, no AWS account)
# into the folder OUT. The local stack's IAM comes from OUT/Offboard.template.json: each
# function and each person's role gets exactly the statements the template gives it.
set -euo pipefail
INFRA="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?usage: infra/synth.sh OUT}"
cd "$INFRA"
export CDK_DISABLE_VERSION_CHECK=1
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN CDK_DEFAULT_ACCOUNT CDK_DEFAULT_REGION
# npm ci only when the lock changed since the last install.
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
rm -rf "$OUT"
npx --no-install cdk synth --quiet --no-notices --lookups=false -c placeholderCode=true --output "$OUT"
test -s "$OUT/Offboard.template.json"
echo "synthesized $OUT/Offboard.template.json"
