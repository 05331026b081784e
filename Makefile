# jobmatch developer commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
KAFKA_JARS := deploy/kafka/libs/.fetched
# Debian packages the services and tests need (kcat: the non-Python client test;
# chromium + fonts-nanum: the portal's browser test with Korean glyphs; openssl: the
# local CA of the secured broker and Redis).
APT_PACKAGES := redis-server redis-tools kcat prometheus chromium fonts-nanum openssl

.PHONY: help setup up down status test test-unit faults lint format demo bench eval clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(BIN)/.installed $(KAFKA_JARS) system-packages ## virtualenv in .venv, Python deps, Kafka jars, Debian packages

$(BIN)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: python3.11 not found" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "error: $(PYTHON) is older than 3.11" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=25.1"
	$(BIN)/python -m pip install -q -e . --group dev
	@touch $@

$(KAFKA_JARS): deploy/kafka/pom.xml
	@command -v mvn >/dev/null || deploy/apt-install.sh maven
	mvn -q -B -f deploy/kafka/pom.xml dependency:copy-dependencies
	@touch $@

.PHONY: system-packages
system-packages:
	@missing=(); for pkg in $(APT_PACKAGES); do dpkg -s "$$pkg" >/dev/null 2>&1 || missing+=("$$pkg"); done; \
	command -v java >/dev/null || missing+=(openjdk-17-jre-headless); \
	if [ $${#missing[@]} -gt 0 ]; then echo "installing Debian packages: $${missing[*]}"; deploy/apt-install.sh "$${missing[@]}"; fi

up: setup ## start Kafka, Redis and create the topics (running services are reused)
	@deploy/kafka/start.sh
	@deploy/redis/start.sh
	@$(BIN)/jobmatch topics

down: ## stop the Kafka, Redis (and Prometheus) that jobmatch started
	@deploy/prometheus/stop.sh
	@deploy/kafka/stop.sh
	@deploy/redis/stop.sh

status: ## show which services are running
	@deploy/status.sh

test: setup ## run the whole test suite against real Kafka and Redis (starts and stops them)
	deploy/with-services.sh $(BIN)/pytest $(PYTEST_ARGS)

# The fault suite stops and breaks its services, so it gets its own: a broker and a Redis
# on other ports, with their data under .run/faults.
FAULT_ENV := JOBMATCH_FAULT_SUITE=1 JOBMATCH_RUN_DIR=$(CURDIR)/.run/faults \
	JOBMATCH_KAFKA_PORT=19092 JOBMATCH_KAFKA_CONTROLLER_PORT=19093 JOBMATCH_REDIS_PORT=16379 \
	JOBMATCH_KAFKA_BOOTSTRAP=127.0.0.1:19092 JOBMATCH_REDIS_URL=redis://127.0.0.1:16379/0

faults: setup ## the fault suite: broker and Redis outages, data loss, rebalances, hostile input
	$(FAULT_ENV) deploy/with-services.sh $(BIN)/pytest tests/faults -p no:cacheprovider $(PYTEST_ARGS)

test-unit: setup ## run only the tests that need no services
	$(BIN)/pytest -m "not integration" $(PYTEST_ARGS)

lint: setup ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

demo: up ## the whole system: worker, simulator, portal, Prometheus, live summary (Ctrl-C)
	@deploy/status.sh
	$(BIN)/jobmatch demo $(DEMO_ARGS)

bench: setup ## benchmarks against real Kafka/Redis -> docs/benchmarks.md (QUICK=1: small markets)
	deploy/with-services.sh $(BIN)/python -m bench.run $(if $(QUICK),--quick)

eval: setup ## offline evaluation on the simulated market -> docs/evaluation.md
	$(BIN)/python -m bench.eval_report

clean: down ## stop services and delete their data (.run) and the virtualenv
	rm -rf .run $(VENV)
