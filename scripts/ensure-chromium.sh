#!/usr/bin/env bash
# Installs Debian's chromium for the webview browser test (webview/test/report.test.ts) when it is missing.
# Playwright's own browser download cannot be used here: only the npm registry and Debian's archive are reachable.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium
/usr/bin/chromium --version
