# CRM platform: one-machine development and test commands (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
VPY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never

PY_MISSING := Python 3.13 is required: install it (e.g. pyenv install 3.13) or set PYTHON=/path/to/python3.13

# Python 3.13 itself: $PYTHON (only that, if set), else python3.13 on PATH if it really runs (a pyenv shim may exist
# without working), then pyenv's versions folder. Evaluated only by recipes that need it.
define find_python
if [ -n "$(PYTHON)" ]; then set -- "$(PYTHON)"; else \
  set -- python3.13 $$(pyenv root 2>/dev/null)/versions/3.13.*/bin/python \
         $${HOME:-/root}/.pyenv/versions/3.13.*/bin/python /root/.pyenv/versions/3.13.*/bin/python; fi; \
for c in "$$@"; do \
  p=$$(command -v "$$c" 2>/dev/null) || continue; \
  "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1 && { echo "$$p"; break; }; \
done
endef
PY = $(shell $(find_python))

ROLE ?= ADMIN
TEAM ?=
TOKEN_USER := $(if $(filter command line,$(origin USER)),$(USER),alice)

PACKAGES := crm_kit crm_customer crm_interaction crm_notification crm_sales crm_gateway crm_dev

.PHONY: help install python venv rabbitmq fonts run up down test check token seed schema clean distclean

help:
	@echo "make install   install Python deps (uv, .venv), rabbitmq-server and the quote PDF font when missing"
	@echo "make run       start MongoDB, RabbitMQ, services and gateway in the foreground"
	@echo "make up/down   the same in the background / stop it"
	@echo "make test      run the whole test suite"
	@echo "make check     ruff, format check, mypy"
	@echo "make token ROLE=ADMIN USER=alice TEAM=east   print a dev JWT"
	@echo "make seed      load demo data; make clean  remove .data and caches"
	@echo "make schema    rewrite schema/api.graphql (the public API schema) after a schema change"
	@echo "make bench     seed an isolated system, load it, write docs/benchmarks.md + charts"

install: venv rabbitmq fonts

python:
	@p="$(PY)"; test -n "$$p" || { echo "$(PY_MISSING)" >&2; exit 1; }

$(UV):
	@p="$(PY)"; test -n "$$p" || { echo "$(PY_MISSING)" >&2; exit 1; }; \
	echo "bootstrapping uv $(UV_VERSION) into $(TOOLS)/ with $$p"; \
	"$$p" -m venv $(TOOLS) && $(TOOLS)/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

venv: $(UV)
	@p="$(PY)"; test -n "$$p" || { echo "$(PY_MISSING)" >&2; exit 1; }; \
	$(UV) sync --frozen --quiet --python "$$p"

rabbitmq:
	@if [ -n "$${AMQP_URL:-}" ] || [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] \
	    || command -v rabbitmq-server >/dev/null 2>&1; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "rabbitmq-server is missing and apt-get is not available: install RabbitMQ 3.x or set AMQP_URL" >&2; exit 1; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "rabbitmq-server is missing: run 'sudo apt-get install -y rabbitmq-server' (needs root) or set AMQP_URL" >&2; exit 1; fi; \
	echo "installing rabbitmq-server (apt)"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -qq >/dev/null && apt-get install -y -qq rabbitmq-server >/dev/null \
	  || { echo "apt-get install rabbitmq-server failed" >&2; exit 1; }; \
	: "the project runs its own node; the distribution's system broker is not needed"; \
	systemctl disable --now rabbitmq-server >/dev/null 2>&1 \
	  || service rabbitmq-server stop >/dev/null 2>&1 || true

