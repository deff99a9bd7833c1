#!/usr/bin/env bash
# The browser tests drive Debian's Chromium headless: install it when it is missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo ">> installing Debian's chromium for the browser tests"
export DEBIAN_FRONTEND=noninteractive
sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
$sudo_cmd apt-get install -y -q chromium >/dev/null \
  || { $sudo_cmd apt-get update -q >/dev/null && $sudo_cmd apt-get install -y -q chromium >/dev/null; }
[ -x /usr/bin/chromium ] || { echo "chromium could not be installed" >&2; exit 1; }
