"""Where Ctrl-C can land: the standard library's Python-level lock code a call runs in this
thread (load/threads.py says why none may run while the writer waits)."""

from __future__ import annotations

import concurrent.futures._base
import concurrent.futures.thread
import queue
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import sqlalchemy.util.queue

# Condition, Event, Semaphore, Thread.start and join; queue.Queue; concurrent.futures
_LOCK_CODE = {
    module.__file__
    for module in (threading, queue, concurrent.futures._base, concurrent.futures.thread)
}
# SQLAlchemy's pool takes a connection under a Condition over an RLock, and waits on it only
# when none is free: an interrupt there leaves a lock this thread, its only user, takes again.
_EXEMPT = {sqlalchemy.util.queue.__file__}
_NOT_CALLERS = _LOCK_CODE | _EXEMPT  # lock code these call is theirs, not the code under test


def lock_code_run(call: Callable[[], object]) -> tuple[set[str], set[str]]:
    """(the files of every function `call` ran in this thread, the lock code it called
    itself, as "file:function"); the first shows the trace saw the call's own work."""
    entered: set[str] = set()
    lock_code: set[str] = set()

    def trace(frame: FrameType, event: str, arg: object) -> None:
        code, caller = frame.f_code, frame.f_back
        entered.add(Path(code.co_filename).name)
        called_by = caller.f_code.co_filename if caller is not None else ""
        if code.co_filename in _LOCK_CODE and called_by not in _NOT_CALLERS:
            lock_code.add(f"{Path(code.co_filename).name}:{code.co_name}")

    before = sys.gettrace()
    sys.settrace(trace)
    try:
        call()
    finally:
        sys.settrace(before)
    return entered, lock_code
