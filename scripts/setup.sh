#!/usr/bin/env bash
# Install syndicate into a virtual environment in the project, `.venv/`: Debian and
# Ubuntu's Python refuses `pip install` outside one (PEP 668, "externally managed").
#
#   bash scripts/setup.sh          what publishing needs: .venv/bin/syndicate publish
#   bash scripts/setup.sh --dev    also the test tools (the `dev` extras) and the system
#                                  programs only the tests drive for real: zbar (decodes
#                                  the QR codes we print), Chromium and chromedriver
#                                  (render pages at phone size), a Java runtime (runs the
#                                  Nu HTML Checker), PostgreSQL (the tests start their own
#                                  server for the delivery store)
#
# System packages are installed only when missing and only when we can (root, or sudo
# without a password); otherwise the tests that need them skip and say why. Running it
# again is quick: pip runs only when pyproject.toml or setup.py changed.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
case "${1:-}" in
  --dev) dev=1 ;;
  "") ;;
  *) echo "usage: bash scripts/setup.sh [--dev]" >&2; exit 2 ;;
esac

apt_install() {  # apt_install PACKAGE...: installs when we may, else says what is missing
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "note: no apt-get; install $* yourself" >&2
    return 1
  fi
  local sudo
  if [ "$(id -u)" = 0 ]; then sudo=""
  elif sudo -n true 2>/dev/null; then sudo="sudo -n"
  else
    echo "note: cannot install $* (not root, no passwordless sudo)" >&2
    return 1
  fi
  echo "installing system packages: $*" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Debian and Ubuntu ship `venv` without ensurepip (package python3-venv).
if [ ! -x .venv/bin/python ]; then
  if ! python3 -c "import ensurepip" >/dev/null 2>&1; then
    apt_install python3-venv || { echo "error: python3 -m venv needs python3-venv" >&2; exit 1; }
  fi
  python3 -m venv .venv
fi

# The print edition's PDF embeds these fonts (channels/print/fonts.py): needed to run.
fonts=()
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ] || fonts+=(fonts-dejavu-core)
[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || fonts+=(fonts-wqy-zenhei)
if [ ${#fonts[@]} -gt 0 ]; then
  apt_install "${fonts[@]}" || echo "note: syndicate print needs ${fonts[*]}" >&2
fi

if [ "$dev" = 1 ]; then
  need=()
  command -v pdffonts >/dev/null 2>&1 || need+=(poppler-utils)  # tests read the PDF fonts
  command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools libzbar0)
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
  command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
  # The delivery store's tests start their own PostgreSQL (initdb + pg_ctl); Debian keeps
  # those in /usr/lib/postgresql/<version>/bin, off the PATH.
  if ! command -v pg_ctl >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    need+=(postgresql)
  fi
  if [ ${#need[@]} -gt 0 ]; then
    apt_install "${need[@]}" || echo "note: the tests that need ${need[*]} will skip" >&2
  fi
  target=".[dev]"
else
  target="."
fi

# pip only when what it installs changed since the last run of this mode.
stamp=".venv/.syndicate-setup"
want="$target $(cat pyproject.toml setup.py | sha256sum | cut -d' ' -f1)"
if [ ! -x .venv/bin/syndicate ] || ! grep -qxF -- "$want" "$stamp" 2>/dev/null; then
  .venv/bin/python -m pip install -q --upgrade pip
  # Editable: an edit to the code or templates in this checkout is live at once.
  .venv/bin/python -m pip install -q -e "$target"
  # A regular install compiles the byte-code up front; an editable one leaves it to the
  # first import, which never writes it where PYTHONDONTWRITEBYTECODE is set (containers,
  # CI): every run would then compile ~40 modules again (0.1-0.2 s). Do what pip does.
  .venv/bin/python -m compileall -q syndicate channels sources
  # `--dev` includes what `.` installs; a later plain run need not reinstall.
  { [ "$dev" = 1 ] && echo ". $(cut -d' ' -f2 <<<"$want")"; echo "$want"; } >"$stamp"
fi

if [ "$dev" = 0 ]; then
  echo "ready: .venv/bin/syndicate publish (or: source .venv/bin/activate; syndicate publish)" >&2
fi
