"""Search on the golden pages, on both backends: inflections, phrases, a changed page's old
text, removed pages, and the same hits on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from load import search
from load.engine import create_engine, schema_change
from load.migrate import alembic_config, upgrade
from load.search_text import STOP_WORDS, document, parse_query, stem
from load.store import LoadItem, open_store
from tests.plugins.db import BACKENDS, FreshDb, synthetic_project
from tests.research_db import FixtureDb, golden_records, load_fixture_db

# Queries over the golden pages, each with the pages it must find (project number, or title).
EXPECTED = {
    # arbetslösheten, arbetslöshet, arbetslösa: one stem
    "arbetslös": {"2018/00566", "2015/00439", "Startelvan", "22-044-S07", "22-018-S01"},
    '"utrikes födda kvinnor"': {"22-044-S07", "2018/00566"},
}
# Compared between the backends (no expectations of their own).
QUERIES = (
    "arbetslös",
    "arbetslösa",
    "kvinna",
    "ungdomar",
    "sjuksköterska",
    '"utrikes födda kvinnor"',
    '"kvinnor födda utrikes"',
    "ungdomar arbetsmarknaden",
    '"socialt utanförskap"',
    "Malmö",
    "Landskrona",
    "kompetensutveckling",
    "äldreomsorgen",
    "deltagare",
    "ESF-rådet",
    "2018",
)


@pytest.fixture
def loaded(fresh_db: FreshDb) -> FixtureDb:
    return load_fixture_db(fresh_db.url)


def _found(engine: sa.Engine, text: str, **options: Any) -> set[str]:
    with engine.connect() as conn:
        hits = search.search(conn, parse_query(text), limit=1000, **options)
    return {h.project_number or h.title or "" for h in hits}


def test_an_inflected_word_finds_its_other_forms(fresh_db: FreshDb, loaded: FixtureDb) -> None:
    found = _found(fresh_db.engine, "arbetslösa")
    assert EXPECTED["arbetslös"] <= found
    assert found == _found(fresh_db.engine, "arbetslös")


def test_a_phrase_needs_its_words_in_order(fresh_db: FreshDb, loaded: FixtureDb) -> None:
    assert _found(fresh_db.engine, '"utrikes födda kvinnor"') == EXPECTED['"utrikes födda kvinnor"']
    assert _found(fresh_db.engine, '"kvinnor födda utrikes"') == set()
    assert len(_found(fresh_db.engine, "kvinnor födda utrikes")) >= 2


def test_several_words_mean_all_of_them(fresh_db: FreshDb, loaded: FixtureDb) -> None:
    both = _found(fresh_db.engine, "arbetslös ungdomar")
    assert both
    assert both <= _found(fresh_db.engine, "arbetslös") & _found(fresh_db.engine, "ungdomar")
    assert both != _found(fresh_db.engine, "ungdomar")


def test_news_are_found_and_kind_and_period_narrow(fresh_db: FreshDb, loaded: FixtureDb) -> None:
    with fresh_db.engine.connect() as conn:
        everything = search.search(conn, parse_query("kvinnor"), limit=100)
        news = search.search(conn, parse_query("kvinnor"), limit=100, kind="news")
        period = search.search(conn, parse_query("kvinnor"), limit=100, period="2021-2027")
    assert {h.kind for h in everything} == {"project", "news"}
    assert news
    assert {h.kind for h in news} == {"news"}
    assert period
    assert {h.programme_period for h in period} == {"2021-2027"}
    assert [h.rank for h in everything] == list(range(1, len(everything) + 1))


def test_a_removed_page_is_not_found(fresh_db: FreshDb, loaded: FixtureDb) -> None:
    with fresh_db.engine.connect() as conn:
        removed = conn.execute(
            sa.text("SELECT title FROM projects WHERE removed_at IS NOT NULL")
        ).scalar_one()
        hits = search.search(conn, parse_query(f'"{removed}"'), limit=100)
    assert removed not in {h.title for h in hits}


def test_a_changed_page_stops_matching_its_old_words(fresh_db: FreshDb) -> None:
    before = synthetic_project(1, sections={"Syfte": "Fler sjuksköterskor i Malmö."})
    after = dataclasses.replace(before, sections={"Syfte": "Fler undersköterskor i Lund."})
    store = open_store(fresh_db.url, upgrade=False)
    try:
        store.upsert([LoadItem(record=before)], store.begin_run("load"))
        assert _found(fresh_db.engine, "sjuksköterska") == {"2019/00001"}
        store.upsert([LoadItem(record=after)], store.begin_run("load"))
    finally:
        store.close()
    assert _found(fresh_db.engine, "sjuksköterska") == set()
    assert _found(fresh_db.engine, "Malmö") == set()
    assert _found(fresh_db.engine, "undersköterska Lund") == {"2019/00001"}
    with fresh_db.engine.connect() as conn:
        count = conn.execute(sa.text("SELECT COUNT(*) FROM search_projects")).scalar_one()
    assert count == 1


def test_an_unchanged_reload_leaves_the_index_alone(fresh_db: FreshDb, loaded: FixtureDb) -> None:
    def index_rows() -> list[Any]:
        with fresh_db.engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT * FROM search_projects ORDER BY 1")))

    before = index_rows()
    records = golden_records()
    store = open_store(fresh_db.url, upgrade=False)
    try:
        counts = store.upsert([LoadItem(record=r) for r in records], store.begin_run("load"))
    finally:
        store.close()
    assert counts.new == 0
    assert index_rows() == before


@pytest.mark.postgres
def test_the_same_query_finds_the_same_pages_on_both_backends(
    migrated_db_url: Callable[[str], str],
) -> None:
    engines = {}
    for backend in ("sqlite", "postgresql"):
        url = migrated_db_url(backend)
        load_fixture_db(url)
        engines[backend] = create_engine(url)
    try:
        for text in QUERIES:
            on_sqlite = _found(engines["sqlite"], text)
            assert on_sqlite == _found(engines["postgresql"], text), text
            if text in EXPECTED:
                assert EXPECTED[text] <= on_sqlite
    finally:
        for engine in engines.values():
            engine.dispose()


@pytest.mark.postgres
def test_python_stems_and_stop_words_are_postgresqls(
    migrated_db_url: Callable[[str], str],
) -> None:
    """Every word of the golden pages stems alike in snowballstemmer and PostgreSQL's swedish
    configuration, and the stop words are the server's."""
    vocabulary: set[str] = set(STOP_WORDS)
    for record in golden_records():
        texts = [getattr(record, name, None) for name in ("title", "owner", "body")]
        texts += list(getattr(record, "sections", {}).values())
        for text in texts:
            vocabulary.update(w.lower() for w in _all_words(text))
    engine = create_engine(migrated_db_url("postgresql"))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT w, ts_lexize('swedish_stem', w) FROM unnest(CAST(:w AS text[])) AS w"
                ),
                {"w": sorted(vocabulary)},
            ).all()
    finally:
        engine.dispose()
    server_stops = {w for w, lexemes in rows if lexemes == []}
    assert server_stops == STOP_WORDS
    differing = {
        w: (stem(w), lexemes[0]) for w, lexemes in rows if lexemes and stem(w) != lexemes[0]
    }
    digits = {w for w in differing if any(c.isdigit() for c in w)}  # `simple` on the server
    assert {w: v for w, v in differing.items() if w not in digits} == {}
    assert len(rows) > 2000


