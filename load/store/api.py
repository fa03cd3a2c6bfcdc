"""The `Store`: opens the database, holds the writer and the clock, and puts the parts
together, one transaction per call or batch (see the package docstring for its use)."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import overload

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from load import migrate, pgsend, search
from load import schema as t
from load.engine import (
    DatabaseUnavailableError,
    check_connection,
    check_writable,
    create_engine,
    describe,
    lock_writers,
    writer,
)
from load.store import children, plan, quarantine, removals, runs, upserts
from load.store import urls as url_state  # not `urls`: the methods' parameter
from load.store.items import (
    POSTGRES_FIRST_BATCH_SHARE,
    POSTGRES_SWITCH_INTERVAL,
    POSTGRES_UPSERT_BATCH,
    UPSERT_BATCH,
    LoadItem,
    Redirect,
    RunCounts,
    UpsertCounts,
    UrlState,
)
from load.store.runs import STALE_RUN_AFTER
from load.store.sql import db_message, started_small, tapered
from load.threads import Pending, Worker


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class _CollectorPaused:
    """Python's cyclic garbage collector paused for a load's own work. A batch makes some
    hundred thousand short-lived objects (rows, tuples, strings) that reference counting
    frees, none in cycles; they set off the collector's passes, an eighth of a first load's CPU
    time (bench_upsert), and its full passes over everything the process holds (160 ms over a
    caller's 10,000 records) fell between batches, while PostgreSQL waited. The young
    generations are collected while the database stores a batch (`collect_young`), so a cycle
    made meanwhile waits one batch at most. The caller's code that makes the items (a parser, in
    a one-process reparse) runs with the collector as the caller had it (`take`), and so does
    everything after the load. A collector someone else paused is theirs: left alone."""

    def __init__(self) -> None:
        self._paused = False

    def __enter__(self) -> _CollectorPaused:
        self._paused = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._paused:
            gc.enable()

    def collect_young(self) -> None:
        if self._paused:
            gc.collect(1)

    def take(self, batches: Iterator[list[LoadItem]]) -> list[LoadItem] | None:
        """The next batch of the caller's items (None: no more), made as the caller runs."""
        if self._paused:
            gc.enable()
        try:
            return next(batches, None)
        finally:
            if self._paused:
                gc.disable()


@dataclass(frozen=True, slots=True)
class _Planned:
    """A batch's items, the time it is written at, and its plan."""

    items: Sequence[LoadItem]
    now: dt.datetime
    batch: plan.Plan


def _planned(planning: plan.Planning, now: dt.datetime, made: plan.Plan | None = None) -> _Planned:
    """The batch `planning` plans, written at `now`, with its plan: `made`, or made now."""
    return _Planned(planning.items, now, made if made is not None else planning.finish(now))


