"""Whether to request a page, and how: the incremental crawl's one rule, as a pure function.

- The sitemap's lastmod equals the one stored when the page was last fetched → not requested
  (it counts as seen).
- Otherwise a page fetched before is asked for conditionally (If-None-Match / If-Modified-Since)
  so an unchanged page costs a 304 and no body.
- A URL whose last fetch ended at another URL after redirects (url_state.redirected_to) is
  judged by the same rule, with the target's state standing in for its own: skipped (and the
  target counted as seen with it) while its own lastmod is unchanged and the target was last
  answered 200; else asked for with the target's validators, which the redirect carries along,
  so an unchanged target answers 304. Without a usable target state it is fetched in full.
- A full crawl (backfill) asks for everything unconditionally.

A 304 is only believed from the URL whose validators were sent (`Fetch.validators_for`): a URL
that stopped redirecting, or now redirects elsewhere, may match the validators by accident
(If-Modified-Since is only a date), so the spider asks it again without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from load.store import UrlState

OK = 200


@dataclass(frozen=True, slots=True)
class Skip:
    """Known unchanged: do not request. `redirected_to`: the page it leads to, seen with it."""

    redirected_to: str | None = None


@dataclass(frozen=True, slots=True)
class Fetch:
    """Request, with these validator headers (empty for an unconditional request), taken from
    the state of `validators_for` (None when there are none)."""

    headers: dict[str, str] = field(default_factory=dict)
    validators_for: str | None = None


Decision = Skip | Fetch


def decide(
    state: UrlState | None,
    sitemap_lastmod: str | None,
    *,
    incremental: bool,
    target: UrlState | None = None,
) -> Decision:
    """`state` is the URL's own; `target` the state of `state.redirected_to`, when it has one."""
    if not incremental or state is None or state.removed:
        return Fetch()
    answered = state
    if state.redirected_to is not None:
        if target is None or target.url != state.redirected_to:
            return Fetch()
        answered = target
    if answered.removed or answered.http_status != OK:
        return Fetch()
    if sitemap_lastmod is not None and state.sitemap_lastmod == sitemap_lastmod:
        return Skip(state.redirected_to)
    headers: dict[str, str] = {}
    if answered.etag:
        headers["If-None-Match"] = answered.etag
    if answered.last_modified:
        headers["If-Modified-Since"] = answered.last_modified
    return Fetch(headers, answered.url if headers else None)
