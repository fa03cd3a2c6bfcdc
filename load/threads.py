"""A thread of work beside the caller's, handed calls and waited on through C code only.

Ctrl-C is raised in the main thread between two of its bytecodes. threading's Condition, Event
and Semaphore (and so concurrent.futures and Thread.start) are Python code around a lock: an
interrupt landing between taking it and the `try` that lets it go leaves it held, and the next
wait for it hangs; one landing after `Condition.wait` let it go and before it takes it back
makes the `with` let go of a lock it does not hold, and "cannot release un-acquired lock"
masks the KeyboardInterrupt (a parallel reparse ended 1 with a traceback instead of 130 so).
Here the caller's side is `_thread.start_new_thread` and `queue.SimpleQueue`, both C: an
interrupt lands before or after them, never inside. `running()` counts these threads, which
`threading.active_count()` does not see.
"""

from __future__ import annotations

import _thread
from _queue import SimpleQueue  # queue.SimpleQueue, without importing queue.py (~1 ms)
from collections.abc import Callable
from typing import Any, Generic, TypeVar

R = TypeVar("R")

# A call for the thread: the function, its arguments, where its outcome goes.
_Call = tuple[Callable[..., Any], tuple[Any, ...], "SimpleQueue[tuple[bool, Any]]"]


def running() -> int:
    """Threads running besides the main one (these and threading's alike)."""
    return int(_thread._count())


def start(target: Callable[[], object]) -> SimpleQueue[None]:
    """`target()` in a thread of its own; the queue gets None once it has returned (or
    raised: the thread's error goes to stderr as threading's would)."""
    ended: SimpleQueue[None] = SimpleQueue()

    def run() -> None:
        try:
            target()
        finally:
            ended.put(None)

    _thread.start_new_thread(run, ())
    return ended


class Pending(Generic[R]):
    """A call's outcome, once the thread has made it."""

    __slots__ = ("_answer", "_outcome")

    def __init__(self, answer: SimpleQueue[tuple[bool, Any]]) -> None:
        self._answer = answer
        self._outcome: tuple[bool, Any] | None = None

    def done(self) -> bool:
        """Whether the outcome is in (without waiting for it)."""
        return self._outcome is not None or not self._answer.empty()

    def result(self) -> R:
        """What the call returned (waiting for it), or the exception it raised, raised here."""
        if self._outcome is None:
            self._outcome = self._answer.get()
        ok, value = self._outcome
        if not ok:
            raise value
        result: R = value
        return result


class Worker:
    """One thread running the calls submitted to it, in order; started by the first (a load
    of one batch submits none)."""

    def __init__(self) -> None:
        self._calls: SimpleQueue[_Call | None] = SimpleQueue()
        self._ended: SimpleQueue[None] | None = None

    def submit(self, func: Callable[..., R], *args: Any) -> Pending[R]:
        if self._ended is None:
            self._ended = start(self._serve)
        answer: SimpleQueue[tuple[bool, Any]] = SimpleQueue()
        self._calls.put((func, args, answer))
        return Pending(answer)

    def close(self) -> None:
        """Returns once the calls submitted have run and the thread has ended."""
        if self._ended is not None:
            self._calls.put(None)
            self._ended.get()
            self._ended = None

    def _serve(self) -> None:
        while (call := self._calls.get()) is not None:
            func, args, answer = call
            try:
                answer.put((True, func(*args)))
            except BaseException as exc:  # raised again in the caller's thread
                answer.put((False, exc))
