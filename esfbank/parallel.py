"""Parse on every core: an ordered map over worker processes, for `reparse`, `load` and `parse`.

Workers send back what they parsed, in input order, so the one writer loads exactly what a
one-process run loads, in the same order. Inputs are handed out in chunks through a bounded
window (a few chunks per worker ahead of the writer), so memory stays flat however long the run.
One job runs in this process, as before.

Workers are forked when the map starts, which the commands do before they open the database, so
no worker holds a copy of an open connection. A forked worker has the function and the inputs
already: a task is a chunk's number (4 bytes down a pipe), an answer the chunk's results,
pickled up another pipe, which a thread per worker reads here as soon as they come, so workers
parse on while the writer writes a batch. Chunks go out as workers answer (`_Schedule`), to
the one with the fewest to answer, a few at most each, so at the end no worker idles while
another works through a queue. This is all the machinery: importing multiprocessing and
concurrent.futures for a process pool was ~60M instructions of the writer's start-up before
any worker could start, and its queues, feeder and manager threads added CPU on both sides of
every task.

Forking is only safe while this process runs one thread: a lock another thread holds at that
moment stays held in the child for ever (a test process serving pages from a thread hung so).
With other threads running, a fresh interpreter (a fork server) imports the modules the caller
names, receives the function and inputs, forks the same workers and waits for them.
The window is wide enough for the writer to take a whole batch while the workers parse the
next one: a narrower one leaves them idle while it writes.
Workers run at a lower priority than the writer (WORKER_NICENESS). Workers ignore Ctrl-C: the
writer stops, and on leaving the map stops the workers that still have chunks to parse, so an
interrupted run is closed by the command and no process is left behind. A worker that ends
without answering (killed, out of memory, a crash in C code) raises WorkerDiedError here; an
exception the function raises is raised again here, as it was.
pickle, like the rest, is imported only when workers start: a one-job run, such as
`esfbank parse` of a few files, is spared it.
"""

from __future__ import annotations

import functools
import importlib
import os
import signal
import sys
import threading
from _queue import SimpleQueue
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from esfbank.errors import RunFailedError
from esfbank.lifetime import long_lived_imports
from load import threads

if TYPE_CHECKING:
    import subprocess

T = TypeVar("T")
R = TypeVar("R")

MAX_CHUNK = 64  # inputs per task: enough to make a task's round trip negligible
CHUNKS_PER_WORKER = 2  # tasks queued per worker beyond its running one
# Workers run this much below the caller's priority: with a worker per core the writer shares
# a core with one, and every page waits for the writer. Given the upper hand it keeps up, and
# when the workers are done little is left for it to write alone with a core idle (a 5,000-page
# reparse on 2 cores: 1.876 s -> 1.822 s, medians of 8 alternating runs; 10 gained no more).
WORKER_NICENESS = 5
_NUMBER_BYTES = 4  # a task: the chunk's number
_SERVER = "from esfbank.parallel import _fork_server; _fork_server()"


