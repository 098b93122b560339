#!/usr/bin/env bash
# Install syndicate with its test tools, plus the few system programs the tests drive for
# real: zbar (decodes the QR codes we print), Chromium (renders pages at phone size), a
# Java runtime (runs the Nu HTML Checker) and PostgreSQL (the delivery store's server; the
# tests run their own with initdb + pg_ctl, the Debian package's service is not used). System packages are installed only when missing
# and only when we can (root, or sudo without a password); otherwise the affected tests
# skip and say why.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools libzbar0)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
# Debian keeps initdb/pg_ctl in /usr/lib/postgresql/<version>/bin, off the PATH.
if ! command -v pg_ctl >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  need+=(postgresql)
fi
if [ ${#need[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo=skip; fi
  if [ "$sudo" != skip ]; then
    echo "installing system packages: ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "note: cannot install ${need[*]} (not root); the tests that need them will skip" >&2
  fi
fi

python3 -m pip install -q -e ".[dev]"
# A regular `pip install` compiles the byte-code up front; an editable one leaves it to the
# first import, which never writes it where PYTHONDONTWRITEBYTECODE is set (containers, CI):
# every run would then compile ~40 modules again (0.1-0.2 s). Do what pip does.
python3 -m compileall -q syndicate channels
