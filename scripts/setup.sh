#!/usr/bin/env bash
# Installs what llm-fleet needs on a fresh machine: pnpm (pinned in package.json), the workspace's
# packages from the lockfile, Debian's prometheus package for promtool (always: the coordinator's tests
# lint /metrics and unit-test docs/monitoring/alerts.yml with it), Debian's redis-server, haproxy and
# nginx (always: the HA tests run them, apps/demo/test/ha-front*.test.ts), and, with --browser, Debian's
# chromium for the dashboard's browser tests; with --bench, Debian's nginx, the reference proxy of
# apps/coordinator/bench/proxy.bench.ts. With --node-only, pnpm and the packages alone: what the demo and
# a coordinator or agent host need, with no apt-get (root only where npm's global prefix needs it for pnpm).
set -euo pipefail
ARGS=("$@")
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! pnpm --version 2>/dev/null | grep -qx "$PNPM_VERSION"; then
  echo "setup: installing pnpm $PNPM_VERSION with npm" >&2
  # --force replaces a corepack shim that cannot verify signatures on older Node releases.
  npm install --global --force --loglevel=error "pnpm@$PNPM_VERSION" >&2
  hash -r
fi

export TURBO_TELEMETRY_DISABLED=1
pnpm install --frozen-lockfile --reporter=append-only 2>&1 | grep -v 'Failed to create bin' >&2 || true
# grep above only filters pnpm's warnings about workspace bins that appear after the first build.
test -d node_modules/.pnpm || { echo "setup: pnpm install failed" >&2; exit 1; }

has_flag() {
  local flag
  for flag in "${ARGS[@]}"; do [[ $flag == "$1" ]] && return 0; done
  return 1
}

has_flag --node-only && exit 0

# promtool ships in Debian's `prometheus` package. --no-install-recommends keeps it to the binaries; the
# package also enables a prometheus service, which no test uses or needs.
if ! command -v promtool >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's prometheus package for promtool (alert rule and /metrics tests)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      prometheus >/dev/null) >&2 || true
  fi
  if ! command -v promtool >/dev/null 2>&1; then
    echo "setup: promtool is missing and could not be installed (needs root and apt-get: install Debian's" \
      "prometheus package); the coordinator's alert-rules and metrics-lint tests need it" >&2
    exit 1
  fi
fi

if has_flag --browser && ! command -v chromium >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's chromium for the dashboard browser tests" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) >&2 ||
      echo "setup: chromium could not be installed; the browser tests will fail" >&2
  else
    echo "setup: chromium is missing and apt-get is not usable here; the browser tests will fail" >&2
  fi
fi

# The bench runs nginx itself (its own config, prefix and logs in a temp dir, `daemon off`); Debian's
# package also enables a system nginx service, which the bench neither needs nor touches.
if has_flag --bench && ! command -v nginx >/dev/null 2>&1 && [[ ! -x /usr/sbin/nginx ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's nginx for the proxy benchmark's reference" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null) >&2 ||
      echo "setup: nginx could not be installed; the proxy benchmark will skip it" >&2
  else
    echo "setup: nginx is missing and apt-get is not usable here; the proxy benchmark will skip it" >&2
  fi
fi

# The HA tests and `pnpm bench:ha` run these themselves (generated configs, loopback ports, temp dirs);
# Debian's packages also enable system services, which the tests neither need nor touch.
missing_ha=()
for tool in redis-server haproxy nginx; do
  command -v "$tool" >/dev/null 2>&1 || [[ -x /usr/sbin/$tool || -x /usr/bin/$tool ]] || missing_ha+=("$tool")
done
if ((${#missing_ha[@]} > 0)); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's ${missing_ha[*]} for the HA tests" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_ha[@]}" >/dev/null) >&2 ||
      echo "setup: ${missing_ha[*]} could not be installed; the HA tests will fail" >&2
  else
    echo "setup: ${missing_ha[*]} missing and apt-get is not usable here; the HA tests will fail" >&2
  fi
fi
