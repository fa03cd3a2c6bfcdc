"""A fake Internet Archive on loopback: a CDX index and raw (`id_`) captures, with every request
counted, and the faults the archive can have (an empty index, bad JSON, a 5xx, a lost capture).

    with FakeArchive({original_url: [(timestamp, body), ...]}) as archive:   # oldest first
        archive.base_url                       # http://127.0.0.1:PORT, for --wayback-url
        archive.requests                       # every request target, in order
        archive.index_answer = b"[]"           # every index query answers this instead
        archive.index_status = 503             # ... or this status
        archive.lost.add(original_url)         # its captures answer 404
        archive.most_at_once                   # the most requests it was answering at once
        archive.rows_per_answer = 3            # an index answer holds at most this many rows

An index answer holds at most `rows_per_answer` rows (and at most the query's `limit`), as the
real index caps its answers. Asked with `showResumeKey=true`, a capped answer ends with an empty
row and a row holding the key that `resumeKey=` continues from, as the real index's JSON does;
asked without, the rows past the cap are silently left out.

`slow` (seconds) makes each answer take that long, as the real archive's do, so requests sent
at once would overlap (and show in `most_at_once`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

Captures = Mapping[str, Sequence[tuple[str, bytes]]]
FIELDS = ["urlkey", "timestamp", "original", "statuscode"]


class FakeArchive:
    def __init__(self, captures: Captures, *, slow: float = 0.0) -> None:
        self.captures = {url: list(found) for url, found in captures.items()}
        self.slow = slow
        self.most_at_once = 0
        self._at_once = 0
        self.requests: list[str] = []
        self.index_answer: bytes | None = None
        self.index_status = 200
        self.lost: set[str] = set()
        self.rows_per_answer: int | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> FakeArchive:
        archive = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with archive._lock:
                    archive.requests.append(self.path)
                    archive._at_once += 1
                    archive.most_at_once = max(archive.most_at_once, archive._at_once)
                try:
                    time.sleep(archive.slow)  # a slow archive, not a synchronisation
                    status, body = archive.answer(self.path)
                finally:
                    with archive._lock:
                        archive._at_once -= 1
                self.send_response(status)
                capture = self.path.startswith("/web/")
                kind = "text/html" if capture else "application/json"
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def capture_requests(self) -> list[str]:
        with self._lock:
            return [r for r in self.requests if r.startswith("/web/")]

    def answer(self, target: str) -> tuple[int, bytes]:
        parts = urlsplit(target)
        if parts.path == "/cdx/search/cdx":
            if self.index_status != 200:
                return self.index_status, b"index unavailable"
            if self.index_answer is not None:
                return 200, self.index_answer
            return 200, self._index(parse_qs(parts.query))
        if parts.path.startswith("/web/"):
            stamp, _, original = target.removeprefix("/web/").partition("id_/")
            bodies = dict(self.captures.get(original, []))
            if original in self.lost or stamp not in bodies:
                return 404, b"not in the archive"
            return 200, bodies[stamp]
        return 404, b"not found"

    def _index(self, query: dict[str, list[str]]) -> bytes:
        """The rows under a prefix, oldest capture first, as the real index sorts them (by key,
        then time), from the one after `resumeKey` and capped; `[]` when there is none."""
        wanted = _key(query["url"][0])
        rows = [
            [_key(url), stamp, url, "200"]
            for url, found in sorted(self.captures.items())
            if _key(url).startswith(wanted)
            for stamp, _ in found
        ]
        rows.sort(key=lambda row: (row[0], row[1]))
        if "resumeKey" in query:
            after = query["resumeKey"][0]
            rows = [row for row in rows if f"{row[0]} {row[1]}" > after]
        caps = [self.rows_per_answer, *(int(n) for n in query.get("limit", []))]
        cap = min((c for c in caps if c is not None), default=len(rows))
        answer: list[list[str]] = [FIELDS, *rows[:cap]] if rows else []
        if len(rows) > cap and query.get("showResumeKey") == ["true"]:
            last = rows[cap - 1]
            answer += [[], [f"{last[0]} {last[1]}"]]
        return json.dumps(answer).encode()


def _key(url: str) -> str:
    """What the index compares: no scheme, no `www.`, lower case (a much simplified SURT)."""
    bare = url.split("://", 1)[-1].lower()
    return bare.removeprefix("www.")
