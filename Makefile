# Right Support: `make run` serves the demo county; `make test` runs the whole suite.
VENV := .venv
PYTHON := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
PORT ?= 5000
BOOTSTRAP_PYTHON ?= python3

.PHONY: install run test test-browser lint css clean bench

install: $(VENV)/.installed node_modules/.installed static/css/app.css

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PYTHON) || $(BOOTSTRAP_PYTHON) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip==26.3
	$(PYTHON) -m pip install --quiet -r requirements.lock
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/css/app.css: static/scss/app.scss node_modules/.installed
	npm run --silent build:css

css: node_modules/.installed
	npm run --silent build:css

# Development settings: the embedded SQLite database under instance/ and a development secret.
run: install
	RIGHT_SUPPORT_ENV=development $(FLASK) db upgrade
	RIGHT_SUPPORT_ENV=development $(FLASK) demo --skip-if-loaded
	RIGHT_SUPPORT_ENV=development $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install
	$(PYTHON) -m pytest

lint: install
	$(VENV)/bin/ruff check .

test-browser: install
	$(PYTHON) -m pytest tests/browser

clean:
	rm -rf $(VENV) node_modules static/css .pytest_cache

# National-scale benchmarks on SQLite and PostgreSQL (minutes); BENCH_ARGS="--scale 0.01 --runs 1" for a quick pass.
bench: install
	$(PYTHON) -m bench.run $(BENCH_ARGS)
