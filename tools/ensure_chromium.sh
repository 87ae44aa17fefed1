#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (never a browser downloaded by a test tool). `make test`
# calls this first, so that a fresh machine fails before any test runs rather than at the last step.
# Installs the package with apt as root, through sudo where sudo exists, and otherwise stops with the
# command to type. CHROMIUM names the binary the browser tests launch.
set -euo pipefail
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0

INSTALL="apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium"
advice() {
  echo "make test: the browser tests need Debian's chromium at $CHROMIUM, and it is missing." >&2
  echo "$1" >&2
  echo "Install it with:  sudo apt-get update && sudo apt-get install -y chromium" >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 || advice "This machine has no apt-get (a Debian-based system is expected)."
if [ "$(id -u)" -eq 0 ]; then
  echo "make test: installing Debian's chromium for the browser tests (once)"
  sh -c "$INSTALL" >/dev/null
elif command -v sudo >/dev/null 2>&1; then
  echo "make test: installing Debian's chromium for the browser tests (once, through sudo)"
  sudo sh -c "$INSTALL" >/dev/null || advice "sudo could not install it."
else
  advice "Not running as root, and sudo is not available."
fi
[ -x "$CHROMIUM" ] || advice "apt-get finished, but $CHROMIUM is still missing."
