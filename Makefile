# clinicsite — developers' shortcuts. The README's own commands are bin/demo and bin/test (they
# need no make); `make demo` and `make test` call them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= clinicsite.settings.dev
export WAGTAILADMIN_BASE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: demo test lint format venv lock serve serve-demo bench clean

venv:
	@PYTHON="$(PYTHON)" VENV="$(VENV)" bin/bootstrap

demo: ## set up and serve the site + background worker with demo content on SQLite
	PORT=$(PORT) bin/demo

serve: venv ## the production configuration (gunicorn + task workers) on 127.0.0.1:$(PORT); needs SECRET_KEY, ALLOWED_HOSTS, FIELD_ENCRYPTION_KEYS, DATABASE_URL, REDIS_URL
	DJANGO_SETTINGS_MODULE=clinicsite.settings.production PORT=$(PORT) PY=$(PY) bin/serve

serve-demo: venv ## serve the demo again without reloading its content
	PORT=$(PORT) PY=$(PY) bin/serve-demo

test: ## the whole suite (browser tests included); DATABASE_URL=postgresql://… for PostgreSQL
	bin/test $(PYTEST_ARGS)

lint: venv ## ruff, Django's checks, migrations in sync, production deploy checks
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=clinicsite.settings.production \
	SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	REDIS_URL=redis://127.0.0.1:6379/0 ALLOWED_HOSTS=clinic.example FIELD_ENCRYPTION_KEYS=$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
	$(PY) manage.py check --deploy --fail-level WARNING

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

LOCK_DATE ?= 2026-11-01
lock: ## re-pin requirements/*.txt from pyproject.toml (no index URLs are recorded)
	uv pip compile pyproject.toml -o requirements/base.txt --python-version 3.11 --no-header --exclude-newer $(LOCK_DATE)
	uv pip compile pyproject.toml --group dev -o requirements/dev.txt --python-version 3.11 --no-header --exclude-newer $(LOCK_DATE)

bench: venv ## the site under load vs nginx static, on PostgreSQL and SQLite (not part of `make test`); results in bench/results/
	$(PY) bench/site.py

clean:
	rm -rf $(VENV) var
