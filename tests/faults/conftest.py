"""Every test in tests/faults stops shared processes: mark it `faults`, so that a plain `pytest` (and
`make test`) deselects it through pyproject's `addopts = "-m 'not faults'"`; `make test-faults` runs
them with `-m faults`."""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before the -m deselection
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.faults)
