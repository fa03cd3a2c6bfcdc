"""A good record is never overwritten by a page the site served wrong (deep markup, a bad byte,
a wrong charset): through `esfbank load` and through the crawl pipeline, on both backends. The
page reads as the same record, or it is not loaded and its error is quarantined."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
import sqlalchemy as sa

from crawler.context import CrawlContext, CrawlOptions
from crawler.pipelines import ArchiveParseLoadPipeline
from crawler.settings import crawl_settings
from esfbank.cli import main
from load import schema as t
from load.archive import Archive
from load.store import Store
from tests.hostile_pages import PAGE, PAGE_URL, VARIANTS, Variant, fetched
from tests.plugins.db import BOOKKEEPING_TABLES, FreshDb, table_snapshot

RECORDS = BOOKKEEPING_TABLES | {"parse_errors"}  # what is compared: the records, not the runs


def _errors(db: FreshDb) -> list[tuple[str | None, str | None, str]]:
    pe = t.parse_errors
    with db.engine.connect() as conn:
        query = sa.select(pe.c.source_url, pe.c.source_path, pe.c.message).order_by(pe.c.id)
        return [tuple(row) for row in conn.execute(query)]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_load_keeps_the_good_record(
    fresh_db: FreshDb, tmp_path: Path, capsys: pytest.CaptureFixture[str], variant: Variant
) -> None:
    (tmp_path / "good").mkdir()
    (tmp_path / "served").mkdir()
    good, served = tmp_path / "good" / "page.html", tmp_path / "served" / "page.html"
    good.write_bytes(PAGE)
    served.write_bytes(variant.body)
    assert main(["load", str(good), "--db", fresh_db.url]) == 0
    before = table_snapshot(fresh_db.engine, exclude=RECORDS)
    capsys.readouterr()

    exit_code = main(["load", str(served), "--db", fresh_db.url])
    out, err = capsys.readouterr()
    assert table_snapshot(fresh_db.engine, exclude=RECORDS) == before
    unchanged, not_loaded = (1, 0) if variant.loaded else (0, 1)
    assert (
        f"0 new, 0 changed, {unchanged} unchanged, {not_loaded} not loaded (calls, listings, "
        f"other), 0 quarantined, {int(variant.error is not None)} with parse errors"
    ) in out
    if variant.error is None:
        assert (exit_code, err, _errors(fresh_db)) == (0, "", [])
    else:
        assert exit_code == 1
        assert f"{served}: field page" in err
        [(_, path, message)] = _errors(fresh_db)
        assert path == str(served)
        assert message.startswith(variant.error)


def _crawl_once(store: Store, tmp_path: Path, body: bytes) -> None:
    """One crawl run that fetched PAGE_URL and got `body`, through the real pipeline."""
    run_id = store.begin_run("crawl")
    context = CrawlContext(
        options=CrawlOptions(base_url="https://www.esf.se", mode="full"),
        archive=Archive(tmp_path / "archive"),
        store=store,
        run_id=run_id,
    )
    crawler = SimpleNamespace(
        settings=crawl_settings({}, environ={}), spider=SimpleNamespace(context=context)
    )
    pipeline = ArchiveParseLoadPipeline(cast(Any, crawler))
    pipeline.process_item(fetched(PAGE_URL, body, "text/html"))
    pipeline.close_spider()


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_the_crawl_pipeline_keeps_the_good_record(
    fresh_db: FreshDb, tmp_path: Path, variant: Variant
) -> None:
    store = Store(fresh_db.engine)
    _crawl_once(store, tmp_path, PAGE)
    before = table_snapshot(fresh_db.engine, exclude=RECORDS)

    _crawl_once(store, tmp_path, variant.body)
    assert table_snapshot(fresh_db.engine, exclude=RECORDS) == before
    with fresh_db.engine.connect() as conn:
        carried = conn.execute(
            sa.select(t.url_state.c.project_id).where(t.url_state.c.url == PAGE_URL)
        ).scalar_one()
    assert carried is not None  # the URL still leads to its project
    messages = [message for url, _, message in _errors(fresh_db) if url == PAGE_URL]
    if variant.error is None:
        assert messages == []
    else:
        [message] = messages
        assert message.startswith(variant.error)
