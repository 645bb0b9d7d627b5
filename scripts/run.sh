#!/usr/bin/env bash
# The README's first command: set up, then run the web app + worker with the demo mailbox.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/tradeinbox run --demo "$@"
