"""`python -m waspada_scoring`: run the scoring service."""

from __future__ import annotations

from waspada_scoring.app import create_app
from waspada_scoring.settings import ScoringSettings
from waspada_shared.runner import serve


def main() -> None:
    serve("scoring", ScoringSettings(), create_app)


if __name__ == "__main__":
    main()
