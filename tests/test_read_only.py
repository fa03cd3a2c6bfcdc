"""A read-only database: reading commands (export, report) read it; writing commands (load,
reparse, crawl) say in one line that it is read-only and exit 2, before they start.

Root ignores file permissions (CI runs as root), so read-only is made in ways root obeys too:
a SQLite `mode=ro` URI, a PostgreSQL session with default_transaction_read_only, and a database
in a directory made immutable (`chattr +i`) when root, read-only (chmod) otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from esfbank.cli import main
from load.engine import create_engine
from tests.plugins.db import FreshDb
from tests.research_db import load_fixture_db

PAGES = Path(__file__).parent / "fixtures" / "load" / "pages"


def _read_only_url(db: FreshDb) -> str:
    """The same database, read-only for whoever opens it, root included."""
    url = sa.make_url(db.url)
    if db.backend == "sqlite":
        return f"sqlite:///file:{url.database}?mode=ro&uri=true"
    options = "-c default_transaction_read_only=on"
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)


@pytest.fixture
def read_only(fresh_db: FreshDb) -> str:
    load_fixture_db(fresh_db.url)
    return _read_only_url(fresh_db)


def test_reading_commands_read_a_read_only_database(read_only, tmp_path, capsys):
    out = tmp_path / "p.csv"
    assert main(["export", "--view", "v_projects", "--out", str(out), "--db", read_only]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfproject_id,")
    assert main(["report", "--db", read_only]) == 0
    assert "Records per family" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["load", "reparse", "crawl"])
def test_writing_commands_refuse_a_read_only_database_in_one_line(
    read_only, tmp_path, capsys, command
):
    archive = tmp_path / "archive"
    (archive / "index").mkdir(parents=True)
    args = {
        "load": ["load", str(PAGES)],
        "reparse": ["reparse"],
        "crawl": ["crawl", "--base-url", "http://127.0.0.1:9"],
    }[command]
    assert main([*args, "--archive", str(archive), "--db", read_only]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert f"esfbank {command}: error: database" in err
    assert "read-only" in err


def _make_read_only(*paths: Path) -> None:
    """Read-only for this process: `chattr +i` when root (whom chmod does not stop)."""
    if os.geteuid() != 0:
        for path in paths:
            path.chmod(0o555 if path.is_dir() else 0o444)
        return
    done = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"root, and chattr +i is not allowed here: {done.stderr.strip()}")


def _make_writable(*paths: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=False)
    for path in paths:
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture
def read_only_directory(migrated_db_url, tmp_path) -> Iterator[Path]:
    """A loaded SQLite database (no -wal file left) alone in a directory this process cannot
    write, the file read-only too."""
    url = migrated_db_url("sqlite")
    load_fixture_db(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    folder = tmp_path / "read-only"
    folder.mkdir()
    database = folder / "esfbank.sqlite"
    shutil.copyfile(sa.make_url(url).database or "", database)
    _make_read_only(database, folder)
    try:
        yield database
    finally:
        _make_writable(folder, database)


def test_a_database_in_a_read_only_directory_is_read_and_not_written(
    read_only_directory, tmp_path, capsys
):
    url = f"sqlite:///{read_only_directory}"
    assert main(["export", "--view", "v_summary_period", "--db", url]) == 0
    exported = capsys.readouterr().out
    assert exported.startswith("\ufeffprogramme_period,projects,")
    assert len(exported.splitlines()) == 4  # header and the three periods
    assert main(["report", "--db", url]) == 0
    archive = tmp_path / "archive"
    assert main(["load", str(PAGES), "--archive", str(archive), "--db", url]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "read-only" in err
    assert sorted(p.name for p in read_only_directory.parent.iterdir()) == ["esfbank.sqlite"]
