#!/usr/bin/env bash
# The README's second command: set up (incl. the real servers the tests start) and
# run the whole suite: lint, every test on SQLite, then every database test again on
# PostgreSQL ($TEST_DATABASE_URL, or a throwaway cluster started here).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export TRADEINBOX_CORPORA=${TRADEINBOX_CORPORA:-$(cd .. && pwd)/shared/corpora}

echo "== ruff"
.venv/bin/ruff check tradeinbox tests bench
.venv/bin/ruff format --check tradeinbox tests bench

echo "== tests on SQLite"
.venv/bin/pytest -q -p no:cacheprovider "$@"

echo "== database tests on PostgreSQL"
cleanup=""
if [[ -z "${TEST_DATABASE_URL:-}" ]]; then
  eval "$(bash scripts/pg_throwaway.sh start)"
  cleanup="bash scripts/pg_throwaway.sh stop $PG_THROWAWAY_DIR"
  trap '$cleanup' EXIT
fi
DATABASE_URL="$TEST_DATABASE_URL" .venv/bin/pytest -q -p no:cacheprovider -m django_db "$@"
