"""Exports a spreadsheet or a shell can trust: text cells that a spreadsheet would run as a
formula are neutralised (OWASP's `'` prefix) unless `--raw`; delimiters that break CSV are
refused; `--out` writes through a symlink, FIFO or device instead of replacing it."""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from esfbank.cli import main
from load import export as ex
from load.schema import projects
from tests.research_db import load_fixture_db

metadata = sa.MetaData()
cells = sa.Table(
    "cells",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.Text),
    sa.Column("amount", sa.BigInteger),
)
# title as stored → as a CSV cell by default
TITLES = {
    '=HYPERLINK("http://evil","x")': '\'=HYPERLINK("http://evil","x")',
    "@SUM(A1:A2)": "'@SUM(A1:A2)",
    "=1": "'=1",
    "+46 8 123 45": "+46 8 123 45",
    "-5": "-5",
    "-12.5": "-12.5",
    "+46 (0)8-123 45": "+46 (0)8-123 45",
    "-2+3": "'-2+3",
    "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
    "- Projektet syftar till": "'- Projektet syftar till",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
    "\t42": "\t42",
    "Kompetens = framtid": "Kompetens = framtid",
    "": "",
}


@pytest.fixture
def conn():
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            cells.insert(),
            [{"id": i, "title": t, "amount": -5} for i, t in enumerate(TITLES)],
        )
        yield connection


def _csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("raw", [False, True])
def test_formula_cells_are_neutralised_unless_raw(conn, raw):
    buffer = io.BytesIO()
    ex.export(conn, cells, ex.ExportOptions(raw=raw), stdout=buffer)
    header, *rows = _csv(buffer.getvalue())
    assert header == ["id", "title", "amount"]
    expected = list(TITLES) if raw else list(TITLES.values())
    assert [row[1] for row in rows] == expected
    assert {row[2] for row in rows} == {"-5"}  # a typed number stays a number


@pytest.mark.parametrize(("text", "safe"), list(TITLES.items()))
def test_spreadsheet_safe(text, safe):
    assert ex.spreadsheet_safe(text) == safe


def _hostile_title(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as c:
        first = c.execute(sa.select(sa.func.min(projects.c.id))).scalar_one()
        c.execute(
            sa.update(projects).where(projects.c.id == first).values(title="=1+2", owner="@x")
        )
    engine.dispose()


@pytest.mark.parametrize(
    ("flags", "title", "owner"), [([], "'=1+2", "'@x"), (["--raw"], "=1+2", "@x")]
)
def test_export_command_neutralises_unless_raw(fresh_db, capsys, flags, title, owner):
    load_fixture_db(fresh_db.url)
    _hostile_title(fresh_db.url)
    assert main(["export", "--view", "v_projects", *flags, "--db", fresh_db.url]) == 0
    header, *rows = _csv(capsys.readouterr().out.encode())
    got = [dict(zip(header, row, strict=True)) for row in rows]
    assert [(r["title"], r["owner"]) for r in got if r["title"].lstrip("'") == "=1+2"] == [
        (title, owner)
    ]


@pytest.mark.parametrize("delimiter", ['"', "\n", "\r", ";;", ""])
def test_delimiters_that_break_csv_are_refused(fresh_db, capsys, delimiter):
    args = ["export", "--view", "v_projects", "--delimiter", delimiter, "--db", fresh_db.url]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--delimiter" in err
    assert len(err.strip().splitlines()) == 1


def test_out_writes_through_a_symlink(conn, tmp_path):
    target = tmp_path / "elsewhere" / "real.csv"
    target.parent.mkdir()
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    ex.export(conn, cells, ex.ExportOptions(), out_path=link)
    assert link.is_symlink()
    assert _csv(target.read_bytes())[0] == ["id", "title", "amount"]


def test_out_writes_into_a_fifo(conn, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so the writer's open does not block
    try:
        ex.export(conn, cells, ex.ExportOptions(), out_path=fifo)
        data = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert len(_csv(data)) == 1 + len(TITLES)


def test_out_to_standard_output_device_writes_through(fresh_db, tmp_path):
    """`--out /dev/stdout` (a link to /proc/self/fd/1): here a link of the test's own to the
    same place, so a failing run replaces that link, not the system's /dev/stdout."""
    stdout_link = tmp_path / "stdout"
    stdout_link.symlink_to("/proc/self/fd/1")
    captured = tmp_path / "captured.csv"
    with captured.open("wb") as out:
        args = ["export", "--view", "v_projects", "--out", str(stdout_link), "--db", fresh_db.url]
        done = subprocess.run(
            [sys.executable, "-m", "esfbank", *args], stdout=out, stderr=subprocess.PIPE
        )
    assert done.returncode == 0, done.stderr
    assert stdout_link.is_symlink()
    assert captured.read_bytes().startswith(b"\xef\xbb\xbfproject_id,")


def test_out_to_a_directory_symlink_is_a_clear_error(conn, tmp_path):
    link = tmp_path / "dir-link"
    link.symlink_to(tmp_path)
    with pytest.raises(ex.ExportError, match="it is a directory"):
        ex.export(conn, cells, ex.ExportOptions(), out_path=link)


def test_round_trip_check_uses_raw(fresh_db, tmp_path):
    """The round trip of tests/test_export.py exports with --raw; a default export of the same
    fixture differs from it only by the prefix (this fixture has no formula-like cells)."""
    load_fixture_db(fresh_db.url)
    raw, safe = tmp_path / "raw.csv", tmp_path / "safe.csv"
    base = ["export", "--view", "v_projects", "--db", fresh_db.url, "--out"]
    assert main([*base, str(raw), "--raw"]) == 0
    assert main([*base, str(safe)]) == 0
    assert Path(raw).read_bytes() == Path(safe).read_bytes()
