"""`python -m waspada_intake.openapi`: write (or `--check`) the committed OpenAPI document of intake.

    python -m waspada_intake.openapi               # writes docs/openapi.json
    python -m waspada_intake.openapi --check       # exit 1 if docs/openapi.json is out of date

Generated from the application itself with default settings (environment ignored), so the committed
file does not depend on who generated it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from waspada_intake.app import create_app
from waspada_intake.settings import IntakeSettings

DEFAULT_PATH = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


def document() -> dict[str, Any]:
    # model_construct skips the environment: only the defaults shape the document.
    settings = IntakeSettings.model_construct(profile="test")
    return create_app(settings).openapi()


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m waspada_intake.openapi", description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--check", action="store_true", help="fail if the file differs from the code")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run python -m waspada_intake.openapi", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
