#!/usr/bin/env bash
# Runs every test. Installs what a fresh Debian machine with the .NET SDK lacks, then `dotnet test`.
# Results (TRX) land in TestResults/. Extra arguments go to `dotnet test`.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's Chromium for the browser tests..."
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# The stylesheets are linted first: an unclosed rule in a .css file is not a build error, but it silently turns off
# every rule after it. stylelint is pinned in tools/lint (package-lock.json) and installed with npm ci.
if ! command -v npm >/dev/null; then
  echo "Installing Debian's Node.js and npm for the CSS lint..."
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
(cd tools/lint && npm ci --prefer-offline --no-audit --no-fund --loglevel=error && npm run --silent lint)

dotnet tool restore >/dev/null
rm -rf TestResults
dotnet test DreamLayer.Web.sln --logger "trx;LogFileName=results.trx" --results-directory TestResults "$@"
