"""load/threads.py: a thread handed calls and waited on through C code only."""

from __future__ import annotations

from queue import SimpleQueue

import pytest

from load.threads import Worker, running


def _fail(message: str) -> None:
    raise ValueError(message)


def test_calls_run_in_order_and_their_errors_are_raised_in_the_caller() -> None:
    before = running()  # a test before may have left a server's threads
    worker = Worker()
    done: list[int] = []
    pending = [worker.submit(done.append, n) for n in range(5)]
    failed = worker.submit(_fail, "no plan")
    with pytest.raises(ValueError, match="no plan"):
        failed.result()
    assert [p.result() for p in pending] == [None] * 5
    assert done == [0, 1, 2, 3, 4]
    worker.close()
    assert running() == before


def test_closing_waits_for_the_calls_submitted() -> None:
    worker = Worker()
    done: list[int] = []
    for n in range(100):
        worker.submit(done.append, n)
    worker.close()
    assert done == list(range(100))
    worker.close()  # a second close: nothing left to end


def test_a_pending_call_says_whether_its_outcome_is_in_without_waiting() -> None:
    worker = Worker()
    gate: SimpleQueue[None] = SimpleQueue()
    pending = worker.submit(gate.get)  # runs until the gate opens
    assert not pending.done()
    gate.put(None)
    assert pending.result() is None
    assert pending.done()
    worker.close()
