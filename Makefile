# One Makefile for people and CI. Every target creates .venv and installs on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: help install lock typecheck test test-unit test-integration test-infra test-e2e test-resilience demo lint synth bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

LOCK := requirements-lock.txt

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install govbot with every extra (versions from requirements-lock.txt)

lock: $(STAMP) ## re-pin requirements-lock.txt from what .venv now holds
	@{ sed -n '1,/^[^#]/{/^#/p}' $(LOCK); $(BIN)/python -m pip freeze --exclude-editable | grep -v '^govbot'; } > $(LOCK).new
	@mv $(LOCK).new $(LOCK)

test: $(STAMP) ## run every test layer (unit, integration, infra, e2e, resilience)
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests

test-unit: $(STAMP) ## unit tests only (sockets blocked)
	$(BIN)/python -m pytest tests/unit

test-integration: $(STAMP) ## moto + AppStream emulator through real boto3 clients
	$(BIN)/python -m pytest tests/integration

test-infra: $(STAMP) ## synthesized template, cdk-nag, cfn-lint
	$(BIN)/python -m pytest tests/infra

test-e2e: $(STAMP) ## the whole sandbox pipeline
	$(BIN)/python -m pytest tests/e2e

test-resilience: $(STAMP) ## faults, storms, poison bodies, fuzzing, template checks (also in `test`)
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests/resilience

demo: $(STAMP) ## run govbot on the embedded sandbox and tell the story
	$(BIN)/python -m govbot_sandbox.demo

lint: $(STAMP) typecheck ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy over the code, the infra and the benchmarks
	$(BIN)/mypy lambdas/govbot govbot_sandbox infra app.py bench

synth: $(STAMP) ## synthesize the CloudFormation templates into cdk.out (offline)
	$(BIN)/python app.py

bench: $(STAMP) ## run the benchmarks; results go to bench/results.json
	$(BIN)/python -m bench.run

clean: ## remove the virtual environment and build outputs
	rm -rf $(VENV) cdk.out .pytest_cache .mypy_cache .ruff_cache *.egg-info
