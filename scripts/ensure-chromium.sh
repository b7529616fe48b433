#!/usr/bin/env bash
# The portal's browser tests drive Debian's Chromium with playwright-core (no browser downloads).
# Skipped when /usr/bin/chromium (or $CHROMIUM_PATH) is already there.
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  echo "chromium: available"
  exit 0
fi
echo "chromium: installing Debian's package"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
"$browser" --version
