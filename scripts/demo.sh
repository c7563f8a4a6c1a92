#!/usr/bin/env bash
# The demo: a coordinator, simulated GPU hosts with real agents, and traffic from the openai client.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --node-only
exec pnpm demo "$@"
