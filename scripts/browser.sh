#!/usr/bin/env bash
# The browser of the web tests: Debian's Chromium (Playwright's own download is not used).
# Installs it with apt-get when missing, as scripts/localdb.sh does for PostgreSQL.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "The web tests need Chromium: install it with your package manager" >&2
  echo "(or set CHROMIUM to its path)." >&2
  exit 1
fi
echo "Installing Chromium with apt-get ..."
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