class WorkerDiedError(RunFailedError):
    """A worker process ended without an answer (killed, out of memory, a crash in C code)."""

    def __init__(self) -> None:
        super().__init__(
            "a parse worker process died (killed, out of memory, or crashed); "
            "try again, or with --jobs 1 to see the error in this process"
        )


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

    With more than one job the workers start (and the first chunks are sent) on entering, so
    parsing overlaps whatever the caller does before it reads the results. Workers run up to
    `ahead` inputs (the caller's batch) beyond a few chunks each ahead of what was read.
    `preload`: modules `func` needs, imported here once rather than in every worker.
    `max_chunk`: inputs per task at most; a smaller one evens out the workers' last tasks (one
    idles while another ends its last) when the caller has no batch to write. `func` and the
    inputs must be picklable when other threads run (they go to a fork server), and what
    `func` returns always. A worker that dies raises WorkerDiedError; an exception `func`
    raises is raised again here.
    """
    with long_lived_imports():
        for module in preload:
            importlib.import_module(module)
    job = _Job(func, inputs, chunk_size(len(inputs), jobs, max_chunk))
    if jobs <= 1 or job.chunks <= 1:  # one file, say: a worker would only add its start-up
        yield map(func, inputs)
        return
    count = min(jobs, job.chunks)
    schedule = _Schedule(job.chunks, count, window_size(jobs, job.size, ahead))
    workers = _Workers(job, schedule, preload)
    try:
        yield _ordered(workers, job.chunks)
    finally:
        workers.close()


def start_method() -> str:
    """'fork' while this process runs one thread, else 'forkserver' (see the module's text)."""
    return "fork" if threads.running() == 0 else "forkserver"


def window_size(jobs: int, chunk: int, ahead: int) -> int:
    """Chunks parsed or being parsed ahead of the one the caller reads: a few per worker, plus
    the caller's batch."""
    return jobs * (1 + CHUNKS_PER_WORKER) + -(-ahead // chunk)


class _Job:
    """The function and its inputs, cut in chunks of `size`: what every worker holds. (A plain
    class: a frozen dataclass costs ~4M instructions to create at import.)"""

    __slots__ = ("func", "inputs", "size")

    def __init__(self, func: Callable[[Any], Any], inputs: Sequence[Any], size: int) -> None:
        self.func, self.inputs, self.size = func, inputs, size

    @property
    def chunks(self) -> int:
        return -(-len(self.inputs) // self.size)

    def answer(self, number: int) -> bytes:
        """Chunk `number`'s results, or the exception that stopped them, pickled."""
        import pickle

        try:
            start = number * self.size
            results = [self.func(x) for x in self.inputs[start : start + self.size]]
            return pickle.dumps((number, True, results), pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            try:
                return pickle.dumps((number, False, exc), pickle.HIGHEST_PROTOCOL)
            except Exception:  # what it holds cannot travel: its type and message can
                stated = RuntimeError(f"{type(exc).__name__}: {exc}")
                return pickle.dumps((number, False, stated), pickle.HIGHEST_PROTOCOL)


def _ordered(workers: _Workers, chunks: int) -> Iterator[Any]:
    for number in range(chunks):
        yield from workers.take(number)


class _Schedule:
    """Which chunk goes to which worker, and when: the next chunk goes to the worker holding
    the fewest, as long as it holds fewer than 1 + CHUNKS_PER_WORKER and fewer than `window`
    chunks are out beyond those the caller took. Chunks go out as workers answer, not as the
    caller reads, so a worker's queue stays short: near the end none idles while another
    still has a queue of chunks (a queue of eight, when the caller took a batch of chunks at
    once, kept one worker busy a tenth of a second after the other had ended)."""

    def __init__(self, chunks: int, workers: int, window: int) -> None:
        self.chunks, self.window = chunks, window
        self.sent = self.taken = 0
        self.waiting = [0] * workers  # chunks sent to each worker and not yet answered
        self._ended: set[int] = set()  # workers whose pipes ended

    def due(self) -> list[tuple[int, int]]:
        """The (chunk, worker) pairs to send now."""
        depth = 1 + CHUNKS_PER_WORKER
        live = [w for w in range(len(self.waiting)) if w not in self._ended]
        due = []
        while live and self.sent < self.chunks and self.sent - self.taken < self.window:
            worker = min(live, key=self.waiting.__getitem__)
            if self.waiting[worker] >= depth:
                break
            self.waiting[worker] += 1
            due.append((self.sent, worker))
            self.sent += 1
        return due

    def stop(self) -> None:
        """Nothing more goes out (the caller stopped reading)."""
        self.chunks = self.sent

    def answered(self, worker: int) -> None:
        self.waiting[worker] -= 1

    def took(self) -> None:
        self.taken += 1

    def ended(self, worker: int) -> None:
        """The worker's pipe ended: no more chunks go to it."""
        self._ended.add(worker)

    def failed(self) -> bool:
        """Whether the map has failed: a worker ended while chunks were still to come (workers
        end only when `stop` closed their pipes), even one that held none then, as the run
        fails on a worker's death, not on fewer workers."""
        return bool(self._ended)


# A worker's pipes: (tasks it reads, answers it writes).
_Ends = tuple[int, int]


class _Workers:
    """The worker processes of one map: tasks out as the schedule says, answers in by number."""

    def __init__(self, job: _Job, schedule: _Schedule, preload: Sequence[str]) -> None:
        count = len(schedule.waiting)
        tasks, answers = [os.pipe() for _ in range(count)], [os.pipe() for _ in range(count)]
        ends = [(task[0], answer[1]) for task, answer in zip(tasks, answers, strict=True)]
        self._server: subprocess.Popen[bytes] | None = None
        try:
            if start_method() == "fork":
                ours = [
                    fd
                    for task, answer in zip(tasks, answers, strict=True)
                    for fd in (task[1], answer[0])
                ]
                self._pids = _fork_workers(job, ends, ours)
            else:
                self._server, self._pids = _start_server(job, ends, preload)
        finally:  # the workers' own: each pipe ends here when its worker does
            for fd in (fd for pair in ends for fd in pair):
                os.close(fd)
        self._tasks = [open(task[1], "wb", buffering=0) for task in tasks]  # noqa: SIM115
        self._answers = [open(answer[0], "rb") for answer in answers]  # noqa: SIM115
        # No Condition, as Ctrl-C lands in the thread that waits (load/threads.py says why):
        # a C lock, and a wait in C on a queue of wake-ups.
        self._lock = threading.Lock()
        self._news: SimpleQueue[None] = SimpleQueue()  # one per answer or ended pipe
        self._done: dict[int, tuple[bool, Any]] = {}
        self._schedule = schedule
        with self._lock:
            self._send_due()
        self._readers = [
            threads.start(functools.partial(self._read, worker)) for worker in range(count)
        ]

    def _send_due(self) -> None:
        """(Holding the lock.) The chunks the schedule says are due; a worker whose pipe is
        gone has ended, and no more go to it."""
        while due := self._schedule.due():
            for number, worker in due:
                try:
                    self._tasks[worker].write(number.to_bytes(_NUMBER_BYTES, "little"))
                except BrokenPipeError:  # its chunks are lost: taking them raises
                    self._schedule.ended(worker)

    def take(self, number: int) -> list[Any]:
        """Chunk `number`'s results, once its worker has sent them."""
        while True:
            with self._lock:
                if number in self._done:
                    ok, value = self._done.pop(number)
                    self._schedule.took()
                    self._send_due()
                    break
                if self._schedule.failed():
                    raise WorkerDiedError()
            self._news.get()
        if not ok:
            raise value
        results: list[Any] = value
        return results

    def _read(self, worker: int) -> None:
        """(A thread per worker.) Its answers, as they come, until its pipe ends; each answer
        frees a place in its queue for the next chunk."""
        import pickle

        answers = self._answers[worker]
        while True:
            try:
                number, ok, value = pickle.load(answers)
            except Exception:  # the pipe ended (mid-answer when it died): no more answers
                with self._lock:
                    self._schedule.ended(worker)
                self._news.put(None)
                return
            with self._lock:
                self._done[number] = (ok, value)
                self._schedule.answered(worker)
                self._send_due()
            self._news.put(None)

    def close(self) -> None:
        """Workers with nothing left to answer end as their task pipe closes; the others are
        stopped (the caller stopped reading). Returns once all have ended."""
        with self._lock:
            self._schedule.stop()
            for tasks in self._tasks:
                tasks.close()
            waiting = self._schedule.waiting
            busy = [pid for pid, count in zip(self._pids, waiting, strict=True) if count]
        for pid in busy:
            with suppress(ProcessLookupError):  # it has ended already
                os.kill(pid, signal.SIGKILL)
        if self._server is not None:
            self._server.wait()
        else:
            for pid in self._pids:
                os.waitpid(pid, 0)
        for reader in self._readers:
            reader.get()
        for answers in self._answers:
            answers.close()


def _fork_workers(job: _Job, ends: Sequence[_Ends], close: Sequence[int]) -> list[int]:
    """A forked worker for each pair of pipe ends; `close`: descriptors the workers must not
    hold (the other end of each pipe must see it end when the worker does)."""
    pids = []
    for mine in ends:
        pid = os.fork()
        if pid == 0:
            others = [fd for pair in ends if pair != mine for fd in pair]
            _serve(job, mine, [*close, *others])
        pids.append(pid)
    return pids


def _serve(job: _Job, ends: _Ends, close: Sequence[int]) -> NoReturn:
    """A worker's life: chunk numbers in, answers out, until its task pipe ends."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the writer alone decides what it stops
        with suppress(OSError):  # a sandbox that refuses it: parse at the writer's priority
            os.nice(WORKER_NICENESS)
        for fd in close:
            os.close(fd)
        with open(ends[0], "rb") as tasks, open(ends[1], "wb") as answers:
            while number := tasks.read(_NUMBER_BYTES):
                answers.write(job.answer(int.from_bytes(number, "little")))
                answers.flush()
        code = 0
    finally:
        os._exit(code)  # never back into the caller's stack, its exit handlers or buffers


def _start_server(
    job: _Job, ends: Sequence[_Ends], preload: Sequence[str]
) -> tuple[subprocess.Popen[bytes], list[int]]:
    """A fresh interpreter that forks the workers (see `_fork_server`), and their ids. It
    answers on a pipe of its own: workers keep its stdout, which stays this process's."""
    import pickle
    import subprocess

    reply, answer = os.pipe()
    try:
        server = subprocess.Popen(
            [sys.executable, "-c", _SERVER, str(answer)],
            stdin=subprocess.PIPE,
            pass_fds=[answer, *(fd for pair in ends for fd in pair)],
        )
    finally:
        os.close(answer)
    assert server.stdin is not None
    with server.stdin as setup:
        pickle.dump((sys.path, list(preload)), setup)
        pickle.dump((job, list(ends)), setup)
    with open(reply, "rb") as replies:
        try:
            pids: list[int] = pickle.load(replies)
        except EOFError:  # it ended before forking them
            server.wait()
            raise WorkerDiedError() from None
    return server, pids


def _fork_server() -> None:
    """(A fresh interpreter.) Import what the workers need, fork them, wait for them."""
    import pickle

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    answer = int(sys.argv[1])
    setup = sys.stdin.buffer
    sys.path[:], preload = pickle.load(setup)  # where the function's module is found
    with long_lived_imports():
        for module in preload:
            importlib.import_module(module)
    job, ends = pickle.load(setup)
    pids = _fork_workers(job, ends, close=[answer])
    for fd in (fd for pair in ends for fd in pair):
        os.close(fd)
    with open(answer, "wb") as replies:
        replies.write(pickle.dumps(pids))
    for pid in pids:
        os.waitpid(pid, 0)
