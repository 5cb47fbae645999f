#!/usr/bin/env bash
# Installs what the playground and its browser tests need: Debian's Chromium (the tests never
# download a browser) and the npm packages of www/. Idempotent: each step says what it does and
# skips itself when its work is already done.
#
#   www/scripts/install.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '==> %s\n' "$*"; }
skip() { printf '    (already done) %s\n' "$*"; }

step "checking for Chromium (/usr/bin/chromium)"
if [ -x /usr/bin/chromium ]; then
  skip "$(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
else
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  step "installing chromium and chromium-driver with apt-get"
  $sudo apt-get update
  $sudo apt-get install -y chromium chromium-driver
fi

step "checking the npm packages of www/"
# npm writes node_modules/.package-lock.json on every install: older than the lockfile means stale.
if [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
  skip "node_modules is up to date with package-lock.json"
else
  step "npm ci (www/)"
  npm ci --no-audit --no-fund
fi
