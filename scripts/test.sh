#!/usr/bin/env bash
# Runs every check of the workspace (lint, typecheck, tests) and ends with one line of totals.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser || exit 1
export TURBO_TELEMETRY_DISABLED=1

rm -f apps/*/test-output/vitest.json packages/*/test-output/vitest.json
# The packages lint themselves through turbo; the root's own files are checked here.
pnpm exec biome check scripts biome.json package.json turbo.json
root_lint=$?
pnpm exec turbo run lint typecheck test --continue --concurrency=2 --output-logs=new-only
status=$?
[[ $root_lint -eq 0 ]] || status=$root_lint
# vitest's own summary is per package; CI reads this one plain line as the total.
node scripts/test-totals.mjs "$status" || status=1
exit $status
