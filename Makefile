# Offboard. `make demo` and `make test` do all the set-up a fresh machine needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   ?= .venv
PYTHON ?= python3
CARGO  ?= cargo
# One target directory and one profile (release) for tests, demo and benchmarks,
# so the AWS SDK crates are compiled once.
CARGO_RELEASE := $(CARGO) build --release --locked --workspace --bins

# The synthesized stack: the local stack gives each function and each person's role
# exactly the statements this template gives it.
TEMPLATE := target/cdk.out/Offboard.template.json

# The real AWS CLI (awscli from PyPI, unmodified), in a venv of its own: it pins its
# botocore, which moto's venv must not have changed under it. `make stack`'s test uses it.
AWSCLI_VENV := .venv-awscli

.PHONY: help setup chromium build synth demo test chaos lint fmt sim stack bench deploy

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

chromium: ## Install Debian's chromium (the report's browser test needs it) when it is missing
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

$(AWSCLI_VENV)/.installed: requirements-awscli.txt
	$(PYTHON) -m venv $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-awscli.txt
	touch $@

setup: $(VENV)/.installed $(AWSCLI_VENV)/.installed chromium ## Install the local stack's tools (moto's server, cargo-lambda) into .venv, the AWS CLI into .venv-awscli, and chromium

build: ## Build the release binaries (planner, executor, zoom-sim, demo)
	$(CARGO_RELEASE)

$(TEMPLATE): $(wildcard infra/lib/*.ts infra/bin/*.ts) infra/cdk.json infra/package-lock.json infra/synth.sh
	bash infra/synth.sh $(CURDIR)/target/cdk.out

synth: $(TEMPLATE) ## Synthesize the CDK stack into target/cdk.out (the local stack's IAM comes from it)

demo: setup build synth ## Run the pipeline once on the local stack and print a summary
	./target/release/demo --users 2000 --seed 42 --roster examples/roster.csv

test: setup build synth ## Every test of the workspace, the end-to-end ones included
	$(CARGO) test --release --locked --workspace
	bash tests/third-party-client/run.sh
	bash infra/test.sh

chaos: setup build synth ## 5,000 actions through Zoom faults and executor kills; ends with planned=N terminal=N applied_twice=0 lost=0 dlq=K
	./target/release/chaos --actions 5000 --kills 3

lint: ## cargo fmt --check, imports one way and files under 600 lines, no unused dependency, clippy with warnings as errors
	$(CARGO) fmt --all --check
	$(PYTHON) scripts/check_structure.py
	command -v cargo-machete >/dev/null || $(CARGO) install --locked --quiet cargo-machete@0.9.2
	cargo machete
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

bench: setup build synth ## Every benchmark in one run (about 30 min): PASS/MISS per target, bench/results.json, BENCHMARKS.md
	$(PYTHON) scripts/bench.py

deploy: ## Build the arm64 Lambda zips and deploy the stack with CDK (needs AWS credentials)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check ziglang
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH cargo lambda build --release --arm64 --output-format zip -p offboard-lambdas
	cd infra && npm ci && npx cdk deploy

fmt: ## Format the code
	$(CARGO) fmt --all

stack: setup build synth ## The whole local stack until Ctrl-C, for your own files and AWS tools (STACK_ARGS="--from-backup DIR")
	./target/release/stack $(STACK_ARGS)

sim: build ## Serve zoom-sim on port 9000 with 2000 users until Ctrl-C
	./target/release/zoom-sim --port 9000 --users 2000 --seed 42
