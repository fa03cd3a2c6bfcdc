"""A command's own peak resident memory, whatever the benchmark process holds.

Linux keeps a process's peak resident size across exec: a command started from this process
(forked, then exec'd) reports at least this process's resident size at that moment. `make
bench` runs every benchmark in one process, so after bench_search had grown it, a 100,000-row
Kohesio import read as 392 MB. Here the command is started by a small launcher process, which
forks it and reads its peak (os.wait4): the figure is the command's own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# argv: the fd to write the command's peak (KB) to, then the command.
_LAUNCHER = """
import os, sys
report, command = int(sys.argv[1]), sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.close(report)
    os.execvp(command[0], command)
_, status, usage = os.wait4(pid, 0)
os.write(report, str(usage.ru_maxrss).encode())
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


@dataclass(frozen=True, slots=True)
class Finished:
    """A command run to its end: exit code, its own peak resident memory, what it wrote."""

    code: int
    peak_mb: float
    stdout: str
    stderr: str


def run(command: Sequence[str], *, env: Mapping[str, str] | None = None) -> Finished:
    """Run `command` to its end. Its output goes to files, read once it has ended: a pipe read
    only then would stop a command that writes more than the pipe holds."""
    read_end, write_end = os.pipe()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _LAUNCHER, str(write_end), *command],
                pass_fds=(write_end,),
                stdout=out,
                stderr=err,
                env=env,
            )
        finally:
            os.close(write_end)
        with os.fdopen(read_end, "rb") as report:
            kilobytes = report.read()
        code = process.wait()
        out.seek(0)
        err.seek(0)
        texts = (out.read().decode(errors="replace"), err.read().decode(errors="replace"))
    return Finished(code, int(kilobytes or b"0") / 1024, *texts)  # kilobytes on Linux
