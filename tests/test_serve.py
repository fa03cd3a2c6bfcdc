"""`esfbank serve`: Datasette on the SQLite database, described by the data dictionary, with the
stemmed search and the README's queries; clear refusals (exit 2) when it cannot serve."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from esfbank.cli import main
from esfbank.commands.serve import make_datasette
from esfbank.example_queries import EXAMPLE_QUERIES
from load import dictionary, search
from load.engine import create_engine, schema_change
from load.migrate import alembic_config, upgrade
from load.search_text import parse_query
from tests.research_db import load_fixture_db

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """The golden pages in a SQLite file (`golden.sqlite`), and a Datasette on it."""
    path = tmp_path_factory.mktemp("serve") / "golden.sqlite"
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    load_fixture_db(url)
    return path, make_datasette(url, sql_threads=0)


def _get(datasette: Any, path: str) -> Any:
    async def fetch() -> Any:
        return await datasette.client.get(path)

    response = asyncio.run(fetch())
    assert response.status_code == 200, (path, response.text[:500])
    return response


def test_the_served_datasette_leaves_no_thread_behind(served) -> None:
    """Later tests in this process fork their parse workers only while it runs one thread."""
    path, _ = served
    before = set(threading.enumerate())
    datasette = make_datasette(f"sqlite:///{path}", sql_threads=0)
    _get(datasette, f"/{path.stem}/projects.json")
    assert set(threading.enumerate()) - before == set()


def test_every_table_view_and_column_is_described(served) -> None:
    path, datasette = served
    metadata = _get(datasette, "/-/metadata.json").json()
    tables = metadata["databases"]["golden"]["tables"]
    engine = create_engine(f"sqlite:///{path}")
    try:
        relations = dictionary.reflect(engine)
    finally:
        engine.dispose()
    assert {r.name for r in relations} <= set(tables)
    for relation in relations:
        entry = tables[relation.name]
        assert entry["description"], relation.name
        assert set(entry["columns"]) == {c.name for c in relation.columns}, relation.name
    assert tables["projects"]["facets"] == ["programme_period", "region", "programme_area"]
    assert tables["alembic_version"] == {"hidden": True}
    assert metadata["title"].startswith("esfbank")
    assert all(metadata[key] for key in ("license", "source", "source_url"))


def test_the_projects_table_shows_its_facets(served) -> None:
    _, datasette = served
    data = _get(datasette, "/golden/projects.json?_facet_size=20").json()
    facets = data["facet_results"]
    assert set(facets) == {"programme_period", "region", "programme_area"}
    periods = {f["value"] for f in facets["programme_period"]["results"]}
    assert periods == {"2007-2013", "2014-2020", "2021-2027"}


def test_the_readme_queries_are_canned_queries(served) -> None:
    readme = README.read_text(encoding="utf-8")
    statements = [
        s.strip()
        for block in re.findall(r"```sql\n(.*?)```", readme, re.S)
        for s in block.split(";")
        if s.strip()
    ]
    assert statements == [sql.strip() for _, sql in EXAMPLE_QUERIES.values()]
    _, datasette = served
    for name in EXAMPLE_QUERIES:
        rows = _get(datasette, f"/golden/{name}.json?_shape=array").json()
        assert isinstance(rows, list)
    assert _get(datasette, "/golden/support_per_period.json?_shape=array").json()


@pytest.mark.parametrize("text", ["arbetslösa", '"utrikes födda kvinnor"', "kvinnor", "ungdom"])
def test_the_canned_search_finds_what_esfbank_search_finds(served, text: str) -> None:
    path, datasette = served
    query = f"/golden/search.json?_shape=array&q={text}"
    rows = _get(datasette, query).json()
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            hits = search.search(conn, parse_query(text), limit=100)
    finally:
        engine.dispose()
    assert rows
    assert sorted((r["kind"], r["title"]) for r in rows) == sorted((h.kind, h.title) for h in hits)
    assert all("[" in r["snippet"] for r in rows)


def test_the_search_page_marks_matches_and_links_projects(served) -> None:
    _, datasette = served
    html = _get(datasette, "/golden/search?q=arbetslösa").text
    assert "<mark>arbetslösheten</mark>" in html.replace("Arbetslösheten", "arbetslösheten")
    assert re.search(r'<a href="/golden/projects/\d+">project \d+</a>', html)


@pytest.mark.parametrize("text", ["", "och det", '"oops', "'; drop table projects; --"])
def test_a_query_that_cannot_match_shows_no_rows_not_an_error(served, text: str) -> None:
    _, datasette = served
    before = hashlib.sha256(served[0].read_bytes()).hexdigest()
    assert _get(datasette, f"/golden/search.json?_shape=array&q={text}").json() == []
    assert hashlib.sha256(served[0].read_bytes()).hexdigest() == before


def test_the_file_is_served_read_only_but_not_immutable(served) -> None:
    _, datasette = served
    database = datasette.get_database("golden")
    assert database.is_mutable  # re-read as the nightly crawl writes it
    response = asyncio.run(
        datasette.client.get("/golden.json?sql=DELETE+FROM+projects&_shape=array")
    )
    assert response.status_code == 400
    assert "Statement must be a SELECT" in response.text


def test_postgresql_is_refused_plainly(capsys) -> None:
    url = "postgresql+psycopg://u:secret@127.0.0.1:1/esfbank"
    assert main(["serve", "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("esfbank serve: error: serve works on SQLite database files")
    assert "secret" not in err


def test_without_datasette_it_says_how_to_install(tmp_path: Path, monkeypatch, capsys) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "datasette" else real(name)
    )
    assert main(["serve", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}"]) == 2
    assert "pip install 'esfbank[serve]'" in capsys.readouterr().err


def test_an_old_database_is_told_to_upgrade(tmp_path: Path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    with schema_change(engine) as conn:
        command.upgrade(alembic_config(conn), "0004_redirected_to")
    engine.dispose()
    for argv in (["serve", "--db", url], ["search", "arbetslösa", "--db", url]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert "has no search index" in err
        assert "run `esfbank db upgrade` first" in err
        assert len(err.splitlines()) == 1
