"""`python -m waspada_intake`: run the intake service."""

from __future__ import annotations

from waspada_intake.app import create_app
from waspada_intake.settings import IntakeSettings
from waspada_shared.runner import serve


def main() -> None:
    serve("intake", IntakeSettings(), create_app, proxy_headers=False)


if __name__ == "__main__":
    main()
