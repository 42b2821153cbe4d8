# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

.PHONY: install test demo lint bench bench-real bench-web clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-installs only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/allocation.py

# Real districts (tests/data/districts.csv): states, three states, 5,000 nationally, group sizes.
bench-real: install
	$(BIN)/python bench/real.py

# gunicorn (2 workers) on PostgreSQL (database consortium_bench, re-created) against bare Flask;
# needs wrk (apt-get install wrk) and PostgreSQL on 127.0.0.1:5432. See README "Web benchmark".
bench-web: install
	$(BIN)/python bench/web.py

demo: install
	@if ls migrations/versions/*.py >/dev/null 2>&1; then \
		DEMO_MODE=1 $(FLASK) db upgrade; \
	else \
		DEMO_MODE=1 $(FLASK) create-db; \
	fi
	@DEMO_MODE=1 $(FLASK) seed-demo
	@echo ""
	@echo "  Consortium demo: http://127.0.0.1:$(PORT)/"
	@DEMO_MODE=1 $(FLASK) demo-logins
	@echo ""
	DEMO_MODE=1 $(FLASK) run --host 127.0.0.1 --port $(PORT)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
