"""Every export format round-trips on the loaded fixture database, on SQLite and PostgreSQL:
the rows read back from the file equal, value for value, what the view or table returns (CSV
exported with --raw, so that no cell gets the spreadsheet-safety `'`: tests/test_export_safety.py
checks that prefix)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from esfbank.cli import main
from load import export as ex
from load.views import VIEWS
from parsers.fields import PERSONAL_DATA_FIELDS
from tests.research_db import import_sources, load_fixture_db

SOURCES = [("view", name) for name in VIEWS] + [
    ("table", name) for name in ("projects", "news_articles", "project_municipalities")
]


@pytest.fixture
def loaded(fresh_db):
    load_fixture_db(fresh_db.url)
    import_sources(fresh_db.url)
    return fresh_db


def _expected(engine: sa.Engine, kind: str, name: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """What the database returns for the source, through its typed table, in export order."""
    source = ex.resolve_source(engine, name, kind)  # type: ignore[arg-type]
    query = ex.build_query(source, ex.ExportOptions())
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    return [str(c.key) for c in query.selected_columns], rows


def _utc(value: dt.datetime) -> dt.datetime:
    """A timestamp as both backends must hand it back: time-zone aware, in UTC."""
    assert value.utcoffset() == dt.timedelta(0), f"{value!r} is not an aware UTC timestamp"
    return value


def _as_csv(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.datetime):
        return _utc(value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _as_json(value: Any) -> Any:
    return _as_csv(value) if isinstance(value, dt.date) else value


def _as_parquet(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _utc(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _export(url: str, kind: str, name: str, fmt: str, out: Path) -> None:
    args = ["export", f"--{kind}", name, "--format", fmt, "--out", str(out), "--db", url]
    assert main([*args, "--raw"] if fmt == "csv" else args) == 0


def _check_csv(out: Path, names: list[str], rows: list[tuple[Any, ...]]) -> None:
    with out.open(encoding="utf-8-sig", newline="") as f:
        header, *got = list(csv.reader(f))
    assert header == names
    assert got == [[_as_csv(v) for v in r] for r in rows]


def _check_jsonl(out: Path, names: list[str], rows: list[tuple[Any, ...]]) -> None:
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(got) == len(rows)
    for line, row in zip(got, rows, strict=True):
        assert list(line) == names
        assert list(line.values()) == [_as_json(v) for v in row]


def _check_parquet(out: Path, names: list[str], rows: list[tuple[Any, ...]]) -> None:
    table = pq.read_table(out)
    assert table.column_names == names
    got = [tuple(_as_parquet(v) for v in r.values()) for r in table.to_pylist()]
    assert got == [tuple(_as_parquet(v) for v in r) for r in rows]


@pytest.mark.parametrize(("kind", "name"), SOURCES)
def test_every_format_round_trips(loaded, tmp_path, kind, name):
    names, rows = _expected(loaded.engine, kind, name)
    assert rows, f"the fixture database should give {name} rows to compare"
    for fmt, check in (("csv", _check_csv), ("jsonl", _check_jsonl), ("parquet", _check_parquet)):
        out = tmp_path / f"out.{fmt}"
        _export(loaded.url, kind, name, fmt, out)
        check(out, names, rows)


def test_parquet_types_are_dates_and_integers(loaded, tmp_path):
    out = tmp_path / "p.parquet"
    args = ["export", "--view", "v_projects", "--format", "parquet", "--out", str(out)]
    assert main([*args, "--db", loaded.url]) == 0
    schema = pq.read_schema(out)
    assert str(schema.field("start_date").type) == "date32[day]"
    assert str(schema.field("granted_esf_sek").type) == "int64"
    assert str(schema.field("removed").type) == "bool"
    assert str(schema.field("last_changed_at").type) == "timestamp[us, tz=UTC]"


def test_no_personal_data_leaves_no_contact_column(loaded, tmp_path):
    out = tmp_path / "p.jsonl"
    args = ["export", "--view", "v_projects", "--format", "jsonl", "--no-personal-data"]
    assert main([*args, "--out", str(out), "--db", loaded.url]) == 0
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert "title" in first
    assert not PERSONAL_DATA_FIELDS & set(first)


def test_since_keeps_only_rows_changed_since(loaded, tmp_path, capsys):
    # The fixture's runs happen on 2026-01-01; one project changes in the second run.
    args = ["export", "--view", "v_projects", "--format", "jsonl", "--db", loaded.url]
    assert main([*args, "--since", "2026-01-02"]) == 0
    assert capsys.readouterr().out == ""
    assert main([*args, "--since", "2026-01-01"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(
        _expected(loaded.engine, "view", "v_projects")[1]
    )


def test_csv_to_stdout_with_semicolons(loaded, capsys):
    assert (
        main(["export", "--view", "v_summary_period", "--delimiter", ";", "--db", loaded.url]) == 0
    )
    out = capsys.readouterr()
    assert out.out.startswith("\ufeffprogramme_period;projects;granted_esf_sek;")
    assert "rows of view v_summary_period written to standard output" in out.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--view", "v_nope"], "unknown view 'v_nope'"),
        (["--table", "v_projects"], "unknown table 'v_projects'"),
        (["--view", "v_projects", "--format", "parquet"], "--format parquet needs --out PATH"),
        (["--view", "v_projects", "--since", "yesterday"], "--since: 'yesterday' is not a date"),
        (["--view", "v_projects", "--delimiter", ";;"], "--delimiter must be one character"),
        (["--view", "v_projects", "--delimiter", '"'], "other than a quote or a line break"),
    ],
)
def test_bad_requests_are_one_line_and_exit_2(fresh_db, capsys, args, message):
    assert main(["export", *args, "--db", fresh_db.url]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_missing_database_file_is_exit_2(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'absent.sqlite'}"
    assert main(["export", "--view", "v_projects", "--db", url]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "absent.sqlite").exists()


def test_missing_output_directory_is_exit_2(fresh_db, tmp_path, capsys):
    out = tmp_path / "no" / "such" / "dir.csv"
    assert main(["export", "--view", "v_projects", "--out", str(out), "--db", fresh_db.url]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_unknown_output_path_suffix_is_not_guessed(fresh_db, tmp_path):
    out = tmp_path / "p.parquet"
    assert main(["export", "--view", "v_projects", "--out", str(out), "--db", fresh_db.url]) == 0
    assert Path(out).read_bytes().startswith(b"\xef\xbb\xbfproject_id,")  # csv, as --format says
