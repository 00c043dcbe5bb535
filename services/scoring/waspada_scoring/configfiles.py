"""Load a model version from YAML: the shipped `config/` files, or another model file for a replay."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from waspada_scoring.domain.config import ElectionCalendar, Model, ModelConfig, VulnerabilityBaseline

PACKAGE_CONFIG = "config"
DEFAULT_MODEL = "model.yaml"


def _read_yaml(text: str, where: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{where}: not valid YAML: {exc}") from exc


def _shipped_text(name: str) -> str:
    return resources.files("waspada_scoring").joinpath(PACKAGE_CONFIG, name).read_text(encoding="utf-8")


def _sibling_text(model_path: Path | None, name: str) -> str:
    """A data file next to a model file given on the command line, else the shipped one."""
    if model_path is not None and (model_path.parent / name).is_file():
        return (model_path.parent / name).read_text(encoding="utf-8")
    return _shipped_text(name)


def load_model(path: str | Path | None = None) -> Model:
    """The shipped model (no path) or the model file at `path` with the data files it names."""
    model_path = Path(path) if path is not None else None
    text = model_path.read_text(encoding="utf-8") if model_path else _shipped_text(DEFAULT_MODEL)
    where = str(model_path or f"waspada_scoring/{PACKAGE_CONFIG}/{DEFAULT_MODEL}")
    config = ModelConfig.model_validate(_read_yaml(text, where))
    calendar = ElectionCalendar.model_validate(
        _read_yaml(_sibling_text(model_path, config.elections_file), config.elections_file)
    )
    baseline = VulnerabilityBaseline.model_validate(
        _read_yaml(_sibling_text(model_path, config.vulnerability_file), config.vulnerability_file)
    )
    return Model(config=config, calendar=calendar, baseline=baseline)


@cache
def shipped_model() -> Model:
    return load_model()
