#!/usr/bin/env bash
# Regenerate the lock files from pyproject.toml (the direct pins) with uv: every transitive dependency
# pinned, with the sha256 of every wheel and sdist PyPI serves for it, for any platform (--universal),
# so the same files serve this machine, CI and the linux/amd64 or arm64 image.
#   requirements/runtime.txt  what the services need (the Dockerfile installs only this)
#   requirements/build.txt    the build backend (setuptools), for the Dockerfile's build stage
#   requirements/dev.txt      runtime (constrained to the same versions) + dev extra + build backend
# Run by `make lock`; docs/operations.md "Supply chain" says when.
set -euo pipefail
cd "$(dirname "$0")/.."
UV="${UV:-.venv/bin/uv}"
[[ -x "$UV" ]] || UV="$(command -v uv)" || { echo "[lock] no uv: run make setup first" >&2; exit 1; }
common=(--universal --python-version 3.11 --generate-hashes --no-strip-markers --quiet
        --custom-compile-command "make lock")
"$UV" pip compile "${common[@]}" pyproject.toml -o requirements/runtime.txt
"$UV" pip compile "${common[@]}" requirements/build.in -o requirements/build.txt
"$UV" pip compile "${common[@]}" pyproject.toml requirements/build.in --extra dev \
    -c requirements/runtime.txt -c requirements/build.txt -o requirements/dev.txt
echo "[lock] requirements/runtime.txt: $(grep -c '^[a-z0-9]' requirements/runtime.txt) packages," \
     "requirements/dev.txt: $(grep -c '^[a-z0-9]' requirements/dev.txt) packages"
