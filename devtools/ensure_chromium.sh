#!/usr/bin/env bash
# The browser tests drive Debian's Chromium headless: install it when it is missing,
# with a Chinese font so the screenshots they save are readable.
set -euo pipefail
font=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
if [ -x /usr/bin/chromium ] && [ -f "$font" ]; then exit 0; fi
echo ">> installing Debian's chromium and a Chinese font for the browser tests"
export DEBIAN_FRONTEND=noninteractive
sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
$sudo_cmd apt-get install -y -q chromium fonts-wqy-microhei >/dev/null \
  || { $sudo_cmd apt-get update -q >/dev/null && $sudo_cmd apt-get install -y -q chromium fonts-wqy-microhei >/dev/null; }
[ -x /usr/bin/chromium ] && [ -f "$font" ] || { echo "chromium or the font could not be installed" >&2; exit 1; }
