"""Quarantine that heals, on both backends: a parse error is resolved when its page loads
without it, re-opened when it comes back, and only open errors count in the report's gate."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from load import schema as t
from load.gates import Gates
from load.report import build_report
from load.store import LoadItem, Store, open_store
from parsers.records import FieldError, ProjectRecord, Source
from tests.plugins.db import FreshDb, synthetic_project

GATES = Gates(min_count={}, min_fill_rate={}, max_error_rate=0.2)
BAD_DATE = FieldError("start_date", "Startdatum", "31 februari", "expected a date")
BAD_BUDGET = FieldError("total_budget_sek", "Total projektbudget", "en miljon", "expected kronor")


@pytest.fixture
def store(fresh_db: FreshDb) -> Iterator[Store]:
    opened = open_store(fresh_db.url)
    yield opened
    opened.close()


def load(store: Store, *records: ProjectRecord) -> int:
    run = store.begin_run("crawl")
    store.upsert([LoadItem(record=r) for r in records], run)
    return run


def errors(fresh_db: FreshDb) -> dict[str | None, dict[str, Any]]:
    """field → the parse_errors row of that field (None: a page that failed whole)."""
    with fresh_db.engine.connect() as conn:
        rows = conn.execute(sa.select(t.parse_errors)).mappings().all()
    return {row["field"]: dict(row) for row in rows}


def report_figures(fresh_db: FreshDb) -> tuple[int, float | None, bool]:
    with fresh_db.engine.connect() as conn:
        report = build_report(conn, GATES)
    return report.pages_with_errors, report.error_rate, report.passed


def test_an_error_fixed_on_the_page_is_resolved_and_leaves_the_error_rate(
    store: Store, fresh_db: FreshDb
) -> None:
    clean = [synthetic_project(i) for i in range(1, 4)]
    first = load(store, synthetic_project(0, errors=(BAD_DATE,)), *clean)
    assert errors(fresh_db)["start_date"]["resolved_at"] is None
    assert report_figures(fresh_db) == (1, 0.25, False)

    second = load(store, synthetic_project(0), *clean)

    error = errors(fresh_db)["start_date"]
    assert error["resolved_at"] is not None
    assert (error["run_id"], error["resolved_run_id"]) == (first, second)
    assert report_figures(fresh_db) == (0, 0.0, True)


def test_only_the_fixed_one_of_two_errors_is_resolved(store: Store, fresh_db: FreshDb) -> None:
    load(store, synthetic_project(0, errors=(BAD_DATE, BAD_BUDGET)))
    second = load(store, synthetic_project(0, errors=(BAD_BUDGET,)))
    found = errors(fresh_db)
    assert found["start_date"]["resolved_run_id"] == second
    assert found["total_budget_sek"]["resolved_at"] is None
    assert report_figures(fresh_db)[:2] == (1, 1.0)


def test_an_error_that_comes_back_is_open_again(store: Store, fresh_db: FreshDb) -> None:
    load(store, synthetic_project(0, errors=(BAD_DATE,)))
    load(store, synthetic_project(0))
    load(store, synthetic_project(0, errors=(BAD_DATE,)))
    error = errors(fresh_db)["start_date"]
    assert (error["resolved_at"], error["resolved_run_id"]) == (None, None)
    assert len(errors(fresh_db)) == 1  # still kept once
    assert report_figures(fresh_db)[:2] == (1, 1.0)


def test_a_page_that_failed_whole_is_resolved_when_it_loads(
    store: Store, fresh_db: FreshDb
) -> None:
    page = synthetic_project(0)
    run = store.begin_run("crawl")
    store.quarantine(run, url=page.source.url, message="timeout")
    assert report_figures(fresh_db)[:2] == (1, 1.0)
    second = load(store, page)
    assert errors(fresh_db)[None]["resolved_run_id"] == second
    assert report_figures(fresh_db)[:2] == (0, 0.0)


def test_a_record_that_breaks_a_rule_is_resolved_once_it_keeps_it(
    store: Store, fresh_db: FreshDb
) -> None:
    load(store, synthetic_project(0, granted_esf_sek=-5))
    assert errors(fresh_db)["granted_esf_sek"]["resolved_at"] is None
    load(store, synthetic_project(0))
    assert errors(fresh_db)["granted_esf_sek"]["resolved_at"] is not None


def test_files_without_a_url_are_matched_by_path_and_other_pages_are_untouched(
    store: Store, fresh_db: FreshDb
) -> None:
    from_disk = synthetic_project(0, source=Source(path="pages/a.txt"), errors=(BAD_DATE,))
    load(store, from_disk, synthetic_project(1, errors=(BAD_BUDGET,)))
    load(store, synthetic_project(0, source=Source(path="pages/a.txt")), synthetic_project(2))
    found = errors(fresh_db)
    assert found["start_date"]["resolved_at"] is not None
    assert found["total_budget_sek"]["resolved_at"] is None  # its page was not loaded again
