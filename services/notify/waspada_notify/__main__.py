"""`python -m waspada_notify`: run the notify service."""

from __future__ import annotations

from waspada_shared.runner import serve

from waspada_notify.app import create_app
from waspada_notify.settings import NotifySettings


def main() -> None:
    serve("notify", NotifySettings(), create_app)


if __name__ == "__main__":
    main()
