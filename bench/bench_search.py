"""Search latency over 50,000 synthetic projects on SQLite and PostgreSQL, and the index's size.

The projects' titles and sections are drawn (seeded, Zipf-like) from the words of the golden
pages, so words are as common or rare as on esf.se. Each query (a rare, a middling and a common
word, an inflected form, two words, a phrase) runs through `load.search.search` with the CLI's
default limit of 20, snippets included; median and 95th percentile over all runs. Target:
median ≤ 50 ms on each backend.
"""

from __future__ import annotations

import random
import re
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from load import search
from load.engine import create_engine
from load.pgserver import PostgresServer, PostgresUnavailableError
from load.search_text import STOP_WORDS, parse_query
from load.store import LoadItem, open_store
from parsers.records import ProjectRecord
from tests.plugins.db import synthetic_project
from tests.research_db import golden_records

PROJECTS = 50_000
RUNS = 10
TARGET_MS = 50.0
_WORD = re.compile(r"[^\W\d_]{3,}")


def _vocabulary() -> list[str]:
    """The golden pages' words, most common first."""
    seen = Counter[str]()
    for record in golden_records():
        texts = [getattr(record, name, None) for name in ("title", "body")]
        texts += list(getattr(record, "sections", {}).values())
        for text in texts:
            seen.update(w.lower() for w in _WORD.findall(text or ""))
    return [w for w, _ in seen.most_common()]


def _text(rng: random.Random, vocabulary: list[str], weights: list[float], n: int) -> str:
    return " ".join(rng.choices(vocabulary, weights, k=n)).capitalize() + "."


def _items(vocabulary: list[str]) -> list[LoadItem]:
    rng = random.Random(14)
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    return [
        LoadItem(
            record=synthetic_project(
                i,
                title=_text(rng, vocabulary, weights, 4),
                sections={
                    "Sammanfattning": _text(rng, vocabulary, weights, 90),
                    "Syfte": _text(rng, vocabulary, weights, 40),
                },
            )
        )
        for i in range(PROJECTS)
    ]


def _queries(vocabulary: list[str], items: list[LoadItem]) -> list[str]:
    content = [w for w in vocabulary if w not in STOP_WORDS and len(w) > 4]
    record = items[123].record
    assert isinstance(record, ProjectRecord)
    sample = record.sections["Syfte"].lower().rstrip(".").split()
    return [
        content[1500],  # rare
        content[300],  # middling
        content[10],  # common
        "arbetslösa",  # an inflection: finds arbetslöshet, arbetslösheten, ...
        f"{content[50]} {content[80]}",
        f'"{sample[10]} {sample[11]}"',
    ]


def _sizes(engine: sa.Engine) -> tuple[int, int]:
    """Bytes of the search index (both tables) and of the projects table with its indexes."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            index, table = (
                conn.execute(
                    sa.text(f"SELECT {' + '.join(f'pg_total_relation_size({t!r})' for t in names)}")
                ).scalar_one()
                for names in (("search_projects", "search_news"), ("projects",))
            )
        else:
            index = conn.execute(
                sa.text("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'search\\_%' ESCAPE '\\'")
            ).scalar_one()
            table = conn.execute(
                sa.text(
                    "SELECT SUM(pgsize) FROM dbstat WHERE name = 'projects' OR name IN "
                    "(SELECT name FROM sqlite_master WHERE tbl_name = 'projects')"
                )
            ).scalar_one()
    return int(index), int(table)


def measure(backend: str, url: str, items: list[LoadItem], queries: list[str]) -> None:
    store = open_store(url)
    start = time.perf_counter()
    store.upsert(items, store.begin_run("bench"))
    load = time.perf_counter() - start
    store.close()
    engine = create_engine(url)
    timings: list[float] = []
    hits: dict[str, int] = {}
    with engine.connect() as conn:
        if backend == "postgresql":
            conn.exec_driver_sql("ANALYZE")
        for text in queries:
            query = parse_query(text)
            with_all = search.search(conn, query, limit=PROJECTS)
            hits[text] = len(with_all)
            for _ in range(RUNS):
                begin = time.perf_counter()
                search.search(conn, query, limit=20)
                timings.append((time.perf_counter() - begin) * 1000)
    index, table = _sizes(engine)
    engine.dispose()
    median = statistics.median(timings)
    p95 = statistics.quantiles(timings, n=20)[-1]
    verdict = "met" if median <= TARGET_MS else "MISSED"
    print(f"{backend:10} loaded {len(items):,} projects in {load:.1f} s (indexing included)")
    print(
        f"{backend:10} search latency over {len(timings)} runs: median {median:.1f} ms, "
        f"p95 {p95:.1f} ms  (target median ≤ {TARGET_MS:.0f} ms: {verdict})"
    )
    print(
        f"{backend:10} index {index / 2**20:.1f} MiB beside the projects table's "
        f"{table / 2**20:.1f} MiB ({index / table:.0%})"
    )
    print(f"{backend:10} hits per query: " + ", ".join(f"{q} {n}" for q, n in hits.items()))


def main() -> None:
    vocabulary = _vocabulary()
    items = _items(vocabulary)
    queries = _queries(vocabulary, items)
    with tempfile.TemporaryDirectory() as folder:
        measure("sqlite", f"sqlite:///{Path(folder) / 'bench.sqlite'}", items, queries)
    try:
        with PostgresServer() as server:
            measure("postgresql", server.url, items, queries)
    except PostgresUnavailableError as exc:
        print(f"postgresql skipped: {exc}")


if __name__ == "__main__":
    main()
