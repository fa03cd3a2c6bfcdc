"""A short progress line on stderr every few seconds for `reparse` and `load`: done, rate, ETA.

    esfbank reparse: 2000/5000 pages, 812 pages/s, about 4 s left

Lines come at most every `interval` seconds (ESFBANK_PROGRESS_SECONDS, as for crawls; 0 turns
them off), never one per page; the rate is over the whole run so far.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO, TypeVar

T = TypeVar("T")


class Progress:
    def __init__(
        self,
        label: str,
        total: int,
        interval: float,
        *,
        clock: Callable[[], float] | None = None,
        out: TextIO | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.interval = interval
        self.clock = clock or time.monotonic
        self.out = out
        self.done = 0
        self.started = self.last = self.clock()

    def each(self, items: Iterable[T]) -> Iterator[T]:
        """The items, counting each one as it is taken. The clock starts when the first one
        comes: the wait for it (start-up, opening the database) says nothing of the rate."""
        for item in items:
            if not self.done:
                self.started = self.last = self.clock()
            yield item
            self.advance()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.interval <= 0:
            return
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            print(self.line(now), file=self.out or sys.stderr, flush=True)

    def line(self, now: float) -> str:
        rate = self.done / max(now - self.started, 1e-9)
        left = (self.total - self.done) / rate if rate else float("inf")
        eta = f"about {_duration(left)} left" if left != float("inf") else "time left unknown"
        return f"{self.label}: {self.done}/{self.total} pages, {rate:.0f} pages/s, {eta}"


def _duration(seconds: float) -> str:
    """`42 s`, `3 min 5 s`, `2 h 10 min`: short, and no false precision."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"
