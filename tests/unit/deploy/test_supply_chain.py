"""The lock files (requirements/*.txt, `make lock`) agree with pyproject.toml's pins, are what the setup and
the Dockerfile install, and hold no known vulnerability that is not explained (scripts/audit.py).
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]
REQUIREMENTS = ROOT / "requirements"


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def audit_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("waspada_audit", ROOT / "scripts" / "audit.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def lock(name: str) -> dict[str, str]:
    pins: dict[str, str] = audit_script().locked(REQUIREMENTS / name)
    return pins


def direct_pins(*, dev: bool) -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"]) + (list(project["optional-dependencies"]["dev"]) if dev else [])
    pins = {}
    for spec in specs:
        m = re.fullmatch(r"([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==(\S+)", spec)
        assert m, f"pyproject.toml: {spec!r} is not pinned with == (the lock starts from exact pins)"
        pins[normalise(m.group(1))] = m.group(2)
    return pins


@pytest.mark.parametrize(
    ("lock_file", "dev"), [("runtime.txt", False), ("dev.txt", True)]
)  # fmt: skip
def test_lock_holds_every_direct_pin_at_its_version(lock_file: str, dev: bool) -> None:
    locked = lock(lock_file)
    for name, version in direct_pins(dev=dev).items():
        assert locked.get(name) == version, f"{name}=={version} not in {lock_file}: run make lock"


def test_dev_lock_has_the_runtime_versions_and_the_build_backend() -> None:
    runtime, dev = lock("runtime.txt"), lock("dev.txt")
    assert {n: dev.get(n) for n in runtime} == runtime
    assert lock("build.txt").items() <= dev.items() and "setuptools" in lock("build.txt")


@pytest.mark.parametrize("lock_file", ["runtime.txt", "build.txt", "dev.txt"])
def test_every_locked_package_carries_hashes(lock_file: str) -> None:
    text = (REQUIREMENTS / lock_file).read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert entries, lock_file
    for entry in entries:
        if entry.strip() and not entry.startswith("#"):
            assert "--hash=sha256:" in entry, f"{lock_file}: no hash for {entry.splitlines()[0]}"


def test_the_virtualenv_has_the_locked_versions() -> None:
    # What the setup installed is what the lock says (a stale .venv is re-installed by make setup).
    for name, version in direct_pins(dev=True).items():
        assert metadata.version(name) == version.split("!")[-1] or metadata.version(name) == version, name


def test_setup_dockerfile_and_make_lock_use_the_lock_files() -> None:
    stack = (ROOT / "deploy" / "local" / "stack.sh").read_text(encoding="utf-8")
    assert 'VENV_LOCK="$ROOT/requirements/dev.txt"' in stack
    assert '--require-hashes --no-deps -r "$VENV_LOCK"' in stack
    dockerfile = (ROOT / "deploy" / "docker" / "Dockerfile").read_text(encoding="utf-8")
    assert "--require-hashes --no-deps -r requirements/runtime.txt" in dockerfile
    assert "--require-hashes --no-deps -r requirements/build.txt" in dockerfile
    assert "pip install --no-deps /tmp/wheels/" in dockerfile
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\nlock:" in makefile and "scripts/lock.sh" in makefile


def test_every_ignored_advisory_gives_its_reason() -> None:
    for advisory, reason in audit_script().ignored().items():
        assert len(reason) > 20, f"{advisory}: say why it is accepted"


def test_no_unexplained_known_vulnerability_in_the_lock() -> None:
    report = audit_script().audit()
    print(audit_script().show(report))
    if report.source == "none":
        pytest.skip("no advisory source reachable (offline): nothing audited; see docs/operations.md")
    assert not report.findings, audit_script().show(report)
    # At least the packages pinned at their latest release are audited even from a machine that
    # reaches only the package index.
    assert report.audited
