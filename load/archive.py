"""The raw archive: every fetched response, kept so `esfbank reparse` can rebuild offline.

Layout under the archive root:

    blobs/ab/abcdef….gz     response bodies, gzip-compressed, named by the SHA-256 of the raw body
    index/<segment>.jsonl   one JSON line per fetch: URL, status, headers, fetch time, body key,
                            and its role (`page`, or `discovery` for robots.txt and sitemaps);
                            a page taken from the Internet Archive is kept under its original
                            esf.se URL, with `capture_url`, the capture it was read from

Bodies are content-addressed, so a page fetched a hundred times unchanged costs one blob. Each
writer appends to its own index segment, one flushed line per fetch, so concurrent writers never
interleave and a process killed mid-write leaves at most one torn last line, which readers skip.
A blob is written to a temporary name and renamed, so it is either whole or absent, and it is
always written before the index line that points at it.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

Headers = Mapping[str, Sequence[str]]

PAGE = "page"  # a page the pipeline parses (projects, news, calls, listings)
DISCOVERY = "discovery"  # robots.txt and sitemaps: archived, never parsed into records


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """One fetch: `body_key` is None when the response had no body to keep (304, errors).
    `capture_url`: the Internet Archive capture a legacy page was read from (`url` is then the
    page's original address)."""

    url: str
    status: int
    fetched_at: dt.datetime
    body_key: str | None
    headers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    role: str = PAGE
    capture_url: str | None = None

    def header(self, name: str) -> str | None:
        """First value of a header, case-insensitively; None when absent."""
        wanted = name.lower()
        for key, values in self.headers.items():
            if key.lower() == wanted and values:
                return values[0]
        return None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "url": self.url,
            "status": self.status,
            "fetched_at": self.fetched_at.isoformat(),
            "body_key": self.body_key,
            "headers": {k: list(v) for k, v in self.headers.items()},
            "role": self.role,
        }
        if self.capture_url is not None:
            data["capture_url"] = self.capture_url
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ArchiveEntry:
        return cls(
            url=str(data["url"]),
            status=int(data["status"]),
            fetched_at=dt.datetime.fromisoformat(str(data["fetched_at"])),
            body_key=data.get("body_key"),
            headers={str(k): tuple(str(v) for v in vs) for k, vs in data["headers"].items()},
            role=str(data.get("role", PAGE)),
            capture_url=data.get("capture_url"),
        )


@dataclass(slots=True)
class ArchivedPages:
    latest: dict[str, ArchiveEntry] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)


class ArchiveError(Exception):
    """A blob the index points at is missing or unreadable."""


class Archive:
    """Append-only store of raw responses under one directory (created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._segment: IO[str] | None = None
        self._latest_with_body: dict[str, ArchiveEntry] | None = None

    # -- writing -----------------------------------------------------------------------------

    def put(
        self,
        url: str,
        status: int,
        headers: Headers,
        body: bytes | None,
        fetched_at: dt.datetime,
        *,
        role: str = PAGE,
        capture_url: str | None = None,
    ) -> ArchiveEntry:
        """Keep one fetch; a body of None (a 304, say) records the fetch without content."""
        key = self._put_blob(body) if body is not None else None
        entry = ArchiveEntry(
            url=url,
            status=status,
            fetched_at=fetched_at,
            body_key=key,
            headers={str(k): tuple(str(v) for v in vs) for k, vs in headers.items()},
            role=role,
            capture_url=capture_url,
        )
        segment = self._open_segment()
        segment.write(json.dumps(entry.to_json(), ensure_ascii=False) + "\n")
        segment.flush()
        if status == OK and key is not None and self._latest_with_body is not None:
            self._latest_with_body[url] = entry
        return entry

    def close(self) -> None:
        if self._segment is not None:
            self._segment.close()
            self._segment = None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _blob_path(self, key: str) -> Path:
        return self.root / "blobs" / key[:2] / f"{key}.gz"

    def _put_blob(self, body: bytes) -> str:
        key = hashlib.sha256(body).hexdigest()
        path = self._blob_path(key)
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as raw:
                raw.write(gzip.compress(body, compresslevel=6, mtime=0))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def _open_segment(self) -> IO[str]:
        if self._segment is None:
            index = self.root / "index"
            index.mkdir(parents=True, exist_ok=True)
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
            name = f"{stamp}-{os.getpid()}.jsonl"
            self._segment = (index / name).open("a", encoding="utf-8")
        return self._segment

    # -- reading -----------------------------------------------------------------------------

    def read_body(self, key: str) -> bytes:
        path = self._blob_path(key)
        try:
            return gzip.decompress(path.read_bytes())
        except (OSError, EOFError) as exc:
            raise ArchiveError(f"{path}: archived body {key} unreadable: {exc}") from exc

    def entries(self) -> Iterator[ArchiveEntry]:
        """Every fetch in the order it was archived (segments sort by creation time)."""
        return map(ArchiveEntry.from_json, self._rows())

    def _rows(self) -> Iterator[dict[str, Any]]:
        """Every fetch's index line, parsed, in archive order. A year of nightly crawls is
        millions of lines, mostly 304s: they are read as bytes by orjson (a third of `json`'s
        cost) and only the lines a caller keeps become entries."""
        index = self.root / "index"
        if not index.is_dir():
            return
        for segment in sorted(index.glob("*.jsonl")):
            with segment.open("rb") as lines:
                for line in lines:
                    if not line.endswith(b"\n"):
                        break  # torn last line of a writer that was killed mid-write
                    yield orjson.loads(line)

    def pages(self) -> ArchivedPages:
        """Each page URL's newest 200 copy, and the URLs whose newest answer since was 404/410.

        304s, redirects, failed fetches and discovery documents (all archived too) change nothing.
        """
        latest: dict[str, dict[str, Any]] = {}
        gone: set[str] = set()
        for row in self._rows():
            if row.get("role", PAGE) != PAGE:
                continue
            status, url = row["status"], row["url"]
            if _is_copy(row):
                latest[url] = row
                gone.discard(url)
            elif status in GONE_STATUSES:
                gone.add(url)
        return ArchivedPages(
            {url: ArchiveEntry.from_json(row) for url, row in latest.items()}, gone
        )

    def latest_with_body(self, url: str) -> ArchiveEntry | None:
        """The newest archived copy of a URL with a body (for a 304 whose content we need)."""
        if self._latest_with_body is None:
            rows = {row["url"]: row for row in self._rows() if _is_copy(row)}
            self._latest_with_body = {u: ArchiveEntry.from_json(r) for u, r in rows.items()}
        return self._latest_with_body.get(url)


OK = 200
GONE_STATUSES = frozenset({404, 410})


def _is_copy(row: Mapping[str, Any]) -> bool:
    """Whether an index line is a copy of its page: a 200 whose body was kept."""
    return bool(row["status"] == OK and row.get("body_key") is not None)


SAVED_PAGE_TYPES = {".html": "text/html", ".htm": "text/html"}


def archive_saved_page(
    archive: Archive, path: Path, url: str | None, loaded_at: dt.datetime
) -> str | None:
    """Keep a saved page that `esfbank load` reads like a fetch of its URL, so `reparse` covers
    it too. A page without a URL has no identity to rebuild it under: it is not archived."""
    if url is None:
        return None
    content_type = SAVED_PAGE_TYPES.get(path.suffix.lower(), "text/plain")
    entry = archive.put(url, OK, {"Content-Type": [content_type]}, path.read_bytes(), loaded_at)
    return entry.body_key
