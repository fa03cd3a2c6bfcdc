"""The ordered map over worker processes (esfbank/parallel.py) and the progress line of
`reparse` and `load` (esfbank/progress.py)."""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from esfbank import config
from esfbank.cli import main
from esfbank.errors import UsageError
from esfbank.parallel import (
    CHUNKS_PER_WORKER,
    MAX_CHUNK,
    WORKER_NICENESS,
    WorkerDiedError,
    _Schedule,
    chunk_size,
    ordered_map,
    start_method,
    window_size,
)
from esfbank.progress import Progress
from load.threads import Worker, running
from tests.interrupts import lock_code_run
from tests.plugins.site import child_processes


def _square(x: int) -> int:
    return x * x


def _die_at(at: int, x: int) -> int:
    if x == at:
        os._exit(3)  # a worker killed mid-task: no exception, no answer
    return x


def _say_square(x: int) -> int:
    os.write(1, f"square of {x}\n".encode())  # one write: two workers' lines do not mix
    return x * x


def _refuse_7(x: int) -> int:
    if x == 7:
        raise ValueError(f"cannot take {x}")
    return x


def _refuse_7_with_a_function(x: int) -> int:
    if x == 7:
        raise ValueError(lambda: x)  # a function cannot be pickled back to the writer
    return x


_HELD = threading.Lock()


def _takes_the_lock(_: int) -> bool:
    """Whether a worker can take a lock another thread of the parent held when it started
    (the timeout only keeps a failing test from hanging)."""
    taken = _HELD.acquire(timeout=20)
    if taken:
        _HELD.release()
    return taken


@contextmanager
def _another_thread_running() -> Iterator[threading.Event]:
    """A second thread, holding `_HELD` until the event is set."""
    release = threading.Event()

    def hold() -> None:
        with _HELD:
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        yield release
    finally:
        release.set()
        holder.join()


def test_workers_are_not_forked_while_another_thread_holds_a_lock() -> None:
    """A forked child keeps a lock that another thread held at the fork held for ever: a test
    process serving pages from a thread hung so in CI, its workers idle. A fork server, a
    fresh interpreter, forks them instead."""
    with _another_thread_running():
        assert start_method() == "forkserver"
        with ordered_map(_takes_the_lock, list(range(8)), 2) as results:
            assert len(child_processes()) == 1  # the server; the workers are its children
            assert list(results) == [True] * 8
    assert child_processes() == []


def test_the_fork_server_workers_answer_in_order_and_raise_what_they_raised() -> None:
    with _another_thread_running():
        with ordered_map(_square, list(range(500)), 2) as results:
            assert list(results) == [x * x for x in range(500)]
        with pytest.raises(ValueError, match="cannot take 7"):  # noqa: SIM117
            with ordered_map(_refuse_7, list(range(100)), 2) as results:
                list(results)
    assert child_processes() == []


