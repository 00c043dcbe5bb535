"""`python -m waspada_console` / `waspada-console`: run the web console."""

from __future__ import annotations

from waspada_console.app import create_app
from waspada_console.settings import ConsoleSettings
from waspada_shared.runner import serve


def main() -> None:
    serve("console", ConsoleSettings(), create_app)


if __name__ == "__main__":
    main()
