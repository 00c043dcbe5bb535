"""`python -m waspada_notify`: run the notify service (exits with status 2 on a bad routing file)."""

from __future__ import annotations

import sys

from waspada_notify.app import create_app
from waspada_notify.domain.loader import ConfigError
from waspada_notify.settings import NotifySettings
from waspada_shared.runner import serve


def main() -> None:
    try:
        serve("notify", NotifySettings(), create_app)
    except ConfigError as exc:
        print(f"notify: invalid routing configuration\n{exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