def test_the_fork_server_workers_write_to_this_process_stdout(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The server answers on a pipe of its own: its workers keep this process's stdout (they
    printed into the closed answer pipe, a BrokenPipeError, when the server answered on its
    stdout)."""
    with _another_thread_running(), ordered_map(_say_square, list(range(20)), 2) as results:
        assert list(results) == [x * x for x in range(20)]
    assert sorted(capfd.readouterr().out.splitlines()) == sorted(
        f"square of {x}" for x in range(20)
    )


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_results_come_in_input_order(jobs: int) -> None:
    inputs = list(range(500))
    with ordered_map(_square, inputs, jobs) as results:
        assert list(results) == [x * x for x in inputs]
    assert child_processes() == []


def test_the_caller_caps_the_inputs_per_task() -> None:
    assert chunk_size(1000, 2) == MAX_CHUNK
    assert chunk_size(1000, 2, 16) == 16
    assert chunk_size(40, 2, 16) == 5  # still several chunks a worker
    inputs = list(range(500))
    with ordered_map(_square, inputs, 2, max_chunk=7) as results:
        assert list(results) == [x * x for x in inputs]


@pytest.mark.parametrize(("inputs", "workers"), [(1, 0), (2, 2), (500, 3)])
def test_workers_start_only_when_there_is_work_for_them(inputs: int, workers: int) -> None:
    with ordered_map(_square, list(range(inputs)), 3) as results:
        assert len(child_processes()) == workers
        assert list(results) == [x * x for x in range(inputs)]


@pytest.mark.parametrize("at", [7, 450])  # on its first chunk, or after answering some
def test_a_worker_that_dies_is_an_error_not_a_hang(at: int) -> None:
    with pytest.raises(WorkerDiedError, match="parse worker process died"):  # noqa: SIM117
        with ordered_map(functools.partial(_die_at, at), list(range(500)), 2) as results:
            list(results)
    assert child_processes() == []


def _niceness(_: int) -> int:
    return os.nice(0)


@pytest.mark.parametrize("threads", [1, 2], ids=["forked", "fork-server"])
def test_workers_run_below_the_writer_s_priority(threads: int) -> None:
    """The writer, which every page waits for, goes first when they share a core."""
    mine = os.nice(0)
    with contextlib.ExitStack() as stack:
        if threads > 1:
            stack.enter_context(_another_thread_running())
        with ordered_map(_niceness, list(range(8)), 2, max_chunk=1) as results:
            found = set(results)
    assert found == {min(mine + WORKER_NICENESS, 19)}


def test_workers_parse_on_where_a_sandbox_refuses_them_a_lower_priority(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """os.nice raising (setpriority refused) ended every worker: WorkerDiedError."""

    def refuse(_increment: int) -> int:
        raise PermissionError("setpriority: operation not permitted")

    monkeypatch.setattr(os, "nice", refuse)  # forked workers inherit it
    with ordered_map(_square, list(range(200)), 2) as results:
        assert list(results) == [x * x for x in range(200)]


def test_an_exception_in_a_worker_is_raised_here_as_it_was() -> None:
    with pytest.raises(ValueError, match="cannot take 7"):  # noqa: SIM117
        with ordered_map(_refuse_7, list(range(100)), 2) as results:
            list(results)
    assert child_processes() == []  # the other worker, still parsing, was stopped


def test_an_exception_that_cannot_be_pickled_comes_back_as_its_type_and_message() -> None:
    with pytest.raises(RuntimeError, match=r"^ValueError: <function "):  # noqa: SIM117
        with ordered_map(_refuse_7_with_a_function, list(range(100)), 2) as results:
            list(results)


def test_a_caller_that_stops_reading_leaves_no_worker_behind() -> None:
    with ordered_map(_square, list(range(10_000)), 2) as results:
        assert next(results) == 0
    assert child_processes() == []


def test_a_map_runs_no_python_lock_code_where_ctrl_c_could_land() -> None:
    """Ctrl-C landed in `Condition.wait` after the lock was let go and before its `try`:
    leaving the `with` raised "cannot release un-acquired lock", and reparse ended 1 with a
    traceback instead of 130 (seen once in CI). From start to close, the writer's locks and
    waits must be C code."""
    found: list[int] = []

    def run() -> None:
        with ordered_map(_square, list(range(500)), 2) as results:
            found.extend(results)

    entered, lock_code = lock_code_run(run)
    assert found == [x * x for x in range(500)]
    assert "parallel.py" in entered
    assert lock_code == set()


def _answer_all(schedule: _Schedule, worker: int | None = None) -> list[tuple[int, int]]:
    """Every chunk sent so far answered (by `worker` only, if given), each as the workers
    would: the pairs sent in return, in order."""
    sent = schedule.due()
    answered = 0
    while answered < len(sent):
        _, by = sent[answered]
        answered += 1
        if worker is None or by == worker:
            schedule.answered(by)
            sent += schedule.due()
    return sent


def test_a_worker_holds_a_few_chunks_and_gets_the_next_as_it_answers() -> None:
    """A queue of eight chunks a worker (sent as the caller took a batch at once) kept it busy
    a tenth of a second after the other had ended: chunks now go out as workers answer."""
    depth = 1 + CHUNKS_PER_WORKER
    schedule = _Schedule(chunks=100, workers=2, window=22)
    first = schedule.due()
    assert first == [(number, number % 2) for number in range(2 * depth)]
    assert schedule.due() == []  # both queues full: nothing more until one answers
    schedule.answered(1)
    assert schedule.due() == [(6, 1)]
    # worker 0 is stuck on its chunks: the rest goes to worker 1 as it answers
    for number in range(7, 12):
        schedule.answered(1)
        assert schedule.due() == [(number, 1)]
    assert schedule.waiting == [depth, depth]


def test_workers_parse_a_window_ahead_of_the_caller_and_no_more() -> None:
    """The window holds the caller's batch (16 chunks of 64 for 1,000 records) besides a few
    chunks a worker, so workers parse the next batch while the writer writes one; beyond it
    they wait until the caller takes a chunk."""
    window = window_size(2, 64, 1000)
    assert window == 2 * (1 + CHUNKS_PER_WORKER) + 16
    schedule = _Schedule(chunks=100, workers=2, window=window)
    sent = _answer_all(schedule)
    assert [number for number, _ in sent] == list(range(window))
    schedule.took()
    assert schedule.due() == [(window, 0)]
    assert schedule.sent == window + 1


def test_a_worker_s_death_fails_the_map_even_when_it_held_no_chunk() -> None:
    """Chunks go out as workers answer, so a worker may die holding none: the run then went
    on with the others, and the death was never said (the README: a worker that dies fails
    the run)."""
    schedule = _Schedule(chunks=10, workers=2, window=10)
    schedule.due()  # chunks 0-5: 0, 2, 4 to worker 0; 1, 3, 5 to worker 1
    assert not schedule.failed()
    schedule.ended(1)
    assert schedule.failed()
    assert [worker for _, worker in schedule.due()] == []  # worker 0's queue is full
    schedule.answered(0)
    assert [worker for _, worker in schedule.due()] == [0]  # none go to the one that ended


def _ticking_clock() -> Callable[[], float]:
    """A clock that moves one second each time it is read."""
    return itertools.count().__next__


def test_progress_prints_rate_and_time_left_at_most_once_an_interval() -> None:
    out = io.StringIO()
    progress = Progress("esfbank reparse", 40, interval=10, clock=_ticking_clock(), out=out)
    assert list(progress.each(range(40))) == list(range(40))
    lines = out.getvalue().splitlines()
    assert len(lines) == 4  # one page a second, a line every 10 s: not one a page
    assert lines[0] == "esfbank reparse: 10/40 pages, 1 pages/s, about 30 s left"
    assert lines[-1] == "esfbank reparse: 40/40 pages, 1 pages/s, about 0 s left"


def test_progress_time_left_reads_in_minutes_and_hours() -> None:
    progress = Progress("esfbank load", 100_000, interval=5, clock=_ticking_clock())
    progress.done = 10
    assert progress.line(5) == "esfbank load: 10/100000 pages, 2 pages/s, about 13 h 53 min left"
    progress.done = 99_000
    assert progress.line(1000) == "esfbank load: 99000/100000 pages, 99 pages/s, about 10 s left"
    progress.done = 1
    assert progress.line(1) == "esfbank load: 1/100000 pages, 1 pages/s, about 27 h 46 min left"


def test_progress_interval_zero_prints_nothing() -> None:
    out = io.StringIO()
    progress = Progress("esfbank load", 5, interval=0, clock=_ticking_clock(), out=out)
    assert len(list(progress.each(range(5)))) == 5
    assert out.getvalue() == ""


@pytest.mark.parametrize("command", ["reparse", "load", "parse"])
@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_jobs_must_be_a_positive_number(
    command: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(
            [command, "x", "--jobs", value] if command != "reparse" else [command, "--jobs", value]
        )
    assert exit_.value.code == 2
    assert f"--jobs: {value!r} is not a whole number of processes" in capsys.readouterr().err


def test_jobs_from_the_environment_else_every_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESFBANK_JOBS", raising=False)
    assert config.jobs() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("ESFBANK_JOBS", "3")
    assert config.jobs() == 3
    assert config.jobs(1) == 1  # the flag wins
    monkeypatch.setenv("ESFBANK_JOBS", "0")
    with pytest.raises(UsageError, match="ESFBANK_JOBS='0'"):
        config.jobs()


def test_progress_seconds_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESFBANK_PROGRESS_SECONDS", raising=False)
    assert config.progress_seconds() == config.DEFAULT_PROGRESS_SECONDS
    monkeypatch.setenv("ESFBANK_PROGRESS_SECONDS", "0.5")
    assert config.progress_seconds() == 0.5
    monkeypatch.setenv("ESFBANK_PROGRESS_SECONDS", "soon")
    with pytest.raises(UsageError, match="ESFBANK_PROGRESS_SECONDS='soon'"):
        config.progress_seconds()


def test_a_load_s_thread_counts_as_running_till_it_is_closed_and_then_forks_go_on() -> None:
    """Workers are forked only while no other thread runs. threading does not see a thread of
    load/threads.py (or sees a dummy of it for ever once it asked for `current_thread()`):
    `running()` counts it while it lives, and not after it is closed, when maps fork again."""
    before = running()  # a test before may have left a server's threads
    worker = Worker()
    assert running() == before  # started by the first call
    assert worker.submit(lambda: threading.current_thread().name).result().startswith("Dummy")
    assert (running(), start_method()) == (before + 1, "forkserver")
    worker.close()
    assert (running(), start_method()) == (before, "fork" if before == 0 else "forkserver")
