# Local development entry points; the work is done by deploy/local/*.sh.
#   make up [S="kafka postgres"]   start all (or some) processes, return when ready
#   make test [ARGS="tests/unit -x"]
#   make backtest FILE=reports.jsonl [EXPECT=expectations.json] [MODE=batch|day|report|kafka] [ARGS=...]
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

STACK := deploy/local/stack.sh
PY    := .venv/bin/python
S     ?=
ARGS  ?=
FILE  ?=
EXPECT ?=
MODE  ?= batch

.PHONY: help setup up down status clean demo test test-faults bench bench-ceiling backtest lint lock audit backup restore

help:
	@sed -n '2,5s/^# \{0,1\}//p' Makefile
	@echo "targets: setup up down status clean demo test test-faults bench bench-ceiling backtest lint lock audit backup restore"

setup:
	@$(STACK) setup

up:
	@t0=$${EPOCHREALTIME/./}; rc=0; $(STACK) up $(S) || rc=$$?; \
	 ms=$$(( ($${EPOCHREALTIME/./} - t0) / 1000 )); \
	 printf '[make] up %s in %d.%01ds\n' "$$( ((rc)) && echo FAILED || echo done)" $$((ms/1000)) $$((ms%1000/100)); \
	 exit $$rc

down:
	@$(STACK) down $(S)

status:
	@$(STACK) status

clean:
	@$(STACK) clean

demo: up
	source deploy/local/env.sh && $(PY) deploy/local/demo.py

test:
	@deploy/local/test.sh $(ARGS)

test-faults:
	@deploy/local/test.sh -m faults tests/faults $(ARGS)

# The stack's own services are stopped while the benchmark runs its own on the same Kafka and PostgreSQL
# (idle, they would still take a fifth of a core from it), and started again afterwards. (env.sh: the
# tools connect to Kafka with the local profile's super user credentials.)
bench: up
	@$(STACK) down console receiver notify scoring intake
	@source deploy/local/env.sh && $(PY) bench/run.py; status=$$?; $(STACK) up; exit $$status

# What one and three hops of bare, JSON-decoding and pydantic-typed passthrough reach on this machine:
# the ceiling the pipeline's rate is read against (docs/benchmarks.md, "Seventh pass").
bench-ceiling: up
	@$(STACK) down console receiver notify scoring intake
	@source deploy/local/env.sh && $(PY) bench/ceiling.py $(ARGS); status=$$?; $(STACK) up; exit $$status

# Replays FILE through scratch intake/scoring/notify processes (ports 2818x, database waspada_backtest,
# a fresh topic prefix) against the stack's Kafka and PostgreSQL; docs/backtest.md.
backtest: up
	@[[ -n "$(FILE)" ]] || { echo "usage: make backtest FILE=reports.jsonl [EXPECT=expectations.json] [MODE=batch]" >&2; exit 2; }
	source deploy/local/env.sh && $(PY) -m backtest "$(FILE)" --mode $(MODE) $(if $(EXPECT),--expect "$(EXPECT)") $(ARGS)

lint: setup
	.venv/bin/ruff check .
	.venv/bin/mypy libs services backtest bench

backup:
	@deploy/local/backup.sh backup $(FILE)

restore:
	@deploy/local/backup.sh restore $(FILE) $(DB)

# Regenerate requirements/*.txt (hashes of every transitive dependency) from pyproject.toml's pins,
# then install them; run after changing a pin or adding a dependency (docs/operations.md, Supply chain).
lock:
	@[[ -x .venv/bin/uv ]] || $(STACK) setup
	@scripts/lock.sh
	@$(STACK) setup

# Known vulnerabilities in the locked packages (also a test in make test); see docs/operations.md.
audit: setup
	$(PY) scripts/audit.py
