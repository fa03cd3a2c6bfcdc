"""The field registry (parsers/fields.py) is the one place a project field is declared.

The slow test follows CONTRIBUTING.md's recipe in a copy of the packages: two entries added to
the registry (one of them personal data), the record regenerated, one migration written by
`alembic revision --autogenerate`, and the new fields show in the parsed record, the table,
v_projects, the data dictionary and exports, with nothing else edited.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from load import schema
from load.gates import DEFAULT_GATES_FILE
from load.views import VIEWS
from parsers.fields import FIELDS, RECORDS_FILE, regenerate_records
from parsers.page import parse_lines
from parsers.records import ProjectRecord, Source
from parsers.snapshot import read_snapshot

REPO = Path(__file__).resolve().parents[1]
GOLDEN_PAGE = REPO / "tests" / "fixtures" / "golden" / "esfplus2021" / "22-043-S02.txt"
OWNER = "Projektägare:\nSTOCKHOLMS KOMMUN\n"
NEW_LABELS = "Organisationstyp:\nKommun\nKontaktpersonens titel:\nProjektledare\n"
NEW_ENTRIES = """\
    Field(
        name="owner_type",
        kind=TEXT,
        description="Kind of organisation that owns the project",
        source="Organisationstyp",
        example="Kommun",
        labels=("Organisationstyp",),
        parse=clean_text,
    ),
    Field(
        name="contact_title",
        kind=TEXT,
        description="The contact person's job title",
        source="Kontaktpersonens titel",
        example="Projektledare",
        labels=("Kontaktpersonens titel",),
        parse=clean_text,
        personal=True,
    ),
