#!/usr/bin/env bash
# Debian packages the PDFs, scans and page tests need: a Japanese TrueType font to embed,
# poppler (pdftoppm/pdffonts), zbar for QR decoding, Chromium for page tests.
set -euo pipefail
need=()
[ -f /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf ] || need+=(fonts-ipaexfont)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
[ -e /usr/lib/x86_64-linux-gnu/libzbar.so.0 ] || [ -e /usr/lib/aarch64-linux-gnu/libzbar.so.0 ] \
  || need+=(libzbar0)
command -v chromium >/dev/null || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: please install: ${need[*]} (sudo apt-get install ${need[*]})" >&2
  exit 0
fi
echo "system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${need[@]}" >/dev/null
