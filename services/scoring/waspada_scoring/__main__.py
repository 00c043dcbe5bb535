"""`python -m waspada_scoring`: run the scoring service."""

from __future__ import annotations

from waspada_shared.runner import serve

from waspada_scoring.app import create_app
from waspada_scoring.settings import ScoringSettings


def main() -> None:
    serve("scoring", ScoringSettings(), create_app)


if __name__ == "__main__":
    main()
