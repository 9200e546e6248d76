#!/bin/sh
# What the web app needs on top of the C toolchain: Node.js and npm (Debian's, when the
# machine has none), the npm packages web/package-lock.json pins (npm ci, again only when
# the lockfile changed), and, for the browser tests, Debian's chromium.
#   scripts/deps-web.sh          node, npm and the packages
#   scripts/deps-web.sh browser  and chromium
set -eu
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  scripts/deps.sh nodejs npm
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  echo "truce: Node.js $(node --version) is too old for the web app's tools; 18 or later is needed" >&2
  exit 1
fi
stamp=web/node_modules/.truce-lock
if [ ! -f "$stamp" ] || ! cmp -s web/package-lock.json "$stamp"; then
  echo "truce: installing the web app's npm packages (web/package-lock.json)"
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
  cp web/package-lock.json "$stamp"
fi
if [ "${1:-}" = browser ]; then
  scripts/deps.sh chromium fonts-noto-core
fi
