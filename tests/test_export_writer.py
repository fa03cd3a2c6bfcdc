"""The export writer on a small typed table of its own: formats, types, filters, atomicity."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from load import export as ex

metadata = sa.MetaData()
people = sa.Table(
    "people",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.Text),
    sa.Column("granted_esf_sek", sa.BigInteger),
    sa.Column("start_date", sa.Date),
    sa.Column("strategic_importance", sa.Boolean),
    sa.Column("contact_email", sa.Text),
    sa.Column("last_changed_at", sa.DateTime),
)
ROWS = [
    {
        "id": 1,
        "title": 'Åtgärd "ett", med komma',
        "granted_esf_sek": 221_114,
        "start_date": dt.date(2008, 9, 1),
        "strategic_importance": True,
        "contact_email": "a@example.se",
        "last_changed_at": dt.datetime(2020, 1, 1, 12),
    },
    {
        "id": 2,
        "title": "Rad\nbrytning",
        "granted_esf_sek": None,
        "start_date": None,
        "strategic_importance": None,
        "contact_email": None,
        "last_changed_at": dt.datetime(2024, 5, 6, 7),
    },
]


@pytest.fixture
def conn():
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(people.insert(), ROWS)
        yield connection


def _csv_rows(path: Path, delimiter: str = ",") -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f, delimiter=delimiter))


def test_csv_has_bom_header_and_text_values(conn, tmp_path):
    out = tmp_path / "p.csv"
    count = ex.export(conn, people, ex.ExportOptions(fmt="csv", delimiter=";"), out_path=out)
    assert count == 2
    assert out.read_bytes().startswith(b"\xef\xbb\xbfid;title;")
    header, first, second = _csv_rows(out, ";")
    assert header == [c.name for c in people.columns]
    assert first == [
        "1",
        'Åtgärd "ett", med komma',
        "221114",
        "2008-09-01",
        "true",
        "a@example.se",
        "2020-01-01T12:00:00",
    ]
    assert second == ["2", "Rad\nbrytning", "", "", "", "", "2024-05-06T07:00:00"]


def test_jsonl_keeps_nulls_and_iso_dates(conn, tmp_path):
    out = tmp_path / "p.jsonl"
    ex.export(conn, people, ex.ExportOptions(fmt="jsonl"), out_path=out)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["start_date"] == "2008-09-01"
    assert lines[0]["granted_esf_sek"] == 221_114
    assert lines[1]["granted_esf_sek"] is None
    assert lines[1]["title"] == "Rad\nbrytning"


def test_parquet_has_proper_types_and_row_groups(conn, tmp_path):
    out = tmp_path / "p.parquet"
    ex.export(conn, people, ex.ExportOptions(fmt="parquet", batch_rows=1), out_path=out)
    table = pq.read_table(out)
    assert table.schema.field("start_date").type == pa.date32()
    assert table.schema.field("granted_esf_sek").type == pa.int64()
    assert table.schema.field("strategic_importance").type == pa.bool_()
    assert table.column("start_date").to_pylist() == [dt.date(2008, 9, 1), None]
    assert pq.ParquetFile(out).num_row_groups == 1  # batches are gathered into row groups


def test_parquet_row_groups_gather_batches(tmp_path):
    out = tmp_path / "n.parquet"
    numbers = sa.table("numbers", sa.column("n", sa.Integer))
    batches = iter([[(n,)] for n in range(5)])
    assert ex.write_parquet(out, list(numbers.columns), batches, row_group_rows=2) == 5
    metadata = pq.ParquetFile(out).metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [2, 2, 1]


def test_empty_parquet_still_has_the_schema(conn, tmp_path):
    out = tmp_path / "p.parquet"
    options = ex.ExportOptions(fmt="parquet", since=dt.date(2030, 1, 1))
    assert ex.export(conn, people, options, out_path=out) == 0
    assert pq.read_table(out).schema.field("granted_esf_sek").type == pa.int64()


def test_no_personal_data_drops_contact_columns(conn, tmp_path):
    out = tmp_path / "p.csv"
    ex.export(conn, people, ex.ExportOptions(personal_data=False), out_path=out)
    assert "contact_email" not in _csv_rows(out)[0]


def test_since_filters_on_last_changed_at(conn, tmp_path):
    out = tmp_path / "p.jsonl"
    options = ex.ExportOptions(fmt="jsonl", since=dt.date(2021, 1, 1))
    assert ex.export(conn, people, options, out_path=out) == 1
    assert json.loads(out.read_text(encoding="utf-8"))["id"] == 2


def test_since_needs_the_column(conn):
    source = sa.table("people", sa.column("id", sa.Integer))
    with pytest.raises(ex.ExportError, match="last_changed_at"):
        ex.build_query(source, ex.ExportOptions(since=dt.date(2021, 1, 1)))


def test_stdout_gets_csv_but_not_parquet(conn):
    buffer = io.BytesIO()
    ex.export(conn, people, ex.ExportOptions(), stdout=buffer)
    assert buffer.getvalue().decode("utf-8-sig").startswith("id,title,")
    with pytest.raises(ex.ExportError, match="Parquet needs --out"):
        ex.export(conn, people, ex.ExportOptions(fmt="parquet"), stdout=io.BytesIO())


def test_a_failure_leaves_no_file_behind(conn, tmp_path, monkeypatch):
    out = tmp_path / "p.csv"
    out.write_text("the previous export\n", encoding="utf-8")

    def broken(*args, **kwargs):
        yield [(1, "x", None, None, None, None, None)]
        raise RuntimeError("connection lost")

    monkeypatch.setattr(ex, "stream_batches", broken)
    with pytest.raises(RuntimeError, match="connection lost"):
        ex.export(conn, people, ex.ExportOptions(), out_path=out)
    assert out.read_text(encoding="utf-8") == "the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv"]


def test_missing_directory_is_a_clear_error(conn, tmp_path):
    with pytest.raises(ex.ExportError, match="does not exist"):
        ex.export(conn, people, ex.ExportOptions(), out_path=tmp_path / "nope" / "p.csv")


@pytest.mark.parametrize(
    ("column_type", "expected"),
    [
        (sa.Float(), pa.float64()),
        (sa.Numeric(10, 2), pa.decimal128(10, 2)),
        (sa.Numeric(), pa.float64()),
        (sa.BigInteger(), pa.int64()),
        (sa.DateTime(timezone=True), pa.timestamp("us", tz="UTC")),
        (sa.JSON(), pa.string()),
    ],
)
def test_arrow_types(column_type, expected):
    assert ex.arrow_type(column_type) == expected


def test_a_directory_as_destination_is_a_clear_error(conn, tmp_path):
    with pytest.raises(ex.ExportError, match="it is a directory"):
        ex.export(conn, people, ex.ExportOptions(), out_path=tmp_path)


def test_a_file_system_error_names_the_file(conn, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ex, "write_csv", full)
    out = tmp_path / "p.csv"
    with pytest.raises(OSError, match="No space left on device") as raised:
        ex.export(conn, people, ex.ExportOptions(), out_path=out)
    assert raised.value.filename == str(out)  # the file asked for, not the temporary one
    assert list(tmp_path.iterdir()) == []


def test_progress_is_reported_every_so_many_rows(conn, tmp_path, monkeypatch):
    monkeypatch.setattr(ex, "PROGRESS_ROWS", 1)
    heard: list[int] = []
    options = ex.ExportOptions(batch_rows=1)
    ex.export(conn, people, options, out_path=tmp_path / "p.csv", progress=heard.append)
    assert heard == [1, 2]