class Store:
    """A migrated database, opened. Not thread-safe; one per process or thread."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], dt.datetime] = _utcnow,
        stale_after: dt.timedelta = STALE_RUN_AFTER,
    ) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self._postgres = engine.dialect.name == "postgresql"
        self._batch_size = POSTGRES_UPSERT_BATCH if self._postgres else UPSERT_BATCH
        self._clock = clock
        self._stale_after = stale_after
        self._vectors: search.Vectors | None = None  # during a PostgreSQL load
        with engine.connect() as conn:
            regions = conn.execute(sa.select(t.regions.c.name, t.regions.c.nuts2))
            self._regions: dict[str, str | None] = dict(regions.all())
            self._kommunkod = children.Kommunkoder.load(conn)

    # -- runs -------------------------------------------------------------------------------

    def begin_run(self, kind: str) -> int:
        """Start a crawl run (`crawl`, `backfill`, `load`, `reparse`, ...); returns its id.

        Runs of any machine still `running` with no progress for longer than `stale_after`
        are closed first as `interrupted`, finished at their last progress."""
        now = self._clock()
        with self._writer.begin() as conn:
            lock_writers(conn)
            return runs.begin(conn, kind, now, self._stale_after)

    def finish_run(self, run_id: int, status: str, counts: RunCounts) -> None:
        """Close a run with its status (`ok`, `failed`, `interrupted`) and counts, and bring
        the links to other sources (project_links) in line with what the run left."""
        now = self._clock()
        with self._writer.begin() as conn:
            lock_writers(conn)
            runs.finish(conn, run_id, status, counts, now)

    def abandon_run(self, run_id: int, stopped_by: BaseException) -> None:
        """Close a run that an error (`failed`) or Ctrl-C (`interrupted`) stopped, if the
        database still takes the write; if not (it is what failed), the run stays `running`
        until a later run closes it as `interrupted`, and the error that stopped it is what
        the caller reports."""
        status = "failed" if isinstance(stopped_by, Exception) else "interrupted"
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            self.finish_run(run_id, status, RunCounts())

    # -- loading ----------------------------------------------------------------------------

    def upsert(
        self,
        items: Iterable[LoadItem],
        run_id: int,
        *,
        batch_size: int | None = None,
        expected: int | None = None,
    ) -> UpsertCounts:
        """Load projects and news, one transaction per batch (of `batch_size` records, by
        default UPSERT_BATCH, or POSTGRES_UPSERT_BATCH on PostgreSQL, where the first batch of
        items at hand is a POSTGRES_FIRST_BATCH_SHARE of that); calls/listings/other and
        unchanged records only update url_state; records breaking a rule go to parse_errors.

        A database error on a batch (a constraint the validation did not foresee) retries it
        in halves, down to single records, so only the offending record is quarantined.

        Items at hand (a list, the crawl's): each batch after the first is planned (validated,
        hashed, its rows made) by a second thread while the database stores the last statement
        of the one before (which PostgreSQL sends ahead) and commits it. Items that parse
        workers are still making, about `expected` of them (reparse, load): each batch is
        written as soon as its items are in, in batches that shrink towards the end (`tapered`),
        so that when the workers are done this process has little left to write alone while a
        core idles.
        """
        size = batch_size or self._batch_size
        with _CollectorPaused() as collector, self._making_vectors():
            if expected is not None:
                return self._upsert_as_parsed(tapered(items, size, expected), run_id, collector)
            small = self._postgres and batch_size is None
            first = size // POSTGRES_FIRST_BATCH_SHARE if small else size
            return self._upsert_at_hand(started_small(items, size, first), run_id, collector)

    @contextlib.contextmanager
    def _making_vectors(self) -> Iterator[None]:
        """PostgreSQL: the tsvectors of the pages a load writes are made beside it, in a thread
        of their own (`search.Vectors`), for the length of the load.

        Meanwhile threads hand the GIL over every POSTGRES_SWITCH_INTERVAL: a thread whose
        answer came from the server waits for the thread holding the GIL to let go, by default
        after 5 ms, and a batch waits for a dozen answers while the tsvector and planner threads
        run. Paired runs of 10,000-record first loads: 0.727 -> 0.654 s (8 of 10 faster),
        0.725 -> 0.729 s (8 of 12), with real pages' text 2.613 -> 2.471 s (4 of 5); no gain on
        SQLite, which waits on no server."""
        if self.engine.dialect.name != "postgresql":
            yield
            return
        self._vectors = search.Vectors()
        interval = sys.getswitchinterval()
        sys.setswitchinterval(POSTGRES_SWITCH_INTERVAL)
        try:
            yield
        finally:
            sys.setswitchinterval(interval)
            self._vectors.close()
            self._vectors = None

    def _upsert_at_hand(
        self, batches: Iterator[list[LoadItem]], run_id: int, collector: _CollectorPaused
    ) -> UpsertCounts:
        total = UpsertCounts()
        planning = self._planning(collector.take(batches), run_id)
        planned = None if planning is None else _planned(planning, self._clock())
        planner = Worker()
        try:
            while planned is not None:
                # The next batch's items are taken before the transaction (a parser or crawler
                # slow to give them does not hold it open). Its plan is made while this batch
                # is written: on PostgreSQL a step at a time whenever the writer would wait
                # for the server (load/pgsend.py `while_waiting`). Its time is read once the
                # last statement is sent, in the transaction, and what is left of its plan (on
                # SQLite, all of it) is made by the planner thread while the database stores
                # that statement and commits (sqlite3 and psycopg wait with the GIL released),
                # or here when the batch failed before that.
                following = self._planning(collector.take(batches), run_id)
                ahead: list[tuple[dt.datetime, Pending[plan.Plan]]] = []

                def meanwhile(
                    following: plan.Planning | None = following,
                    ahead: list[tuple[dt.datetime, Pending[plan.Plan]]] = ahead,
                ) -> None:
                    collector.collect_young()
                    if following is not None:
                        now = self._clock()  # read in this thread, as every other time
                        ahead.append((now, planner.submit(following.finish, now)))

                total.add(
                    self._upsert_batch(planned, run_id, meanwhile=meanwhile, planning=following)
                )
                if following is None:
                    break
                if ahead:
                    now, made = ahead[0]
                    planned = _planned(following, now, made.result())
                else:
                    planned = _planned(following, self._clock())
        finally:
            planner.close()
        return total

    def _upsert_as_parsed(
        self, batches: Iterator[list[LoadItem]], run_id: int, collector: _CollectorPaused
    ) -> UpsertCounts:
        total = UpsertCounts()
        while (batch := collector.take(batches)) is not None:
            planned = self._plan(batch, run_id)
            total.add(self._upsert_batch(planned, run_id, meanwhile=collector.collect_young))
        return total

    @overload
    def _planning(self, items: Sequence[LoadItem], run_id: int) -> plan.Planning: ...
    @overload
    def _planning(self, items: None, run_id: int) -> None: ...
    def _planning(self, items: Sequence[LoadItem] | None, run_id: int) -> plan.Planning | None:
        """The batch's plan to make (None: no batch)."""
        if items is None:
            return None
        return plan.Planning(items, run_id, self._regions, jsonb_order=self._postgres)

    def _plan(self, items: Sequence[LoadItem], run_id: int) -> _Planned:
        """The batch's plan, made now, at the time it is now."""
        return _planned(self._planning(items, run_id), self._clock())

    def _upsert_batch(
        self,
        planned: _Planned,
        run_id: int,
        *,
        meanwhile: Callable[[], object] | None = None,
        planning: plan.Planning | None = None,
    ) -> UpsertCounts:
        """Write the planned batch; `meanwhile` and `planning` as `_write` takes them."""
        items, now = planned.items, planned.now
        try:
            with self._writer.begin() as conn:
                lock_writers(conn)
                self._write(
                    conn, planned.batch, run_id, now, meanwhile=meanwhile, planning=planning
                )
        except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
            if len(items) > 1:  # halve until the offending record stands alone
                middle = len(items) // 2
                counts = self._upsert_batch(self._plan(items[:middle], run_id), run_id)
                counts.add(self._upsert_batch(self._plan(items[middle:], run_id), run_id))
                return counts
            refused = plan.refused(items[0], run_id, now, db_message(exc))
            with self._writer.begin() as conn:
                lock_writers(conn)
                self._write(conn, refused, run_id, now)
            return refused.counts
        return planned.batch.counts

    def _write(
        self,
        conn: Connection,
        batch: plan.Plan,
        run_id: int,
        now: dt.datetime,
        *,
        meanwhile: Callable[[], object] | None = None,
        planning: plan.Planning | None = None,
    ) -> None:
        """Write the batch; `planning` (the next batch's) is stepped whenever the writer waits
        for PostgreSQL, and `meanwhile` runs while the database stores the last statement.

        The order keeps PostgreSQL busy (load/pgsend.py sends a bulk statement and goes on):
        first the small statements whose results are waited for, then the writes, each
        sent while the rows of the next are made; the search index goes last. On PostgreSQL
        its tsvectors are made meanwhile by a thread of their own (`search.Vectors`), from
        the moment the batch knows which of its pages it writes."""
        waits: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
        if planning is not None:
            waits = pgsend.while_waiting(conn, functools.partial(self._plan_step, planning))
        with waits:
            self._write_statements(conn, batch, run_id, now)
        if meanwhile is not None:
            meanwhile()

    def _plan_step(self, planning: plan.Planning) -> bool | None:
        """A step of the next batch's plan, for a wait of the writer (`pgsend.while_waiting`);
        none while this batch's tsvectors are still being made: its last statement waits for
        them, and the two threads share the GIL."""
        if self._vectors is not None and self._vectors.busy():
            return None
        return planning.step()

    def _write_statements(
        self, conn: Connection, batch: plan.Plan, run_id: int, now: dt.datetime
    ) -> None:
        quarantine.resolve_errors(conn, batch.urls, batch.paths, run_id, now)
        quarantine.record_errors(conn, list(batch.error_rows.values()))
        runs.progress(conn, run_id, now)
        stored = url_state.stored_urls(conn, batch.pages)
        sorted_projects = upserts.sort_projects(conn, batch)
        sorted_news = upserts.sort_news(conn, batch)
        project_vectors = news_vectors = None
        if self._vectors is not None:
            project_vectors = self._vectors.start(upserts.to_write(sorted_projects))
            news_vectors = self._vectors.start(upserts.to_write(sorted_news))
        projects = upserts.write_projects(conn, sorted_projects, run_id, now, self._kommunkod)
        news = upserts.write_news(conn, sorted_news, now)
        url_state.write_items(conn, url_state.item_rows(plan.pages(batch), run_id, now), stored)
        search.index(conn, "project", projects.pages, projects.replaced, project_vectors)
        search.index(conn, "news", news.pages, news.replaced, news_vectors)

    # -- URL bookkeeping --------------------------------------------------------------------

    def url_states(self, urls: Iterable[str]) -> Mapping[str, UrlState]:
        """The stored state of these URLs (absent ones are left out), for conditional requests."""
        with self.engine.connect() as conn:
            return url_state.url_states(conn, urls)

    def record_redirects(self, redirects: Iterable[Redirect], run_id: int) -> None:
        """Write the url_state of URLs whose fetch ended at another URL, in one transaction: the
        target, the time, the first redirect's status; not removed; no validators, hash, archive
        pointer or record of their own (a URL that stops redirecting gets them back, and
        `redirected_to` NULL, when its own page is next loaded)."""
        now = self._clock()
        rows = url_state.redirect_rows(redirects, run_id, now)
        if not rows:
            return
        with self._writer.begin() as conn:
            lock_writers(conn)
            url_state.write_redirects(conn, rows)
            runs.progress(conn, run_id, now)

    def live_urls(self, *, containing: str | None = None) -> list[str]:
        """Every URL of the live site url_state holds that is not flagged removed (pages taken
        from the Internet Archive are history, not live): after a complete run, those no
        discovery source listed any more are the ones to `mark_removed`. `containing` keeps
        the URLs with that text in them (case-insensitively), like `?dnr=`."""
        with self.engine.connect() as conn:
            return removals.live_urls(conn, containing)

    def live_families(self) -> dict[str, int]:
        """How many live URLs each page family has: a project's programme period, `news`, or
        `other` (listings, calls, redirects). The mass-removal guard's denominators."""
        with self.engine.connect() as conn:
            return removals.live_families(conn)

    def removal_families(self, urls: Iterable[str]) -> dict[str, str]:
        """URL → page family of those among `urls` that `mark_removed` would flag now (live,
        from the site): what the mass-removal guard counts before anything is flagged."""
        with self.engine.connect() as conn:
            return removals.removal_families(conn, urls)

    def touch_seen(
        self,
        urls: Iterable[str],
        run_id: int,
        *,
        not_modified: Mapping[str, str | None] | None = None,
    ) -> None:
        """Mark URLs seen without a download (sitemap lastmod unchanged, 304): they are not
        removed, and what they carry comes back if it had been flagged removed.

        `not_modified` maps the URLs just answered 304 to the sitemap lastmod they were listed
        with: it is stored, so a page whose lastmod moved while its content did not is not
        asked again each night."""
        now = self._clock()
        with self._writer.begin() as conn:
            lock_writers(conn)
            runs.progress(conn, run_id, now)
            url_state.touch_seen(conn, urls, run_id, now, not_modified)

    def mark_removed(self, urls: Iterable[str], run_id: int) -> int:
        """Flag URLs removed (never deleted), and the projects/news they carry once none of
        their URLs is still live. Returns how many URLs were newly flagged. A page taken from
        the Internet Archive is history and is never flagged (the live site's 404 for it says
        nothing about it)."""
        now = self._clock()
        with self._writer.begin() as conn:
            lock_writers(conn)
            runs.progress(conn, run_id, now)
            return removals.mark_removed(conn, urls, run_id, now)

    def quarantine(
        self,
        run_id: int,
        *,
        message: str,
        url: str | None = None,
        path: str | None = None,
        archive_key: str | None = None,
    ) -> None:
        """Record a page that failed before it became a record (fetch error, parser crash)."""
        now = self._clock()
        row = quarantine.page_row(
            run_id, now, message=message, url=url, path=path, archive_key=archive_key
        )
        with self._writer.begin() as conn:
            quarantine.record_errors(conn, [row])
            runs.progress(conn, run_id, now)

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()


def open_store(
    url: str,
    *,
    upgrade: bool = True,
    clock: Callable[[], dt.datetime] = _utcnow,
    stale_after: dt.timedelta = STALE_RUN_AFTER,
) -> Store:
    """Open the database at `url` for writing, migrated to the latest revision unless
    `upgrade` is False.

    Raises DatabaseUnavailableError (one line, naming the URL without its password) when the
    URL is malformed, the server or file cannot be reached, the schema is not there, or the
    database is read-only (a `mode=ro` URI, a read-only file, a PostgreSQL standby).
    """
    engine = create_engine(url)
    check_connection(engine)
    try:
        if upgrade:
            if not migrate.is_at_head(engine):
                migrate.upgrade(engine)
        elif migrate.current_revision(engine) is None:
            raise DatabaseUnavailableError(
                f"database {describe(url)} has no schema: run `esfbank db upgrade` first"
            )
        check_writable(engine)
        return Store(engine, clock=clock, stale_after=stale_after)
    except DatabaseUnavailableError:
        engine.dispose()
        raise
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        raise DatabaseUnavailableError(f"database {describe(url)}: {db_message(exc)}") from None
