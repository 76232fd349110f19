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

dotnet tool restore >/dev/null
rm -rf TestResults
dotnet test DreamLayer.Web.sln --logger "trx;LogFileName=results.trx" --results-directory TestResults "$@"
