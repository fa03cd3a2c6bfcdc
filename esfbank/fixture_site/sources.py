"""Where the fixture server's files come from: a site directory (or a generated site)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

from esfbank.fixture_site.manifest import Manifest, load_manifest


class PageSource(Protocol):
    """Where the server's files come from: the committed directory or a generated site."""

    @property
    def manifest(self) -> Manifest: ...

    def read(self, rel: str) -> bytes | None:
        """The file's bytes (with `{base}` placeholders), None when there is no such file."""
        ...


class DirectorySource:
    """Files of a site directory, read once and kept (the committed site is small)."""

    def __init__(self, root: Path) -> None:
        if not (root / "MANIFEST.json").is_file():
            raise FileNotFoundError(f"{root}: not a fixture site (no MANIFEST.json)")
        self.root = root
        self.manifest = load_manifest(root / "MANIFEST.json")
        self._cache: dict[str, bytes | None] = {}
        self._lock = threading.Lock()

    def read(self, rel: str) -> bytes | None:
        with self._lock:
            if rel not in self._cache:
                path = self.root / rel
                self._cache[rel] = path.read_bytes() if path.is_file() else None
            return self._cache[rel]