"""
REGISTRY_END = (
    "    # (a new field: one more entry above this line; CONTRIBUTING.md has the recipe)\n"
)


def test_the_records_fields_are_the_registrys() -> None:
    text = RECORDS_FILE.read_text(encoding="utf-8")
    assert regenerate_records(text) == text, "stale: run `python -m parsers.fields`"
    names = [f.name for f in FIELDS]
    fields = list(ProjectRecord.__dataclass_fields__)
    start = fields.index(names[0])
    assert fields[start : start + len(names)] == names


def test_the_projects_columns_and_v_projects_follow_the_registry() -> None:
    columns = schema.projects.c
    for field in FIELDS:
        assert columns[field.name].nullable is not field.required, field.name
        assert (
            schema.plain_type(columns[field.name].type).__visit_name__
            in {
                "text": ("text",),
                "varchar": ("string",),
                "bigint": ("big_integer",),
                "integer": ("integer",),
                "float": ("float",),
                "boolean": ("boolean",),
                "date": ("date",),
            }[field.kind.sql]
        ), field.name
    shown = [c.name for c in VIEWS["v_projects"].table().columns]
    assert [n for n in shown if n in {f.name for f in FIELDS}] == [
        f.name for f in FIELDS if f.in_view
    ]
    assert {"country", "programme_cci"}.isdisjoint(shown)


def test_the_default_gates_are_the_registrys_hints() -> None:
    gates = tomllib.loads(DEFAULT_GATES_FILE.read_text(encoding="utf-8"))
    assert gates["min_fill_rate"] == {
        f.name: f.min_fill_rate for f in FIELDS if f.min_fill_rate is not None
    }


def _page_with_new_labels(directory: Path) -> Path:
    text = GOLDEN_PAGE.read_text(encoding="utf-8")
    assert OWNER in text
    page = directory / "22-043-S02.txt"
    page.write_text(text.replace(OWNER, OWNER + NEW_LABELS), encoding="utf-8")
    return page


def _copy_packages(target: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("parsers", "load", "crawler", "esfbank"):
        shutil.copytree(REPO / package, target / package, ignore=ignore)


@pytest.mark.slow
def test_a_field_declared_once_reaches_record_table_view_dictionary_and_exports(
    tmp_path: Path,
) -> None:
    page = _page_with_new_labels(tmp_path)
    snapshot = read_snapshot(page.read_text(encoding="utf-8"))
    today = parse_lines(snapshot.lines, Source(path=str(page), url=snapshot.url))
    assert set(today.unknown_labels) >= {"Organisationstyp", "Kontaktpersonens titel"}

    src = tmp_path / "src"
    _copy_packages(src)
    registry = src / "parsers" / "fields.py"
    text = registry.read_text(encoding="utf-8")
    assert text.count(REGISTRY_END) == 1
    registry.write_text(text.replace(REGISTRY_END, NEW_ENTRIES + REGISTRY_END), encoding="utf-8")

    env = {**os.environ, "PYTHONPATH": str(src)}
    env.pop("ESFBANK_DB", None)

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=src, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
        return done.stdout

    assert run("-c", "import parsers; print(parsers.__file__)").startswith(str(src))

    # The recipe: regenerate the record, migrate a scratch database, autogenerate the migration.
    run("-m", "parsers.fields")
    scratch = f"sqlite:///{tmp_path / 'scratch.sqlite'}"
    run("-m", "esfbank", "db", "upgrade", "--db", scratch)
    run(
        "-m", "alembic", "-c", "load/alembic.ini", "-x", f"db={scratch}",
        "revision", "--autogenerate", "--rev-id", "0100", "-m", "owner type, contact title",
    )  # fmt: skip
    (migration,) = (src / "load" / "migrations" / "versions").glob("0100_*.py")
    written = migration.read_text(encoding="utf-8")
    assert 'sa.Column("owner_type", sa.Text(), nullable=True)' in written
    assert 'sa.Column("contact_title", sa.Text(), nullable=True)' in written
    assert "projects.owner_type" in written  # v_projects frozen with the new column
    checks = (
        "from alembic.autogenerate import compare_metadata\n"
        "from alembic.runtime.migration import MigrationContext\n"
        "import sqlalchemy as sa\n"
        "from load import frozen\n"
        "from load.migrate import upgrade\n"
        "from load.schema import metadata\n"
        "from load.search import outside_schema\n"
        "engine = sa.create_engine('sqlite://')\n"
        "upgrade(engine)\n"
        "with engine.connect() as conn:\n"
        "    context = MigrationContext.configure(conn, opts={'include_name': outside_schema})\n"
        "    diff = compare_metadata(context, metadata)\n"
        "print(diff, frozen.drifted())\n"
    )
    assert run("-c", checks).strip() == "[] []"  # the migration is all the schema needs

    # The record.
    record = json.loads(run("-m", "esfbank", "parse", str(page)))
    assert (record["owner_type"], record["contact_title"]) == ("Kommun", "Projektledare")
    assert record["unknown_labels"] == []

    # The table and the view.
    db_file = tmp_path / "new.sqlite"
    db = f"sqlite:///{db_file}"
    run("-m", "esfbank", "db", "upgrade", "--db", db)
    run("-m", "esfbank", "load", str(page), "--db", db)
    with sqlite3.connect(db_file) as conn:
        stored = conn.execute("SELECT owner_type, contact_title FROM projects").fetchall()
        shown = conn.execute("SELECT owner_type, contact_title FROM v_projects").fetchall()
    assert stored == shown == [("Kommun", "Projektledare")]

    # The data dictionary, in projects and v_projects, personal data marked.
    dictionary = run("-m", "load.dictionary")
    row = "| `owner_type` | text | yes | Kind of organisation that owns the project |"
    assert dictionary.count(row) == 2
    assert dictionary.count("The contact person's job title (*personal data*)") == 2

    # Exports, with and without personal data.
    for source in (("--view", "v_projects"), ("--table", "projects")):
        full = json.loads(run("-m", "esfbank", "export", *source, "--format", "jsonl", "--db", db))
        assert (full["owner_type"], full["contact_title"]) == ("Kommun", "Projektledare")
        args = ("-m", "esfbank", "export", *source, "--format", "jsonl", "--no-personal-data")
        public = json.loads(run(*args, "--db", db))
        assert public["owner_type"] == "Kommun"
        assert "contact_title" not in public
