"""Objects that live until the process ends: modules, imported once and never freed."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def long_lived_imports() -> Iterator[None]:
    """Import with the cycle collector paused, then freeze what the imports made. Modules live
    until exit, so collecting while importing them frees nothing (a tenth of a second of a
    crawl's start-up on a 2-core machine), and every later collection, the one at exit too,
    would walk them again; a forked parse worker walking them would also write to memory it
    shares with its parent, which the kernel must then copy. The collector is left as the
    caller had it (paused, say, by a caller that pauses it itself)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
