"""Static files under fingerprinted names (`console.3f2a9c0d1e.css`), cached for a year by browsers.

Names are computed once at start-up from the files' contents, so a changed file gets a new URL and a
browser never uses a stale copy; templates ask for `asset("css/console.css")`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath


class Assets:
    def __init__(self, root: Path, prefix: str = "/static") -> None:
        self.root = root
        self.prefix = prefix
        self._urls: dict[str, str] = {}
        self._files: dict[str, Path] = {}
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            logical = path.relative_to(root).as_posix()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
            pure = PurePosixPath(logical)
            printed = str(pure.with_name(f"{pure.stem}.{digest}{pure.suffix}"))
            self._urls[logical] = f"{prefix}/{printed}"
            self._files[printed] = path

    def url(self, logical: str) -> str:
        """The fingerprinted URL of a file under static/ (KeyError for a file that is not there)."""
        return self._urls[logical]

    def file(self, printed: str) -> Path | None:
        """The file behind a fingerprinted name, or None (an old or unknown name)."""
        return self._files.get(printed)
