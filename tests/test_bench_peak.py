"""bench/peak.py: a command's peak resident memory is its own, not the benchmark process's."""

from __future__ import annotations

import sys

from bench.peak import run

_MB = 1024 * 1024


def test_a_command_s_peak_is_its_own_whatever_the_caller_holds() -> None:
    """Linux keeps the peak across exec: started straight from a process holding 300 MB, a
    command that holds a few MB read as 300 MB (bench_sources printed 392 MB, "MISSED", for
    an import that alone peaks far lower, after bench_search had grown `make bench`)."""
    held = bytearray(300 * _MB)
    held[::4096] = b"\1" * len(held[::4096])  # touched: resident
    small = run([sys.executable, "-c", "pass"])
    assert small.code == 0
    assert small.peak_mb < 100
    grow = "b = bytearray(150 * 1024 * 1024); b[::4096] = b'\\1' * len(b[::4096])"
    assert 150 <= run([sys.executable, "-c", grow]).peak_mb < 250
    del held


def test_the_command_s_exit_code_and_output_come_through_however_long() -> None:
    """Output is read once the command has ended: through a pipe, more than the pipe holds
    would have stopped the command for good."""
    script = "import sys; print('out'); sys.stderr.write('e' * 200_000); sys.exit(3)"
    done = run([sys.executable, "-c", script])
    assert (done.code, done.stdout, len(done.stderr)) == (3, "out\n", 200_000)
