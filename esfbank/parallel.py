"""Parse on every core: an ordered map over worker processes, for `reparse` and `load`.

Workers get small inputs (archive entries, file paths) and send back what they parsed, in input
order, so the one writer loads exactly what a one-process run loads, in the same order. Inputs go
out in chunks through a bounded window (a few chunks per worker ahead of the writer), so memory
stays flat however long the run. One job runs in this process, as before.

Workers are forked when the map starts, which the commands do before they open the database, so
no worker holds a copy of an open connection. Forking spares each worker the imports a fresh
interpreter needs: on the 2-core machine, busy, two forked workers were ready in 0.1 s, against
4 s with 'forkserver' (its preloaded server imports once) and 8 s with 'spawn'. Forking is only
safe while this process runs one thread: a lock another thread holds at that moment stays held
in the child for ever (a test process serving pages from a thread hung so). With other threads
running, workers come from a fork server, which preloads the modules the caller names.
The window is wide enough for the writer to take a whole batch while the workers parse the
next one: a narrower one leaves them idle while it writes.
Workers ignore Ctrl-C: the writer stops, cancels the chunks not started and waits for the few
running ones, so an interrupted run is closed by the command and no process is left behind.
The process machinery (multiprocessing, concurrent.futures) is imported only when workers start:
a one-job run, such as `esfbank parse` of a few files, is spared a sixth of its start-up.
"""

from __future__ import annotations

import importlib
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from esfbank.errors import RunFailedError
from esfbank.lifetime import long_lived_imports

if TYPE_CHECKING:
    import multiprocessing.context
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")

MAX_CHUNK = 64  # inputs per task: enough to make a task's round trip negligible
CHUNKS_PER_WORKER = 2  # tasks queued per worker beyond its running one: the bounded window


class WorkerDiedError(RunFailedError):
    """A worker process ended without an answer (killed, out of memory, a crash in C code)."""


def chunk_size(count: int, jobs: int, most: int = MAX_CHUNK) -> int:
    """Small enough that every worker gets several chunks, at most `most`."""
    return max(1, min(most, count // (jobs * 4)))


@contextmanager
def ordered_map(
    func: Callable[[T], R],
    inputs: Sequence[T],
    jobs: int,
    *,
    ahead: int = 0,
    preload: Sequence[str] = (),
    max_chunk: int = MAX_CHUNK,
) -> Iterator[Iterator[R]]:
    """`func(x)` for each input, in input order, computed by `jobs` processes (fewer when
    there are fewer chunks of input; none when only one).

    `func` must be picklable (a module-level function, or a functools.partial of one); with
    more than one job the workers start (and the first chunks are sent) on entering, so
    parsing overlaps whatever the caller does before it reads the results. Workers run up to
    `ahead` inputs (the caller's batch) beyond a few chunks each ahead of what was read.
    `preload`: modules `func` needs, imported here once rather than in every worker.
    `max_chunk`: inputs per task at most; a smaller one evens out the workers' last tasks (one
    idles while another ends its last) when the caller has no batch to write. A worker that
    dies raises WorkerDiedError; an exception `func` raises is raised again here.
    """
    with long_lived_imports():
        for module in preload:
            importlib.import_module(module)
    size = chunk_size(len(inputs), jobs, max_chunk)
    chunks = -(-len(inputs) // size)
    if jobs <= 1 or chunks <= 1:  # one file, say: a worker would only add its start-up
        yield map(func, inputs)
        return
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(
        min(jobs, chunks), mp_context=_context(preload), initializer=_ignore_ctrl_c
    )
    try:
        yield _ordered(pool, func, inputs, jobs, ahead, size=size)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def start_method() -> str:
    """'fork' while this process runs one thread, else 'forkserver' (see the module's text)."""
    return "fork" if threading.active_count() == 1 else "forkserver"


def _context(preload: Sequence[str]) -> multiprocessing.context.BaseContext:
    import multiprocessing

    method = start_method()
    context = multiprocessing.get_context(method)
    if method == "forkserver":  # takes effect when the server starts: once per process
        context.set_forkserver_preload([__name__, *preload])
    return context


def window_size(jobs: int, chunk: int, ahead: int) -> int:
    """Chunks sent before the first is read: a few per worker, plus the caller's batch."""
    return jobs * (1 + CHUNKS_PER_WORKER) + -(-ahead // chunk)


def _ordered(
    pool: ProcessPoolExecutor,
    func: Callable[[T], R],
    inputs: Sequence[T],
    jobs: int,
    ahead: int = 0,
    *,
    size: int | None = None,
) -> Iterator[R]:
    size = size or chunk_size(len(inputs), jobs)
    starts = iter(range(0, len(inputs), size))
    window: deque[Future[list[R]]] = deque()

    def submit_next() -> None:
        start = next(starts, None)
        if start is not None:
            window.append(pool.submit(_apply, func, inputs[start : start + size]))

    with _deaths_reported():
        for _ in range(window_size(jobs, size, ahead)):
            submit_next()
    return _drain(window, submit_next)


def _drain(window: deque[Future[list[R]]], submit_next: Callable[[], None]) -> Iterator[R]:
    while window:
        with _deaths_reported():
            results = window.popleft().result()
            submit_next()
        yield from results


@contextmanager
def _deaths_reported() -> Iterator[None]:
    """A dead worker breaks the pool: waiting for an answer and sending a task both fail."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        yield
    except BrokenProcessPool:
        raise WorkerDiedError(
            "a parse worker process died (killed, out of memory, or crashed); "
            "try again, or with --jobs 1 to see the error in this process"
        ) from None


def _apply(func: Callable[[T], R], chunk: Sequence[T]) -> list[R]:
    return [func(x) for x in chunk]


def _ignore_ctrl_c() -> None:
    """Ctrl-C reaches the whole process group; the writer alone decides what it stops."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
