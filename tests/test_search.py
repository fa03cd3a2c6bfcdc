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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from load import pgsend, search
from load.engine import create_engine, schema_change
from load.migrate import alembic_config, upgrade
from load.search_text import STOP_WORDS, Document, document, parse_query, stem
from load.store import LoadItem, open_store
from load.tsvector import tsvector
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
    """The tsvectors are made in Python (load/tsvector.py) and COPY'd in their binary form: each
    entry must be the one `to_tsvector('swedish', …)` makes of the page's words, as the index
    was written before."""
    url = migrated_db_url("postgresql")
    records = [*(r for r in golden_records() if r.kind == "project"), synthetic_project(1)]
    store = open_store(url)
    store.upsert([LoadItem(record=r) for r in records], store.begin_run("load"))
    made = (
        "SELECT p.source_url, s.document::text,"
        f" ({_TO_TSVECTOR.format(title=':title', body=':body')})::text"
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
    assert checked == entries
    assert checked >= 5
    store.close()


# What the index held before its tsvectors were made in Python.
_TO_TSVECTOR = (
    "setweight(to_tsvector('swedish', {title}), 'A')"
    " || setweight(to_tsvector('swedish', {body}), 'B')"
)
# Words whose stems repeat (arbete, arbetet), numbers and words with digits (`simple` on the
# server), å, ä and ö.
_VOCABULARY = ("arbete", "arbetet", "arbetslös", "öland", "åsa", "läng", "x2", "2014", "covid19")


def _made_and_expected(url: str, pages: list[Document]) -> list[tuple[str, str]]:
    """Each page's tsvector as load/tsvector.py makes it, and as `to_tsvector` does, as text."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TEMPORARY TABLE made (n int, title text, body text, document tsvector)"
            )
            rows = [
                (n, " ".join(page.title), " ".join(page.body), tsvector(page))
                for n, page in enumerate(pages)
            ]
            columns = ("n", "title", "body", "document")
            pgsend.copy(conn, "made", columns, rows, ("int4", "text", "text", "bytea"))
            expected = _TO_TSVECTOR.format(title="title", body="body")
            return [
                (made, made_there)
                for made, made_there in conn.exec_driver_sql(
                    f"SELECT document::text, ({expected})::text FROM made ORDER BY n"
                )
            ]
    finally:
        engine.dispose()


def _page(title: int, body: int, word: str = "arbete") -> Document:
    return document(" ".join([word] * title), [" ".join([word] * body)])


@pytest.mark.postgres
def test_tsvectors_made_in_python_keep_postgresqls_limits(
    migrated_db_url: Callable[[str], str],
) -> None:
    """A lexeme keeps 255 positions in a part and 256 in all, none after the 16,383rd word; the
    body's positions follow the title's largest, which a capped lexeme may leave short of the
    title's length."""
    pages = [
        _page(0, 0),
        _page(1, 0),
        _page(0, 1),
        *(_page(t, b) for t, b in [(254, 3), (255, 1), (256, 0), (300, 1), (0, 256), (0, 300)]),
        *(_page(t, b) for t, b in [(10, 16_400), (16_383, 1), (16_384, 2), (100, 16_300)]),
        document("arbete " * 300 + "öland", ["arbete öland åsa"]),
        document("x2 " * 260, ["2014 " * 20_000]),
    ]
    pairs = _made_and_expected(migrated_db_url("postgresql"), pages)
    assert [made for made, _ in pairs] == [expected for _, expected in pairs]


@pytest.mark.postgres
# The fixture only names the database: nothing of it is reset between examples.
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(_VOCABULARY), max_size=12),
            st.lists(st.sampled_from(_VOCABULARY), max_size=400),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_tsvectors_made_in_python_are_to_tsvectors(
    migrated_db_url: Callable[[str], str], parts: list[tuple[list[str], list[str]]]
) -> None:
    pages = [document(" ".join(title), [" ".join(body)]) for title, body in parts]
    for made, expected in _made_and_expected(migrated_db_url("postgresql"), pages):
        assert made == expected


@pytest.mark.postgres
def test_a_query_s_tsquery_is_what_phraseto_tsquery_makes_of_its_words(
    migrated_db_url: Callable[[str], str],
) -> None:
    """The index and the query are made of the same stems; before, the server made both."""
    engine = create_engine(migrated_db_url("postgresql"))
    try:
        with engine.connect() as conn:
            for text in QUERIES:
                query = parse_query(text)
                phrases = [" ".join(term) for term in query.terms]
                server = " && ".join(
                    f"phraseto_tsquery('swedish', :t{i})" for i in range(len(phrases))
                )
                made, expected = conn.execute(
                    sa.text(f"SELECT CAST(:q AS tsquery)::text, ({server})::text"),
                    {"q": query.tsquery(), **{f"t{i}": p for i, p in enumerate(phrases)}},
                ).one()
                assert made == expected, text
    finally:
        engine.dispose()
