"""Whether to request a page, and how: the incremental crawl's one rule, as a pure function.

- The sitemap's lastmod equals the one stored when the page was last fetched → not requested
  (it counts as seen).
- Otherwise a page fetched before is asked for conditionally (If-None-Match / If-Modified-Since)
  so an unchanged page costs a 304 and no body.
- A full crawl (backfill) asks for everything unconditionally.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from load.store import UrlState

OK = 200


@dataclass(frozen=True, slots=True)
class Skip:
    """Known unchanged: do not request."""


@dataclass(frozen=True, slots=True)
class Fetch:
    """Request, with these validator headers (empty for an unconditional request)."""

    headers: dict[str, str] = field(default_factory=dict)


Decision = Skip | Fetch


def decide(state: UrlState | None, sitemap_lastmod: str | None, *, incremental: bool) -> Decision:
    if not incremental or state is None or state.removed or state.http_status != OK:
        return Fetch()
    if sitemap_lastmod is not None and state.sitemap_lastmod == sitemap_lastmod:
        return Skip()
    headers: dict[str, str] = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return Fetch(headers)
