# Local development entry points; the work is done by deploy/local/*.sh.
#   make up [S="kafka postgres"]   start all (or some) processes, return when ready
#   make test [ARGS="tests/unit -x"]
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

STACK := deploy/local/stack.sh
PY    := .venv/bin/python
S     ?=
ARGS  ?=

.PHONY: help setup up down status clean demo test test-faults bench lint lock audit

help:
	@sed -n '2,4s/^# \{0,1\}//p' Makefile
	@echo "targets: setup up down status clean demo test test-faults bench lint lock audit"

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
	$(PY) deploy/local/demo.py

test:
	@deploy/local/test.sh $(ARGS)

test-faults:
	@deploy/local/test.sh -m faults tests/faults $(ARGS)

bench: up
	$(PY) bench/run.py

lint: setup
	.venv/bin/ruff check .
	.venv/bin/mypy libs services

# Regenerate requirements/*.txt (hashes of every transitive dependency) from pyproject.toml's pins,
# then install them; run after changing a pin or adding a dependency (docs/operations.md, Supply chain).
lock:
	@[[ -x .venv/bin/uv ]] || $(STACK) setup
	@scripts/lock.sh
	@$(STACK) setup

# Known vulnerabilities in the locked packages (also a test in make test); see docs/operations.md.
audit: setup
	$(PY) scripts/audit.py
