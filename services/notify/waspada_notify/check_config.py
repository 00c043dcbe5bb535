"""`python -m waspada_notify.check_config FILE...`: check routing files offline (as amtool check-config).

Prints one line per file; each problem as `file:line: key.path: message`. Exit status 1 if any fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

from waspada_notify.domain.loader import ConfigError, load_routing


def check_file(path: Path) -> tuple[bool, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return False, f"{path}: cannot read: {exc.strerror or exc}"
    try:
        config = load_routing(text, str(path))
    except ConfigError as exc:
        return False, str(exc)

    def count(route: object) -> int:
        children = getattr(route, "routes", [])
        return 1 + sum(count(c) for c in children)

    return True, (
        f"{path}: OK ({len(config.receivers)} receivers, {count(config.route)} routes, "
        f"{len(config.inhibit_rules)} inhibit rules)"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 2
    ok = True
    for name in args:
        good, text = check_file(Path(name))
        print(text, file=sys.stdout if good else sys.stderr)
        ok = ok and good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
