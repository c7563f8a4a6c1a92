#!/usr/bin/env bash
# Runs every check of the workspace (lint, typecheck, tests) and ends with one line of totals.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser || exit 1
export TURBO_TELEMETRY_DISABLED=1

rm -f apps/*/test-output/vitest.json packages/*/test-output/vitest.json
pnpm exec turbo run lint typecheck test --concurrency=2 --output-logs=new-only
status=$?
# vitest's own summary is per package; CI reads this one plain line as the total.
node scripts/test-totals.mjs || status=1
exit $status
