# Portail élus santé: the two set-up commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run prepare test lint format bench install load demo-data demo-accounts migrate worker check-worker ci clean

# $(call step,label,command): print the step, run it, print its wall-clock duration (first `make run` takes
# a few minutes: reference geography, then demonstration data for all of France; later runs seconds).
define step
	@printf '==> %s\n' "$(1)"; start=$$(date +%s%N); $(2); rc=$$?; \
	printf '    %s : %s s\n' "$(1)" "$$(awk "BEGIN { printf \"%.1f\", ($$(date +%s%N) - $$start) / 1e9 }")"; exit $$rc
endef

# Create the venv and install the locked dependencies (only again when the lock changes).
$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(call step,migrations,$(PY) manage.py migrate --noinput -v0)

load: migrate
	$(call step,référentiel géographique,$(PY) manage.py load_reference --if-empty)
	$(call step,territoires comparables,$(PY) manage.py compute_peers --if-empty)

# Demonstration health data for all of France + alert signals; does nothing when already generated.
demo-data: load
	$(call step,données de démonstration et signaux,$(PY) manage.py generate_demo_data --if-empty)

demo-accounts: demo-data
	$(call step,comptes de démonstration,$(PY) manage.py create_demo_accounts)

# Same steps as migrate → load → demo-data → demo-accounts, in one process (one Django start-up, not five):
# the second `make run` reaches runserver in a few seconds.
run: install
	$(PY) manage.py prepare_demo
	DJANGO_DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

prepare: install
	$(PY) manage.py prepare_demo

test: install
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(PY) -m tests.bench

worker: install
	$(BIN)/celery -A config worker --pool=prefork --concurrency=2 -l info

# Is a worker consuming the queue? Sends a check through Redis and waits for it (exit 1 if nobody answers).
check-worker: migrate
	$(PY) manage.py check_worker --timeout 30

# What CI runs: lint, the suite on SQLite, then on PostgreSQL + Redis with a real worker.
ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var
