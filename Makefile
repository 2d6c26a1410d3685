# CRM platform — everything a fresh machine needs is installed by these targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.13: $(PYTHON) if given, else python3.13 on PATH (if it really runs), else pyenv's.
PYTHON ?= $(shell \
  if python3.13 -c 'import sys' >/dev/null 2>&1; then command -v python3.13; \
  else for p in $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13.*/bin/python /root/.pyenv/versions/3.13.*/bin/python; do \
    [ -x "$$p" ] && "$$p" -c 'import sys' >/dev/null 2>&1 && { echo "$$p"; break; }; done; fi)
UV := .tools/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
PYTEST_ARGS ?=
# `make token USER=bob`: USER from the command line only (the shell's $USER is not a CRM user).
TOKEN_USER := $(if $(filter command line,$(origin USER)),$(USER),alice)

.PHONY: help install python-check rabbitmq run up down test check token seed clean

help:
	@echo "make run | up | down | test | check | token ROLE=ADMIN USER=alice TEAM=east | seed | clean"

python-check:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: Python 3.13 is required: install it (e.g. 'pyenv install 3.13') or set PYTHON=/path/to/python3.13" >&2; exit 1; fi

$(UV): | python-check
	@"$(PYTHON)" -m venv .tools && .tools/bin/pip install -q uv==0.13.8

$(VENV)/.synced: $(UV) uv.lock pyproject.toml */pyproject.toml services/*/pyproject.toml libs/*/pyproject.toml tools/*/pyproject.toml
	@$(UV) sync --frozen --python "$(PYTHON)" -q
	@touch $@

rabbitmq:
	@if [ -z "$$AMQP_URL" ] && [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ] && ! command -v rabbitmq-server >/dev/null 2>&1; then \
	  if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
	    echo "error: rabbitmq-server is missing; install it (Debian: apt-get install rabbitmq-server) or set AMQP_URL" >&2; exit 1; fi; \
	  echo "installing rabbitmq-server (apt)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null) \
	    || { echo "error: apt-get install rabbitmq-server failed" >&2; exit 1; }; \
	  systemctl disable --now rabbitmq-server >/dev/null 2>&1 || service rabbitmq-server stop >/dev/null 2>&1 || true; \
	fi

install: $(VENV)/.synced rabbitmq

run: install
	@$(VENV)/bin/python -m crm_dev.run

up: install
	@$(VENV)/bin/python -m crm_dev.run --detach

down:
	@$(VENV)/bin/python -m crm_dev.run --stop

test: install
	@$(VENV)/bin/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

check: install
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy -p crm_kit -p crm_customer -p crm_interaction -p crm_notification -p crm_gateway -p crm_dev

token: install
	@$(VENV)/bin/python -m crm_dev.token --role "$(or $(ROLE),ADMIN)" --user "$(TOKEN_USER)" --team "$(or $(TEAM),east)"

seed: install
	@$(VENV)/bin/python -m crm_dev.seed

clean:
	@rm -rf .data/run .pytest_cache .mypy_cache .ruff_cache