def _all_words(text: str | None) -> list[str]:
    """Every word, stop words too (words() drops them)."""
    return re.findall(r"[^\W_]+", text or "")


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_migration_indexes_the_pages_already_loaded(
    backend: str, migrated_db_url: Callable[[str], str]
) -> None:
    url = migrated_db_url(backend)
    load_fixture_db(url)
    engine = create_engine(url)
    try:
        expected = {text: _found(engine, text) for text in QUERIES}
        with schema_change(engine) as conn:
            command.downgrade(alembic_config(conn), "0004_redirected_to")
        with engine.connect() as conn:
            assert not search.has_index(conn)
        upgrade(engine)
        assert {text: _found(engine, text) for text in QUERIES} == expected
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgresql_s_index_is_what_to_tsvector_makes_of_the_pages_words(
    migrated_db_url: Callable[[str], str],
) -> None:
    """The tsvectors are made on a second connection and COPY'd in their binary form: each
    entry must be the one `to_tsvector('swedish', …)` makes of the page's words on the load's
    own connection, as the index was written before; the second connection goes back to the
    pool as it came (not in autocommit)."""
    url = migrated_db_url("postgresql")
    records = [*(r for r in golden_records() if r.kind == "project"), synthetic_project(1)]
    store = open_store(url)
    store.upsert([LoadItem(record=r) for r in records], store.begin_run("load"))
    made = (
        "SELECT p.source_url, s.document::text,"
        " (setweight(to_tsvector('swedish', :title), 'A')"
        " || setweight(to_tsvector('swedish', :body), 'B'))::text"
        " FROM search_projects s JOIN projects p ON p.id = s.project_id"
        " WHERE p.source_url = :url"
    )
    checked = 0
    with store.engine.connect() as conn:
        stored = set(conn.execute(sa.text("SELECT source_url FROM projects")).scalars())
        for record in records:
            if record.source.url not in stored:
                continue  # quarantined
            title, *texts = search.page_texts(record)
            words = document(title, texts)
            params = {
                "title": " ".join(words.title),
                "body": " ".join(words.body),
                "url": record.source.url,
            }
            url, document_made, expected = conn.execute(sa.text(made), params).one()
            assert (url, document_made) == (record.source.url, expected)
            checked += 1
        entries = conn.execute(sa.text("SELECT count(*) FROM search_projects")).scalar_one()
        autocommit = conn.connection.driver_connection.autocommit  # type: ignore[union-attr]
    assert (checked, autocommit) == (entries, False)
    assert checked >= 5
    store.close()
