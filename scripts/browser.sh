#!/usr/bin/env bash
# The browser of the web tests: Debian's Chromium (Playwright's own download is not used).
# With --node: Node.js and npm, for the tests' tools (package.json).
# Installs it with apt-get when missing, as scripts/localdb.sh does for PostgreSQL.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

package=chromium
command=chromium
if [ "${1:-}" = "--node" ]; then
  package="nodejs npm"
  command=npm
fi
if command -v "$command" >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "The web tests need $package: install it with your package manager" >&2
  echo "(or set CHROMIUM to Chromium's path)." >&2
  exit 1
fi
echo "Installing $package with apt-get ..."
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086  # two packages for --node
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $package >/dev/null
