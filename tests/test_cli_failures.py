"""When the machine fails a command (disk full, `ulimit -f`, a full archive directory, stdout
on /dev/full, a reader that closes the pipe): one line on stderr, no traceback, the database
consistent. Exit 1 for a started run that fails, 0 when the reader went away (`| head`)."""

from __future__ import annotations

import errno
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest
import sqlalchemy as sa

from esfbank.cli import main
from load import export as ex
from load import schema as t
from load.archive import Archive
from load.engine import create_engine

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = FIXTURES / "load" / "pages"
GOLDEN = FIXTURES / "golden"


def _esfbank(
    *args: str, stdout: IO[bytes] | None = None, preexec_fn: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "esfbank", *args]
    return subprocess.run(
        command, stdout=stdout, stderr=subprocess.PIPE, text=True, preexec_fn=preexec_fn
    )


def _one_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_reader_that_closes_the_pipe_ends_parse_quietly():
    """`esfbank parse … | head -1`: far more output than a pipe holds, so the writer meets the
    closed pipe for certain."""
    folders = [str(GOLDEN)] * 4
    process = subprocess.Popen(
        [sys.executable, "-m", "esfbank", "parse", *folders],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    assert process.stdout.readline().startswith("{")
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait() == 0
    assert "Traceback" not in stderr
    assert "Broken pipe" not in stderr
    assert "BrokenPipeError" not in stderr


@pytest.mark.parametrize("command", ["parse", "export"])
def test_standard_output_on_a_full_device_is_one_line_and_exit_1(migrated_db_url, command):
    args = {
        "parse": ["parse", str(GOLDEN)],
        "export": ["export", "--table", "municipalities", "--db", migrated_db_url("sqlite")],
    }[command]
    with open("/dev/full", "wb") as full:
        done = _esfbank(*args, stdout=full)
    assert done.returncode == 1
    line = _one_line("\n".join(x for x in done.stderr.splitlines() if "field" not in x))
    assert line == f"esfbank {command}: error: standard output: No space left on device"


def test_an_export_file_on_a_full_disk_is_one_line_and_exit_1(
    migrated_db_url, tmp_path, monkeypatch, capsys
):
    def full(*args: object, **kwargs: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ex, "write_csv", full)
    out = tmp_path / "municipalities.csv"
    args = ["export", "--table", "municipalities", "--out", str(out)]
    assert main([*args, "--db", migrated_db_url("sqlite")]) == 1
    assert _one_line(capsys.readouterr().err) == (
        f"esfbank export: error: {out}: No space left on device"
    )
    assert list(tmp_path.iterdir()) == []


def _file_size_limit(size: int) -> Callable[[], None]:
    """A preexec_fn: no file of the child may grow past `size` bytes (ulimit -f)."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def _consistent(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        counts = {
            table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in (t.projects, t.project_versions, t.url_state, t.news_articles)
        }
    engine.dispose()
    return counts


def test_load_on_a_full_disk_is_one_line_exit_1_and_the_database_consistent(
    migrated_db_url, tmp_path
):
    """The database's WAL cannot grow past 64 KiB: the first batch fails and is rolled back."""
    url = migrated_db_url("sqlite")
    archive = tmp_path / "archive"
    args = ["load", str(PAGES), "--archive", str(archive), "--db", url]
    done = _esfbank(*args, preexec_fn=_file_size_limit(64 * 1024))
    assert done.returncode == 1
    line = _one_line("\n".join(x for x in done.stderr.splitlines() if ": field " not in x))
    assert line.startswith("esfbank load: error: the database failed: ")
    assert _consistent(url) == {"projects": 0, "project_versions": 0, "url_state": 0,
                                "news_articles": 0}  # fmt: skip
    assert main(["load", str(PAGES), "--archive", str(archive), "--db", url]) in (0, 1)
    assert _consistent(url)["projects"] > 0  # the same pages load once there is room


def test_load_with_a_full_archive_directory_is_one_line_exit_1(
    migrated_db_url, tmp_path, monkeypatch, capsys
):
    archive = tmp_path / "archive"

    def full(self: Archive, body: bytes) -> str:
        raise OSError(errno.ENOSPC, "No space left on device", str(archive / "blobs"))

    monkeypatch.setattr(Archive, "_put_blob", full)
    url = migrated_db_url("sqlite")
    assert main(["load", str(PAGES), "--archive", str(archive), "--db", url]) == 1
    err = capsys.readouterr().err
    assert _one_line(err) == f"esfbank load: error: {archive / 'blobs'}: No space left on device"
    engine = create_engine(url)
    with engine.connect() as conn:
        runs = conn.execute(sa.select(t.crawl_runs.c.kind, t.crawl_runs.c.status)).all()
    engine.dispose()
    assert runs == [("load", "failed")]
    assert _consistent(url)["projects"] == 0


def test_reparse_on_a_full_disk_is_one_line_and_exit_1(migrated_db_url, tmp_path):
    url = migrated_db_url("sqlite")
    archive = tmp_path / "archive"
    assert main(["load", str(PAGES), "--archive", str(archive), "--db", url]) in (0, 1)
    empty = migrated_db_url("sqlite")
    done = _esfbank("reparse", "--archive", str(archive), "--db", empty,
                    preexec_fn=_file_size_limit(64 * 1024))  # fmt: skip
    assert done.returncode == 1
    assert _one_line(done.stderr).startswith("esfbank reparse: error: the database failed: ")
    assert _consistent(empty)["projects"] == 0


def test_load_with_an_archive_it_cannot_create_does_not_start(migrated_db_url, tmp_path, capsys):
    archive = tmp_path / "archive"
    archive.write_text("a file where the archive directory should be", encoding="utf-8")
    url = migrated_db_url("sqlite")
    assert main(["load", str(PAGES), "--archive", str(archive), "--db", url]) == 2
    assert _one_line(capsys.readouterr().err).startswith(
        f"esfbank load: error: --archive {archive}: cannot create it"
    )
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.crawl_runs)).scalar() == 0
    engine.dispose()
