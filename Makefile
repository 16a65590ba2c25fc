# One Makefile for people and CI. Every target creates .venv and installs on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The AWS CLI from PyPI, in a virtualenv of its own (its bundled botocore, not ours).
AWSCLI_VENV := .awscli-venv
AWSCLI := $(AWSCLI_VENV)/bin/aws
AWSCLI_SPEC := awscli>=1.36,<2
# Built once per user, named by its inputs (spec and Python), shared by every clone like
# pip's cache; .awscli-venv links to it. GOVBOT_TEST_CACHE moves it.
TEST_CACHE := $(or $(GOVBOT_TEST_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/govbot-tests)
AWSCLI_KEY := $(shell printf '%s %s' '$(AWSCLI_SPEC)' "$$($(PYTHON) -V 2>&1)" | sha256sum | cut -c1-16)
AWSCLI_SHARED := $(TEST_CACHE)/awscli-venv-$(AWSCLI_KEY)
# Python writes its bytecode caches (__pycache__/, gitignored; the Lambda assets exclude them)
# even where the environment sets PYTHONDONTWRITEBYTECODE (this machine's does): otherwise
# every process compiles every module it imports again (aws_cdk alone ~3 s of CPU; the suite
# starts dozens of Python processes) and pytest rewrites every test module in each worker.
export PYTHONDONTWRITEBYTECODE :=
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
# README states the supported Node.js lines; CI's Node 20 still synthesizes fine.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 18,20
export CDK_DISABLE_CLI_TELEMETRY := true
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: help install lock typecheck awscli browser test test-unit test-integration test-infra test-e2e test-resilience test-artifact artifact-env lambda-python test-live serve demo lint synth bench suite-time clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

LOCK := requirements-lock.txt

# uv (from PyPI, pinned) in a bootstrap venv of its own, built once per user like the AWS CLI's.
# With it a fresh clone installs from uv's cache in seconds (offline first, then the index);
# without it (bootstrap failed) pip does the same install, slower. Both follow the lock, and
# the stamp depends on it: a changed lock reinstalls.
UV_SPEC := uv==0.13.8
UV_KEY := $(shell printf '%s %s' '$(UV_SPEC)' "$$($(PYTHON) -V 2>&1)" | sha256sum | cut -c1-16)
UV_SHARED := $(TEST_CACHE)/uv-venv-$(UV_KEY)
UV := $(UV_SHARED)/bin/uv
UV_INSTALL := $(UV) pip install --quiet --python $(BIN)/python -c $(LOCK) -e ".[dev]"

$(UV):
	@mkdir -p $(TEST_CACHE)
	@flock $(UV_SHARED).lock sh -c 'test -f $(UV_SHARED)/.complete || { \
		rm -rf $(UV_SHARED) && $(PYTHON) -m venv $(UV_SHARED) && \
		$(UV_SHARED)/bin/python -m pip install --quiet "$(UV_SPEC)" && \
		touch $(UV_SHARED)/.complete; }' || echo "uv unavailable: installing with pip"

$(STAMP): pyproject.toml $(LOCK) | $(UV)
	@if test -x $(UV); then \
		test -x $(BIN)/python || $(UV) venv --quiet --seed --python $(PYTHON) $(VENV); \
		$(UV_INSTALL) --offline 2>/dev/null || $(UV_INSTALL); \
	else \
		test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
		$(BIN)/python -m pip install --quiet --upgrade pip; \
		$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[dev]"; \
	fi
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install govbot with every extra (versions from requirements-lock.txt)

lock: $(STAMP) ## re-pin requirements-lock.txt from what .venv now holds
	@{ sed -n '1,/^[^#]/{/^#/p}' $(LOCK); $(BIN)/python -m pip freeze --exclude-editable | grep -v '^govbot'; } > $(LOCK).new
	@mv $(LOCK).new $(LOCK)

$(AWSCLI):
	@mkdir -p $(TEST_CACHE)
	@flock $(AWSCLI_SHARED).lock sh -c 'test -f $(AWSCLI_SHARED)/.complete || { \
		rm -rf $(AWSCLI_SHARED) && $(PYTHON) -m venv $(AWSCLI_SHARED) && \
		$(AWSCLI_SHARED)/bin/python -m pip install --quiet "$(AWSCLI_SPEC)" && \
		touch $(AWSCLI_SHARED)/.complete; }'
	@rm -rf $(AWSCLI_VENV) && ln -s $(AWSCLI_SHARED) $(AWSCLI_VENV)

awscli: $(AWSCLI) ## the AWS CLI from PyPI in .awscli-venv (for the live tests and walk-through)

browser: ## headless Chromium for the HTML report test (Debian's package; CI runs this)
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

test: $(STAMP) $(AWSCLI) browser ## run every test layer (unit, integration, infra, e2e, artifact, resilience)
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests

test-unit: $(STAMP) ## unit tests only (sockets blocked)
	$(BIN)/python -m pytest tests/unit

test-integration: $(STAMP) browser ## moto + AppStream emulator through real boto3 clients
	$(BIN)/python -m pytest tests/integration

test-infra: $(STAMP) ## synthesized template, cdk-nag, cfn-lint
	$(BIN)/python -m pytest tests/infra

test-e2e: $(STAMP) $(AWSCLI) ## the whole sandbox pipeline (and the live endpoint, AWS CLI)
	$(BIN)/python -m pytest tests/e2e

test-resilience: $(STAMP) ## faults, storms, poison bodies, fuzzing, template checks (also in `test`)
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests/resilience

test-live: $(STAMP) $(AWSCLI) ## the live endpoint through the AWS CLI only
	$(BIN)/python -m pytest tests/e2e/test_e2e_live_cli.py

serve: $(STAMP) ## run govbot live on one loopback endpoint (see README "Try it live")
	$(BIN)/govbot-sandbox serve --port 4566 --speed 60

test-artifact: $(STAMP) ## the synthesized Lambda assets, run in a Lambda-like environment
	$(BIN)/python -m pytest tests/artifact

artifact-env: $(STAMP) ## build the cached Lambda-like venv (CPython 3.13, boto3 + pinned Powertools) in ~/.cache/govbot-tests
	$(BIN)/python -m tests.artifact.lambda_env

lambda-python: $(STAMP) ## CPython 3.13 (the Lambda runtime's) from Debian's packages into the per-user cache (synth and tests do it on first use)
	$(BIN)/python -m infra.interpreter

demo: $(STAMP) ## run govbot on the embedded sandbox and tell the story
	$(BIN)/python -m govbot_sandbox.demo

lint: $(STAMP) typecheck ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy over the code, the infra, the benchmarks and the tests
	$(BIN)/mypy lambdas/govbot govbot_cli govbot_sandbox infra app.py bench tests

synth: $(STAMP) ## synthesize the CloudFormation templates into cdk.out (or $$CDK_OUTDIR), offline
	$(BIN)/python app.py

bench: $(STAMP) ## run the benchmarks; results go to bench/results.json
	$(BIN)/python -m bench.run

suite-time: $(STAMP) ## fresh clone of HEAD, timed make install + make test, into bench/results.json
	$(BIN)/python -m bench.run fresh_clone_make_test

clean: ## remove the virtual environment and build outputs
	rm -rf $(VENV) $(AWSCLI_VENV) cdk.out build node_modules .pytest_cache .mypy_cache .ruff_cache *.egg-info
