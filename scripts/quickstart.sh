#!/usr/bin/env bash
# Quick start, first command: on a machine with only Node (>= 20.19) and npm, install pnpm and the
# workspace, build, and run the nightly job against the built-in FMP sandbox on the embedded database.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM_VERSION=12.4.2
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "installing pnpm@$PNPM_VERSION with npm"
  npm install -g "pnpm@$PNPM_VERSION" --no-fund --no-audit >/dev/null
fi
pnpm install --frozen-lockfile
# The CLI straight through the repository's smartstock command (no pnpm banner): builds it, then the demo.
SMARTSTOCK_REBUILD=1 node scripts/smartstock.mjs sync --sandbox
