"""The backfill journal: which URLs a backfill has finished, durable across Ctrl-C and kill -9.

One JSON line per finished URL, appended only after the database committed the batch holding it,
and flushed at once: after a crash the journal never claims more than the database holds, so
`backfill --resume` re-fetches exactly the pages whose results were lost. A torn last line (a
kill mid-write) is ignored. The first line names the run the journal belongs to.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


@dataclass(slots=True)
class JournalState:
    """What an earlier, unfinished backfill left: its run id and the URLs it finished."""

    run_id: int | None = None
    done: dict[str, str | None] = field(default_factory=dict)  # URL → archive key


def read_journal(path: Path) -> JournalState:
    state = JournalState()
    if not path.exists():
        return state
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.endswith("\n"):
                break
            entry = json.loads(line)
            if "run_id" in entry:
                state.run_id = int(entry["run_id"])
            else:
                state.done[str(entry["url"])] = entry.get("archive_key")
    return state


class Journal:
    """Append-only writer; `start` begins a fresh journal, `reopen` continues one."""

    def __init__(self, path: Path, stream: IO[str]) -> None:
        self.path = path
        self._stream = stream

    @classmethod
    def start(cls, path: Path, run_id: int) -> Journal:
        path.parent.mkdir(parents=True, exist_ok=True)
        journal = cls(path, path.open("w", encoding="utf-8"))
        journal._write([{"run_id": run_id}])
        return journal

    @classmethod
    def reopen(cls, path: Path, run_id: int) -> Journal:
        journal = cls(path, path.open("a", encoding="utf-8"))
        journal._write([{"run_id": run_id}])
        return journal

    def record_done(self, done: Iterable[tuple[str, str | None]]) -> None:
        self._write([{"url": url, "archive_key": key} for url, key in done])

    def finish(self) -> None:
        """The backfill completed: nothing is left to resume."""
        self._stream.close()
        self.path.unlink(missing_ok=True)

    def close(self) -> None:
        self._stream.close()

    def _write(self, entries: list[dict[str, object]]) -> None:
        if not entries:
            return
        self._stream.write("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
        self._stream.flush()
        os.fsync(self._stream.fileno())
