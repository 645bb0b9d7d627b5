# Shortcuts; the scripts are what the README documents (they work without make).
.PHONY: run test lint bench

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check tradeinbox tests bench

bench:
	.venv/bin/python bench/ingest.py
