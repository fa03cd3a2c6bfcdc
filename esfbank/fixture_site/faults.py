"""Faults the fixture server injects, per path, so crawl tests can exercise every failure mode.

Each fault is a small frozen value; the server asks it for an `Action` on every request to its
path and counts how many requests it has answered (`times` limits it: "500 twice, then the
page"). Every fault is bounded in time, so no test can hang on one:

| fault                                   | what the client sees                                  |
|-----------------------------------------|-------------------------------------------------------|
| `Status(500, times=2)`                  | 500 twice, then the real page                         |
| `Status(503, times=1, retry_after=1)`   | 503 with `Retry-After: 1`, then the page              |
| `Status(429, times=1, retry_after=2)`   | 429 with `Retry-After: 2`, then the page              |
| `Status(404)` / `Status(410)`           | not found / gone, for good (`times=None`)              |
| `Slow(delay=5.0)`                       | the page after `delay` seconds (capped at 30 s)       |
| `Reset(after_bytes=512)`                | headers and 512 body bytes, then a TCP reset          |
| `Truncated(after_bytes=512)`            | Content-Length of the whole page, 512 bytes, then EOF |
| `Redirect("/b/")`, `redirect_loop(a,b)` | 302 to the target; a loop never ends                  |
| `Huge(size=20 * 2**20)`                 | a generated HTML page of that size, streamed          |
| `Malformed()`                           | the page with closing tags dropped and nesting broken |

A page that changes between two runs is not a fault: use `FixtureSite.set_page`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

# No fault may hold a request longer than this, whatever a test asks for.
MAX_DELAY_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Status:
    """Answer `status` (with `Retry-After` when given) `times` times, then serve the page."""

    status: int
    times: int | None = None
    retry_after: int | None = None


@dataclass(frozen=True, slots=True)
class Slow:
    """Wait `delay` seconds (at most MAX_DELAY_SECONDS) before answering, `times` times."""

    delay: float
    times: int | None = None

    @property
    def seconds(self) -> float:
        """The delay actually served: never more than MAX_DELAY_SECONDS, never negative."""
        return min(max(self.delay, 0.0), MAX_DELAY_SECONDS)


@dataclass(frozen=True, slots=True)
class Reset:
    """Send the headers and `after_bytes` of the body, then reset the connection (RST)."""

    after_bytes: int = 512
    times: int | None = None


@dataclass(frozen=True, slots=True)
class Truncated:
    """Announce the full Content-Length, send `after_bytes`, then close the connection cleanly."""

    after_bytes: int = 512
    times: int | None = None


@dataclass(frozen=True, slots=True)
class Redirect:
    """Redirect to `location` (a path or URL; `{base}` is substituted)."""

    location: str
    status: int = 302
    times: int | None = None


@dataclass(frozen=True, slots=True)
class Huge:
    """A generated page of `size` bytes, streamed in chunks (never held in memory or on disk)."""

    size: int = 20 * 2**20
    times: int | None = None


@dataclass(frozen=True, slots=True)
class Malformed:
    """The real page with closing tags dropped and inline elements mis-nested."""

    times: int | None = None


Fault = Status | Slow | Reset | Truncated | Redirect | Huge | Malformed


def redirect_loop(first: str, second: str) -> dict[str, Fault]:
    """Two paths that redirect to each other forever: `faults={**redirect_loop(a, b)}`."""
    return {first: Redirect(second), second: Redirect(first)}


@dataclass(frozen=True, slots=True)
class Action:
    """What the server does for one request; `kind` selects the branch in the request handler."""

    kind: Literal["status", "slow", "reset", "truncated", "redirect", "huge", "malformed"]
    fault: Fault


_KINDS: dict[type, Literal["status", "slow", "reset", "truncated", "redirect", "huge", "malformed"]]
_KINDS = {
    Status: "status",
    Slow: "slow",
    Reset: "reset",
    Truncated: "truncated",
    Redirect: "redirect",
    Huge: "huge",
    Malformed: "malformed",
}


def action_for(fault: Fault, served: int) -> Action | None:
    """The action for a request after `served` earlier ones met this fault; None: serve as usual."""
    if fault.times is not None and served >= fault.times:
        return None
    return Action(kind=_KINDS[type(fault)], fault=fault)


_CLOSING_BLOCK = re.compile(rb"</(?:p|li|div|dd|dt|section)>")
_MAIN_OPEN = re.compile(rb"<main[^>]*>")


def malform(html: bytes) -> bytes:
    """Drop block closing tags and open mis-nested inline elements, as sloppy CMS output does.

    lxml and browsers recover from all of it; the visible text stays the same words.
    """
    broken = _CLOSING_BLOCK.sub(b"", html)
    return _MAIN_OPEN.sub(lambda m: m.group(0) + b"<b><i>", broken, count=1).replace(
        b"</main>", b"</b></i></main>", 1
    )


_HUGE_HEAD = (
    b'<!DOCTYPE html>\n<html lang="sv"><head><meta charset="utf-8"><title>Stor sida</title>'
    b"</head><body><main><h1>Stor sida</h1>\n"
)
_HUGE_LINE = "<p>Utfyllnadstext för en mycket stor sida, som en crawler ska kapa.</p>\n".encode()


def huge_bytes(offset: int, length: int) -> bytes:
    """Bytes `offset:offset+length` of an endless HTML page: a head, then repeated filler.

    No closing tags: a page this big is there to be cut off by the client's size cap.
    """
    out = bytearray(_HUGE_HEAD[offset : offset + length])
    need = length - len(out)
    if need > 0:
        start = (max(offset, len(_HUGE_HEAD)) - len(_HUGE_HEAD)) % len(_HUGE_LINE)
        repeats = (start + need) // len(_HUGE_LINE) + 1
        out += (_HUGE_LINE * repeats)[start : start + need]
    return bytes(out)


__all__ = [
    "MAX_DELAY_SECONDS",
    "Action",
    "Fault",
    "Huge",
    "Malformed",
    "Redirect",
    "Reset",
    "Slow",
    "Status",
    "Truncated",
    "action_for",
    "huge_bytes",
    "malform",
    "redirect_loop",
]
