#!/usr/bin/env bash
# Set up tradeinbox on Debian/Ubuntu: system packages, a virtual env, Python packages.
#   scripts/setup.sh          what running the app needs
#   scripts/setup.sh --test   plus the real servers and tools the test suite starts
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_PACKAGES=(python3-venv python3-dev libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
  fonts-noto-cjk fonts-dejavu-core shared-mime-info)
TEST_PACKAGES=(chromium notmuch dovecot-imapd dovecot-lmtpd isync nsd poppler-utils
  spamassassin spamc postgresql gettext)

want=("${RUN_PACKAGES[@]}")
if [[ "${1:-}" == "--test" ]]; then want+=("${TEST_PACKAGES[@]}"); fi

missing=()
for package in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
# spamd ships in its own package on newer Debian; install it where it exists.
if [[ "${1:-}" == "--test" ]] && ! command -v spamd >/dev/null 2>&1; then
  if apt-cache show spamd >/dev/null 2>&1 || [[ ${#missing[@]} -gt 0 ]]; then missing+=(spamd); fi
fi

if [[ ${#missing[@]} -gt 0 ]]; then
  echo "Installing Debian packages: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "Need root (or sudo) to install: ${missing[*]}" >&2; exit 1; fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # spamd may not exist as a separate package (older releases ship it in spamassassin).
  if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    filtered=()
    for package in "${missing[@]}"; do [[ "$package" == spamd ]] || filtered+=("$package"); done
    $SUDO apt-get install -y -qq --no-install-recommends "${filtered[@]}" >/dev/null
  fi
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "tradeinbox needs Python 3.11 or newer; found $("$PYTHON" --version 2>&1)" >&2
  exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)${1:-}
if [[ ! -f "$stamp" ]]; then
  .venv/bin/python -m pip install -q --upgrade pip
  if [[ "${1:-}" == "--test" ]]; then
    .venv/bin/python -m pip install -q -e '.[test]'
  else
    .venv/bin/python -m pip install -q -e .
  fi
  touch "$stamp"
fi
echo "tradeinbox is set up in $(pwd)/.venv"
