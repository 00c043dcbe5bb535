"""Read the routing YAML strictly: duplicate keys, unknown keys and bad values fail with the line. Pure."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from waspada_notify.domain.config import Path, RoutingConfig, check


class ConfigError(Exception):
    """Every problem found in a configuration file, each as `file:line: key.path: message`."""

    def __init__(self, source: str, problems: list[tuple[int | None, str, str]]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(
            f"{self.source}:{line if line is not None else '?'}: {path + ': ' if path else ''}{msg}"
            for line, path, msg in self.problems
        )


def _dotted(path: Path) -> str:
    return ".".join(str(p) for p in path)


class _Reader:
    """Turns a composed YAML node tree into plain data, remembering the line of every key path."""

    def __init__(self, loader: yaml.SafeLoader, source: str) -> None:
        self.loader = loader
        self.source = source
        self.lines: dict[Path, int] = {}

    def read(self, node: yaml.Node, path: Path) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise ConfigError(
                        self.source, [(line, _dotted(path), "YAML merge keys (<<) are not supported")]
                    )
                if not isinstance(key_node, yaml.ScalarNode):
                    raise ConfigError(self.source, [(line, _dotted(path), "keys must be plain text")])
                key = self.loader.construct_object(key_node)
                if key in out:
                    raise ConfigError(self.source, [(line, _dotted((*path, key)), "duplicate key")])
                self.lines[(*path, key)] = line
                out[key] = self.read(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.read(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node)

    def line_of(self, path: Path) -> int | None:
        for cut in range(len(path), -1, -1):
            found = self.lines.get(path[:cut])
            if found is not None:
                return found
        return None


def load_routing(text: str, source: str = "<routing>") -> RoutingConfig:
    """Parse and check a routing file; raise ConfigError listing every problem with its line."""
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            raise ConfigError(source, [(line, "", f"not valid YAML: {exc.problem or exc}")]) from None
        if node is None:
            raise ConfigError(source, [(1, "", "the file is empty")])
        reader = _Reader(loader, source)
        data = reader.read(node, ())
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ConfigError(source, [(1, "", "the file must be a mapping (receivers:, route:, ...)")])
    try:
        config = RoutingConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False, include_input=False):
            loc = tuple(err["loc"])
            problems.append((reader.line_of(loc), _dotted(loc), err["msg"].removeprefix("Value error, ")))
        raise ConfigError(source, problems) from None
    semantic = check(config)
    if semantic:
        raise ConfigError(source, [(reader.line_of(p), _dotted(p), msg) for p, msg in semantic])
    return config