# The CJK font quote PDFs embed (SALES_PDF_FONT; Debian's fonts-wqy-microhei by default). Without
# it only the PDFs are refused, so a machine that cannot install it gets a notice, not a failure.
PDF_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
fonts:
	@if [ -f "$${SALES_PDF_FONT:-$(PDF_FONT)}" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1 || [ "$$(id -u)" != 0 ]; then \
	  echo "note: quote PDFs need a CJK font: run 'sudo apt-get install -y fonts-wqy-microhei' or set SALES_PDF_FONT" >&2; exit 0; fi; \
	echo "installing fonts-wqy-microhei (apt)"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -qq >/dev/null && apt-get install -y -qq fonts-wqy-microhei >/dev/null \
	  || { echo "apt-get install fonts-wqy-microhei failed" >&2; exit 1; }

run: install
	@$(VPY) -m crm_dev.run run

up: install
	@$(VPY) -m crm_dev.run up

down:
	@if [ -x $(VPY) ]; then $(VPY) -m crm_dev.run down; else echo "not running"; fi

PYTEST_ARGS ?=
# The fault-injection suite (kills and restarts the broker, MongoDB and services; ~3-4 min on an
# idle 2-core machine) runs on its own: `make test-faults`; CI (.ci/run) runs both.
# Three pytest sessions, each with its own embedded MongoDB and broker, so that one group's data
# and load never slow another's timing-sensitive tests on the single-writer embedded server.
test: install
	$(VENV)/bin/pytest tests/unit tests/deploy tests/gateway tests/infra $(PYTEST_ARGS)
	$(VENV)/bin/pytest tests/integration $(PYTEST_ARGS)
	$(VENV)/bin/pytest tests/e2e $(PYTEST_ARGS)

check: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy $(addprefix -p ,$(PACKAGES))

token: venv
	@$(VPY) -m crm_dev.token --role "$(ROLE)" --user "$(TOKEN_USER)" --team "$(TEAM)"

seed: install
	@$(VPY) -m crm_dev.seed

# The public API schema file (schema/api.graphql) clients generate types from; a test fails
# when it is stale or when a breaking change since the last release is not in CHANGELOG.md.
schema: venv
	@$(VPY) -m crm_dev.api_schema write

clean: down
	rm -rf .data .pytest_cache .mypy_cache .ruff_cache
	find . -name __pycache__ -type d -not -path './.venv/*' -not -path './.tools/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(TOOLS)

# Federation gateway conformance audit (graphql-hive/federation-gateway-audit checked out in
# AUDIT_DIR, with `npm install` done; Node >= 22 on PATH or its bin folder in AUDIT_NODE_BIN).
# The harness kills whatever listens on its gateway port: AUDIT_PORT keeps it off a running
# `make up` gateway (4000).
AUDIT_DIR ?=
AUDIT_NODE_BIN ?=
AUDIT_PORT ?= 4610
AUDIT_ADAPTER := $(CURDIR)/bench/federation-audit
.PHONY: audit
audit: venv
	@test -n "$(AUDIT_DIR)" || { echo "usage: make audit AUDIT_DIR=<federation-gateway-audit checkout>" >&2; exit 1; }
	cd "$(AUDIT_DIR)" && PATH="$(if $(AUDIT_NODE_BIN),$(AUDIT_NODE_BIN):)$$PATH" \
	  GATEWAY_PORT=$(AUDIT_PORT) GATEWAY_TIMEOUT=$${GATEWAY_TIMEOUT:-60000} \
	  npm start -- test --cwd "$(AUDIT_ADAPTER)" --run-script ./run.sh --reporter dot \
	  --graphql http://127.0.0.1:$(AUDIT_PORT)/graphql --healthcheck http://127.0.0.1:$(AUDIT_PORT)/healthz
	@cat "$(AUDIT_ADAPTER)/results.txt"

# Offline validation of deploy/k8s (also part of `make test`): kustomize render, kubernetes-validate
# --strict, CRD schemas, checkov (Kubernetes + the Dockerfile per SERVICE). Prints manifest and check counts.
.PHONY: k8s-validate
k8s-validate: venv
	$(VENV)/bin/pytest -q -s tests/deploy/test_manifests.py

# Fault-injection suite (run on its own, not by `make test`): kills RabbitMQ, a consumer, a
# subgraph and restarts MongoDB under load; prints the per-scenario table and writes
# docs/reliability.md.
.PHONY: test-faults
test-faults: install
	$(VENV)/bin/pytest tests/faults $(PYTEST_ARGS)

# Performance harness: an isolated system under .data/bench on its own ports, seeded
# with BENCH_SCALES × (BENCH_CUSTOMERS, BENCH_ITEMS), loaded through the gateway; writes
# docs/benchmarks.md, docs/bench/results.json and the charts docs/bench/*.png (matplotlib is
# fetched by uv into a throw-away overlay, not added to the locked environment).
.PHONY: bench
bench: install
	$(VPY) -m bench.run
	$(UV) run --frozen --no-sync --with 'matplotlib>=3.9' python -m bench.charts
