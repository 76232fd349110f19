#!/usr/bin/env bash
# Runs every test. Installs what a fresh Debian machine with the .NET SDK lacks, checks the formatting, then `dotnet test`.
# Results (TRX, one file per test project) land in TestResults/. Extra arguments go to `dotnet test`.
#
#   ./test.sh          everything: CSS lint, `dotnet format --verify-no-changes`, then every test project
#   ./test.sh --fast   the domain and stand-in tests only (DreamLayer.Fast.slnf): no app, no browser, no lint, no analyzers
set -euo pipefail
cd "$(dirname "$0")"

if [ "${1:-}" = "--fast" ]; then
  shift
  rm -rf TestResults
  # The analyzers (code style, banned APIs, CA rules) are the build's lint: `dotnet build` and the full run enforce
  # them; the fast run compiles without them, which takes a good part off its build time.
  exec dotnet test DreamLayer.Fast.slnf -p:RunAnalyzers=false --logger trx --results-directory TestResults "$@"
fi

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

# Formatting and code style as .editorconfig says (the SDK's own `dotnet format`, no download). The build enforces
# the analyzers; this catches what the build does not, such as whitespace.
if ! dotnet format DreamLayer.Web.sln --verify-no-changes --verbosity quiet; then
  echo "The code is not formatted as .editorconfig asks (the files and lines are listed above)." >&2
  echo "Run 'dotnet format DreamLayer.Web.sln' and commit what it changes." >&2
  exit 1
fi

# No LogFileName: each test project writes its own TRX file (one name for all would let them overwrite each other).
rm -rf TestResults
dotnet test DreamLayer.Web.sln --logger trx --results-directory TestResults "$@"
