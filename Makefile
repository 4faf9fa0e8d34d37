# Patroli: `make run` for the demo, `make test` for the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_PASSWORD ?= patroli-demo
HOST ?= 127.0.0.1:8000

.PHONY: run test install install-dev lint format messages bench bench-medium bench-national clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

# Front-end libraries (Leaflet) from the npm registry, served by Django's staticfiles.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && mkdir -p node_modules && touch $@; \
	else \
		echo "npm not found: the pages work, without the map (install Node.js for it)"; \
	fi

install: $(VENV)/.installed node_modules/.installed
install-dev: $(VENV)/.installed-dev node_modules/.installed

.secret_key: | $(BIN)/python
	$(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

# The demo: DEBUG on, e-mail printed to the console and sent at once (no worker needed).
DEMO_ENV = DEBUG=1 SECRET_KEY_FILE=.secret_key \
	TASKS_BACKEND=django_tasks.backends.immediate.ImmediateBackend

run: install .secret_key
	$(DEMO_ENV) $(BIN)/patroli migrate --no-input
	$(DEMO_ENV) $(BIN)/patroli seed-demo --password '$(DEMO_PASSWORD)'
	@echo
	@echo "Patroli is starting on http://$(HOST)/  (officers: http://$(HOST)/app/, admin: http://$(HOST)/admin/)"
	@echo "Every demo user above has the password: $(DEMO_PASSWORD)"
	@echo "The demo's patrols happen on 23 January 2024: http://$(HOST)/app/?date=2024-01-23"
	@echo
	$(DEMO_ENV) $(BIN)/patroli runserver $(HOST)

# Runs on SQLite by default; DATABASE_URL=postgres://... runs the same suite on PostgreSQL.
test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Needs GNU gettext (Debian: gettext). Compiled .mo files are committed so that installs need none.
messages: install-dev
	SECRET_KEY=messages $(BIN)/patroli makemessages -l id -l en --no-obsolete --no-location \
		--ignore '.venv/*' --ignore 'benchmarks/*' --ignore '*/tests/*' --ignore conftest.py \
		--ignore 'node_modules/*'
	SECRET_KEY=messages $(BIN)/patroli compilemessages --ignore '.venv/*' --ignore 'node_modules/*'

bench: install-dev
	$(BIN)/python benchmarks/visits_api.py
	$(BIN)/python benchmarks/plans.py
	$(BIN)/python benchmarks/dashboard.py
	$(BIN)/python benchmarks/suite.py --size small
	$(BIN)/python benchmarks/load.py --duration 30

# The suite on more data (benchmarks/README.md), into an empty scratch database:
# DATABASE_URL=postgres://127.0.0.1/bench_medium make bench-medium (SQLite without it).
bench-medium: install-dev
	$(BIN)/python benchmarks/suite.py --size medium --database-url '$(DATABASE_URL)'
	$(BIN)/python benchmarks/growth.py

bench-national: install-dev
	$(BIN)/python benchmarks/suite.py --size national --database-url '$(DATABASE_URL)'
	$(BIN)/python benchmarks/growth.py

clean:
	rm -rf $(VENV) node_modules patroli.sqlite3* staticfiles .pytest_cache
