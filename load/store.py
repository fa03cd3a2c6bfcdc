"""The store API: the one door through which the crawler and `esfbank load` write the database.

    store = open_store(url)                 # DatabaseUnavailableError when the URL does not work
    run_id = store.begin_run("crawl")       # also closes runs silent too long as `interrupted`
    counts = store.upsert(items, run_id)     # a LoadItem per fetched/parsed page
    store.touch_seen(urls, run_id)          # skipped because the sitemap lastmod did not change
    store.record_redirects(redirects, run_id)   # URLs whose fetch ended at another URL
    store.removal_families(urls)            # the live ones among URLs, by family (the guard)
    store.mark_removed(urls, run_id)        # 404/410, or no longer listed in a complete run
    store.finish_run(run_id, "ok", RunCounts(...))
    store.close()

Writes happen in one transaction per batch, each of which records the run's progress (so a run
killed mid-way is recognised by its silence); writers serialise (SQLite BEGIN IMMEDIATE,
PostgreSQL transaction advisory lock), so two loaders never fail each other or lose rows.
A record whose content hash is unchanged writes nothing but its URL's url_state row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from load import migrate, search
from load import schema as t
from load.bulk import allocate_ids, insert_rows, insert_tuples, upsert_rows
from load.engine import (
    DatabaseUnavailableError,
    check_connection,
    check_writable,
    create_engine,
    describe,
    lock_writers,
    writer,
)
from load.rows import (
    Prepared,
    changed_fields,
    content_hash,
    content_json,
    prepare,
    project_key,
    url_key,
)
from load.sources import links
from load.validate import Violation, missing_url, project_violations
from parsers.normalisers import NormaliseError
from parsers.records import NewsRecord, ProjectRecord, Record

__all__ = [
    "DatabaseUnavailableError",
    "LoadItem",
    "Redirect",
    "RunCounts",
    "Store",
    "UpsertCounts",
    "UrlState",
    "open_store",
]

_T = TypeVar("_T")
# A running run that wrote nothing for this long was killed (kill -9, a crash, its machine
# gone): the next run closes it as `interrupted`. Batches are written every few seconds.
STALE_RUN_AFTER = dt.timedelta(hours=1)
_IN_CHUNK = 1000  # values per IN (...) list, well under both backends' parameter limits
# url_state columns a fetch may not send (a 304, a page without ETag): the stored value stays.
# An archived page's capture stays with it when `reparse` loads it again.
_KEPT = ("last_fetched_at", "http_status", "etag", "last_modified", "sitemap_lastmod",
         "archive_key", "project_id", "news_id", "capture_url", "captured_at")  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadItem:
    """One parsed page on its way in, with what the fetch knew about it.

    `url` is the page's URL; when None, the record's `source.url` is used. A project with a
    number loads without any URL (its url_state is then not kept); news and numberless 2007
    projects need one. `sitemap_lastmod` is the sitemap's value as given. `capture_url` and
    `captured_at`: the Internet Archive capture a legacy page was loaded from (its `url` is the
    original esf.se address).
    """

    record: Record
    url: str | None = None
    fetched_at: dt.datetime | None = None
    archive_key: str | None = None
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    sitemap_lastmod: str | None = None
    capture_url: str | None = None
    captured_at: dt.datetime | None = None

    @property
    def page_url(self) -> str | None:
        return self.url or self.record.source.url


@dataclass(slots=True)
class UpsertCounts:
    """What one `upsert` call did; `skipped` counts calls/listings/other (url_state only)."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.failed += other.failed
        self.skipped += other.skipped


@dataclass(frozen=True, slots=True, kw_only=True)
class RunCounts:
    """The counts a run reports when it finishes (stored on crawl_runs)."""

    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: int = 0
    removals_withheld: int = 0  # what the mass-removal guard refused to flag
    removal_refusal: str | None = None  # and why


@dataclass(frozen=True, slots=True, kw_only=True)
class UrlState:
    """What the last fetch of a URL left behind: enough for a conditional request."""

    url: str
    kind: str | None
    http_status: int | None
    etag: str | None
    last_modified: str | None
    sitemap_lastmod: str | None
    content_hash: str | None
    archive_key: str | None
    last_fetched_at: dt.datetime | None
    last_seen_at: dt.datetime | None
    removed: bool
    redirected_to: str | None = None
    capture_url: str | None = None  # loaded from this Internet Archive capture: history


@dataclass(frozen=True, slots=True, kw_only=True)
class Redirect:
    """A fetch of `url` that ended at `target` after redirects: `url`'s own url_state row then
    points at the target (whose row holds the validators and the record) and carries nothing.

    `http_status` is the first redirect's status; `sitemap_lastmod` the one `url` was listed
    with (None keeps the stored one, as for a fetched page)."""

    url: str
    target: str
    http_status: int
    fetched_at: dt.datetime | None
    sitemap_lastmod: str | None


@dataclass(slots=True)
class _Unit:
    """A valid project or news record of a batch, keyed; `id` is filled once it is written."""

    item: LoadItem
    prepared: Prepared
    id: int | None = None


@dataclass(slots=True)
class _Plan:
    """A batch sorted out before any write: what to upsert, what to quarantine, what to skip."""

    projects: dict[str, _Unit] = field(default_factory=dict)
    news: dict[str, _Unit] = field(default_factory=dict)
    url_rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    url_units: dict[str, tuple[str, str]] = field(default_factory=dict)  # url → (column, key)
    error_rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Where the batch's pages came from: URLs, and files for records without one. Their open
    # parse errors that the batch does not raise again are resolved.
    urls: set[str] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    counts: UpsertCounts = field(default_factory=UpsertCounts)

    def add_source(self, item: LoadItem) -> None:
        url, path = item.page_url, item.record.source.path
        if url is not None:
            self.urls.add(url)
        elif path is not None:
            self.paths.add(path)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _chunks(values: Iterable[_T], size: int = _IN_CHUNK) -> Iterator[list[_T]]:
    iterator = iter(values)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def _fingerprint(*parts: str | None) -> str:
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode()).hexdigest()


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
        self._clock = clock
        self._stale_after = stale_after
        with engine.connect() as conn:
            regions = conn.execute(sa.select(t.regions.c.name, t.regions.c.nuts2))
            self._regions: dict[str, str | None] = dict(regions.all())
            codes = conn.execute(sa.select(t.municipalities.c.name, t.municipalities.c.kommunkod))
            self._kommunkod = {_fold(name): code for name, code in codes}
        self._kommunkod_seen: dict[str, str | None] = {}  # names as written → code, memoised

    # -- runs -------------------------------------------------------------------------------

    def begin_run(self, kind: str) -> int:
        """Start a crawl run (`crawl`, `backfill`, `load`, `reparse`, ...); returns its id.

        Runs of any machine still `running` with no progress for longer than `stale_after`
        are closed first as `interrupted`, finished at their last progress."""
        c, now = t.crawl_runs.c, self._clock()
        with self._writer.begin() as conn:
            lock_writers(conn)
            conn.execute(
                sa.update(t.crawl_runs)
                .where(c.status == "running", c.last_progress_at < now - self._stale_after)
                .values(status="interrupted", finished_at=c.last_progress_at)
            )
            stmt = sa.insert(t.crawl_runs).returning(c.id)
            values = {"kind": kind, "status": "running", "started_at": now, "last_progress_at": now}
            run_id: int = conn.execute(stmt, values).scalar_one()
        return run_id

    def finish_run(self, run_id: int, status: str, counts: RunCounts) -> None:
        """Close a run with its status (`ok`, `failed`, `interrupted`) and counts, and bring
        the links to other sources (project_links) in line with what the run left."""
        now = self._clock()
        values = {
            "status": status,
            "finished_at": now,
            "last_progress_at": now,
            "fetched": counts.fetched,
            "new": counts.new,
            "changed": counts.changed,
            "unchanged": counts.unchanged,
            "removed": counts.removed,
            "failed": counts.failed,
            "removals_withheld": counts.removals_withheld,
            "removal_refusal": counts.removal_refusal,
        }
        with self._writer.begin() as conn:
            lock_writers(conn)
            conn.execute(sa.update(t.crawl_runs).where(t.crawl_runs.c.id == run_id), values)
            links.refresh(conn)

    def abandon_run(self, run_id: int, stopped_by: BaseException) -> None:
        """Close a run that an error (`failed`) or Ctrl-C (`interrupted`) stopped, if the
        database still takes the write; if not (it is what failed), the run stays `running`
        until a later run closes it as `interrupted`, and the error that stopped it is what
        the caller reports."""
        status = "failed" if isinstance(stopped_by, Exception) else "interrupted"
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            self.finish_run(run_id, status, RunCounts())

    @staticmethod
    def _progress(conn: Connection, run_id: int, now: dt.datetime) -> None:
        """Record, inside a batch's transaction, that the run is alive and moving."""
        runs = t.crawl_runs
        conn.execute(sa.update(runs).where(runs.c.id == run_id).values(last_progress_at=now))

    # -- loading ----------------------------------------------------------------------------

    def upsert(
        self, items: Iterable[LoadItem], run_id: int, *, batch_size: int = 1000
    ) -> UpsertCounts:
        """Load projects and news, one transaction per batch; calls/listings/other and
        unchanged records only update url_state; records breaking a rule go to parse_errors.

        A database error on a batch (a constraint the validation did not foresee) retries it
        in halves, down to single records, so only the offending record is quarantined.
        """
        total = UpsertCounts()
        for batch in _chunks(items, batch_size):
            total.add(self._upsert_batch(batch, run_id))
        return total

    def _upsert_batch(self, items: Sequence[LoadItem], run_id: int) -> UpsertCounts:
        now = self._clock()
        plan = self._plan(items, run_id, now)
        try:
            with self._writer.begin() as conn:
                lock_writers(conn)
                self._write(conn, plan, run_id, now)
        except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
            if len(items) > 1:  # halve until the offending record stands alone
                middle = len(items) // 2
                counts = self._upsert_batch(items[:middle], run_id)
                counts.add(self._upsert_batch(items[middle:], run_id))
                return counts
            return self._quarantine_item(items[0], run_id, now, _db_message(exc))
        return plan.counts

    def _plan(self, items: Sequence[LoadItem], run_id: int, now: dt.datetime) -> _Plan:
        plan = _Plan()
        for item in items:
            record, url = item.record, item.page_url
            plan.add_source(item)
            for error in record.errors:
                problem = Violation(error.field, error.value, error.message, error.label)
                self._add_error(plan, item, run_id, now, problem)
            violations, unit = self._validate(item)
            if violations:
                plan.counts.failed += 1
                for violation in violations:
                    self._add_error(plan, item, run_id, now, violation)
                digest = None
            elif unit is None:
                plan.counts.skipped += 1
                digest = content_hash(content_json(record))
            else:
                is_project = isinstance(record, ProjectRecord)
                target = plan.projects if is_project else plan.news
                twin = target.get(unit.prepared.key)  # the same record twice: the last one wins,
                if twin is not None:  # with the first of their URLs
                    row = unit.prepared.row
                    row["source_url"] = _first(twin.prepared.row["source_url"], row["source_url"])
                target[unit.prepared.key] = unit
                digest = unit.prepared.hash
                if url is not None:
                    column = "project_id" if is_project else "news_id"
                    plan.url_units[url] = (column, unit.prepared.key)
            if url is not None:
                plan.url_rows[url] = _url_row(item, url, run_id, now, digest)
        return plan

    def _validate(self, item: LoadItem) -> tuple[list[Violation], _Unit | None]:
        """The record's violations, or (for projects and news) the unit to write."""
        record, url = item.record, item.page_url
        try:
            if isinstance(record, ProjectRecord):
                key = project_key(record, url)
                violations = project_violations(record, key, self._regions)
            elif isinstance(record, NewsRecord):
                key = url_key(url) if url else None
                violations = [] if key else [missing_url("news")]
            else:
                return [], None
        except NormaliseError as exc:
            return [Violation("source_url", url, f"bad URL: {exc}")], None
        if violations or key is None:
            return violations, None
        return [], _Unit(item, prepare(record, url, key))

    def _add_error(
        self, plan: _Plan, item: LoadItem, run_id: int, now: dt.datetime, problem: Violation
    ) -> None:
        url, path = item.page_url, item.record.source.path
        fingerprint = _fingerprint(
            url, path, problem.field, problem.label, problem.value, problem.message
        )
        plan.error_rows[fingerprint] = {
            "fingerprint": fingerprint,
            "run_id": run_id,
            "source_url": url,
            "source_path": path,
            "archive_key": item.archive_key,
            "field": problem.field,
            "label": problem.label,
            "value": problem.value,
            "message": problem.message,
            "created_at": now,
        }

    def _quarantine_item(
        self, item: LoadItem, run_id: int, now: dt.datetime, message: str
    ) -> UpsertCounts:
        plan = _Plan(counts=UpsertCounts(failed=1))
        plan.add_source(item)
        refused = Violation(None, None, f"database refused: {message}")
        self._add_error(plan, item, run_id, now, refused)
        url = item.page_url
        if url is not None:
            plan.url_rows[url] = _url_row(item, url, run_id, now, None)
        with self._writer.begin() as conn:
            lock_writers(conn)
            self._write(conn, plan, run_id, now)
        return plan.counts

    def _write(self, conn: Connection, plan: _Plan, run_id: int, now: dt.datetime) -> None:
        if plan.projects:
            self._write_projects(conn, plan, run_id, now)
        if plan.news:
            self._write_news(conn, plan, now)
        if plan.url_rows:
            for url, (column, key) in plan.url_units.items():
                units = plan.projects if column == "project_id" else plan.news
                plan.url_rows[url][column] = units[key].id
            upsert_rows(
                conn, t.url_state, list(plan.url_rows.values()), key="url", keep_when_null=_KEPT
            )
        _resolve_errors(conn, plan, run_id, now)
        _record_errors(conn, list(plan.error_rows.values()))
        self._progress(conn, run_id, now)

    def _write_projects(self, conn: Connection, plan: _Plan, run_id: int, now: dt.datetime) -> None:
        p = t.projects
        sorted_out = _sort_out(conn, p, p.c.project_key, plan.projects, plan.counts)
        written = sorted_out.new + sorted_out.changed
        orgs: dict[str, str | None] = {}  # before the projects that refer to them
        for unit in written:
            number, name = unit.prepared.row["owner_org_number"], unit.prepared.row["owner"]
            if number is not None:
                orgs[number] = _first(orgs.get(number, name), name)
        if orgs:
            # The alphabetically first spelling wins, compared by code point as Python's min().
            binary = 'COLLATE "C"' if conn.dialect.name == "postgresql" else "COLLATE BINARY"
            upsert_rows(
                conn,
                t.organisations,
                [{"org_number": k, "name": v} for k, v in orgs.items()],
                key="org_number",
                update_when=f"organisations.name IS NULL"
                f" OR excluded.name {binary} < organisations.name {binary}",
            )
        previous = _latest_versions(conn, [u.id for u in sorted_out.changed])
        children = (t.project_municipalities, t.project_partners, t.project_cofinanciers)
        _write_sorted(
            conn,
            p,
            sorted_out,
            now,
            key_name="project_key",
            children=children,
            child_key="project_id",
        )
        if written:
            self._write_children(conn, written)
            search.index_projects(conn, [(_id(u), u.prepared.row) for u in written])
            versions = [
                {
                    "project_id": u.id,
                    "run_id": run_id,
                    "seen_at": now,
                    "change": "changed" if u.id in previous else "new",
                    "content_hash": u.prepared.hash,
                    "record": u.prepared.content_json,
                    "changed": changed_fields(previous[u.id], json.loads(u.prepared.content_json))
                    if u.id in previous
                    else None,
                }
                for u in written
            ]
            insert_rows(conn, t.project_versions, versions)

    def _write_children(self, conn: Connection, units: Sequence[_Unit]) -> None:
        municipalities: list[tuple[Any, ...]] = []
        partners: list[tuple[Any, ...]] = []
        cofinanciers: list[tuple[Any, ...]] = []
        kommunkod = self._kommunkod_of
        for unit in units:
            record, project_id = unit.item.record, unit.id
            assert isinstance(record, ProjectRecord)
            municipalities += [
                (project_id, position, name, kommunkod(name))
                for position, name in enumerate(record.municipalities)
            ]
            partners += [(project_id, *entry) for entry in enumerate(record.partners)]
            cofinanciers += [(project_id, *entry) for entry in enumerate(record.cofinanciers)]
        columns = ("project_id", "position", "name")
        insert_tuples(conn, t.project_municipalities, (*columns, "kommunkod"), municipalities)
        insert_tuples(conn, t.project_partners, columns, partners)
        insert_tuples(conn, t.project_cofinanciers, columns, cofinanciers)

    def _kommunkod_of(self, name: str) -> str | None:
        """SCB code of a municipality as pages write it: `Mjölby`, `Mjölby kommun`,
        `Stockholms stad`; None when the name is no municipality's (`Hela Sverige`)."""
        if name in self._kommunkod_seen:
            return self._kommunkod_seen[name]
        folded = _fold(name)
        for suffix in (" kommun", " stad"):
            folded = folded.removesuffix(suffix)
        code = self._kommunkod.get(folded)
        if code is None and folded.endswith("s"):
            code = self._kommunkod.get(folded[:-1])
        self._kommunkod_seen[name] = code
        return code

    def _write_news(self, conn: Connection, plan: _Plan, now: dt.datetime) -> None:
        n, links = t.news_articles, t.news_project_links
        sorted_out = _sort_out(conn, n, n.c.article_key, plan.news, plan.counts)
        _write_sorted(
            conn, n, sorted_out, now, key_name="article_key", children=(links,), child_key="news_id"
        )
        written = sorted_out.new + sorted_out.changed
        search.index_news(conn, [(_id(u), u.prepared.row) for u in written])
        link_rows = [
            {"news_id": u.id, "project_number": number}
            for u in written
            if isinstance(u.item.record, NewsRecord)
            for number in dict.fromkeys(u.item.record.mentioned_project_numbers)
        ]
        insert_rows(conn, links, link_rows)

    # -- URL bookkeeping --------------------------------------------------------------------

    def url_states(self, urls: Iterable[str]) -> Mapping[str, UrlState]:
        """The stored state of these URLs (absent ones are left out), for conditional requests."""
        u = t.url_state
        found: dict[str, UrlState] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(urls):
                for row in conn.execute(
                    sa.select(u).where(_among(conn, u.c.url, chunk))
                ).mappings():
                    found[row["url"]] = UrlState(
                        url=row["url"],
                        kind=row["kind"],
                        http_status=row["http_status"],
                        etag=row["etag"],
                        last_modified=row["last_modified"],
                        sitemap_lastmod=row["sitemap_lastmod"],
                        content_hash=row["content_hash"],
                        archive_key=row["archive_key"],
                        last_fetched_at=row["last_fetched_at"],
                        last_seen_at=row["last_seen_at"],
                        removed=bool(row["removed"]),
                        redirected_to=row["redirected_to"],
                        capture_url=row["capture_url"],
                    )
        return found

    def record_redirects(self, redirects: Iterable[Redirect], run_id: int) -> None:
        """Write the url_state of URLs whose fetch ended at another URL, in one transaction: the
        target, the time, the first redirect's status; not removed; no validators, hash, archive
        pointer or record of their own (a URL that stops redirecting gets them back, and
        `redirected_to` NULL, when its own page is next loaded)."""
        now = self._clock()
        rows = [
            _url_state_row(
                r.url,
                run_id,
                now,
                last_fetched_at=r.fetched_at,
                http_status=r.http_status,
                sitemap_lastmod=r.sitemap_lastmod,
                redirected_to=r.target,
            )
            for r in {r.url: r for r in redirects}.values()
        ]
        if not rows:
            return
        with self._writer.begin() as conn:
            lock_writers(conn)
            upsert_rows(conn, t.url_state, rows, key="url", keep_when_null=("sitemap_lastmod",))
            self._progress(conn, run_id, now)

    def live_urls(self, *, containing: str | None = None) -> list[str]:
        """Every URL of the live site url_state holds that is not flagged removed (pages taken
        from the Internet Archive are history, not live): after a complete run, those no
        discovery source listed any more are the ones to `mark_removed`. `containing` keeps
        the URLs with that text in them (case-insensitively), like `?dnr=`."""
        u = t.url_state
        query = sa.select(u.c.url).where(_live(u))
        if containing is not None:
            query = query.where(sa.func.lower(u.c.url).contains(containing.lower()))
        with self.engine.connect() as conn:
            return list(conn.scalars(query))

    def live_families(self) -> dict[str, int]:
        """How many live URLs each page family has: a project's programme period, `news`, or
        `other` (listings, calls, redirects). The mass-removal guard's denominators."""
        u = t.url_state
        family = _family()
        query = (
            sa.select(family, sa.func.count())
            .select_from(u.outerjoin(t.projects, t.projects.c.id == u.c.project_id))
            .where(_live(u))
            .group_by(family)
        )
        with self.engine.connect() as conn:
            return {str(name): int(count) for name, count in conn.execute(query)}

    def removal_families(self, urls: Iterable[str]) -> dict[str, str]:
        """URL → page family of those among `urls` that `mark_removed` would flag now (live,
        from the site): what the mass-removal guard counts before anything is flagged."""
        u = t.url_state
        found: dict[str, str] = {}
        joined = u.outerjoin(t.projects, t.projects.c.id == u.c.project_id)
        with self.engine.connect() as conn:
            for chunk in _chunks(urls):
                query = (
                    sa.select(u.c.url, _family())
                    .select_from(joined)
                    .where(_live(u), _among(conn, u.c.url, chunk))
                )
                found.update((str(url), str(family)) for url, family in conn.execute(query))
        return found

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
        u, now = t.url_state, self._clock()
        with self._writer.begin() as conn:
            lock_writers(conn)
            self._progress(conn, run_id, now)
            if not_modified:
                conn.execute(
                    sa.update(u)
                    .where(u.c.url == sa.bindparam("b_url"))
                    .values(sitemap_lastmod=sa.bindparam("b_lastmod"), last_fetched_at=now),
                    [{"b_url": url, "b_lastmod": lastmod} for url, lastmod in not_modified.items()],
                )
            for chunk in _chunks(urls):
                conn.execute(
                    sa.update(u)
                    .where(_among(conn, u.c.url, chunk))
                    .values(last_seen_at=now, run_id=run_id, removed=False, removed_at=None)
                )
                for table, column in ((t.projects, u.c.project_id), (t.news_articles, u.c.news_id)):
                    carried = sa.select(column).where(_among(conn, u.c.url, chunk))
                    conn.execute(
                        sa.update(table)
                        .where(table.c.id.in_(carried), table.c.removed_at.is_not(None))
                        .values(removed_at=None)
                    )

    def mark_removed(self, urls: Iterable[str], run_id: int) -> int:
        """Flag URLs removed (never deleted), and the projects/news they carry once none of
        their URLs is still live. Returns how many URLs were newly flagged. A page taken from
        the Internet Archive is history and is never flagged (the live site's 404 for it says
        nothing about it)."""
        u, now, flagged = t.url_state, self._clock(), 0
        with self._writer.begin() as conn:
            lock_writers(conn)
            self._progress(conn, run_id, now)
            for chunk in _chunks(urls):
                result = conn.execute(
                    sa.update(u)
                    .where(_among(conn, u.c.url, chunk), _live(u))
                    .values(removed=True, removed_at=now, run_id=run_id)
                )
                flagged += result.rowcount
                for table, column in ((t.projects, u.c.project_id), (t.news_articles, u.c.news_id)):
                    carried = sa.select(column).where(_among(conn, u.c.url, chunk))
                    live = sa.select(u.c.url).where(column == table.c.id, u.c.removed.is_(False))
                    conn.execute(
                        sa.update(table)
                        .where(
                            table.c.id.in_(carried),
                            table.c.removed_at.is_(None),
                            ~sa.exists(live),
                        )
                        .values(removed_at=now)
                    )
        return flagged

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
        fingerprint, now = _fingerprint(url, path, None, None, None, message), self._clock()
        row = {
            "fingerprint": fingerprint,
            "run_id": run_id,
            "source_url": url,
            "source_path": path,
            "archive_key": archive_key,
            "message": message,
            "created_at": now,
        }
        with self._writer.begin() as conn:
            _record_errors(conn, [row])
            self._progress(conn, run_id, now)

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
        raise DatabaseUnavailableError(f"database {describe(url)}: {_db_message(exc)}") from None


# -- statement helpers ----------------------------------------------------------------------


def _live(u: sa.Table) -> sa.ColumnElement[bool]:
    """A URL of the live site not flagged removed (an archived capture is never live)."""
    return sa.and_(u.c.removed.is_(False), u.c.capture_url.is_(None))


def _family() -> sa.ColumnElement[Any]:
    """The page family of a url_state row joined to its project (see `live_families`)."""
    u = t.url_state
    return sa.case(
        (u.c.project_id.is_not(None), sa.func.coalesce(t.projects.c.programme_period, "project")),
        (u.c.news_id.is_not(None), "news"),
        else_="other",
    )


def _dialect(conn: Connection) -> Any:
    """The connection's dialect module (already imported by its engine: a SQLite run never
    imports the PostgreSQL dialect)."""
    return importlib.import_module(f"sqlalchemy.dialects.{conn.dialect.name}")


def _insert(conn: Connection, table: sa.Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT."""
    return _dialect(conn).insert(table)


def _resolve_errors(conn: Connection, plan: _Plan, run_id: int, now: dt.datetime) -> None:
    """Resolve the open parse errors of the batch's pages. Those the batch raises again are
    re-opened right after by `_record_errors`, so what stays resolved is what was fixed."""
    pe = t.parse_errors
    resolve = sa.update(pe).values(resolved_at=now, resolved_run_id=run_id)
    for column, sources, only in (
        (pe.c.source_url, plan.urls, sa.true()),
        (pe.c.source_path, plan.paths, pe.c.source_url.is_(None)),
    ):
        for chunk in _chunks(sorted(sources)):
            conn.execute(
                resolve.where(_among(conn, column, chunk), only, pe.c.resolved_at.is_(None))
            )


def _record_errors(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Quarantine problems, each once (by fingerprint); one seen again is open again."""
    if not rows:
        return
    pe = t.parse_errors
    stmt = _insert(conn, pe)
    stmt = stmt.on_conflict_do_update(
        index_elements=[pe.c.fingerprint],
        set_={"resolved_at": None, "resolved_run_id": None},
        where=pe.c.resolved_at.is_not(None),
    )
    conn.execute(stmt, rows)


def _among(conn: Connection, column: sa.ColumnElement[Any], values: Sequence[Any]) -> Any:
    """`column IN (values)`; on PostgreSQL `column = ANY(array)`, one parameter: psycopg
    takes longer to parse a statement with a thousand placeholders than the server to run it."""
    if conn.dialect.name == "postgresql":
        array = sa.bindparam(None, list(values), type_=_dialect(conn).ARRAY(column.type))
        return column == sa.any_(array)
    return column.in_(values)


def _db_message(exc: sa.exc.DBAPIError) -> str:
    lines = str(exc.orig).strip().splitlines() if exc.orig is not None else []
    return lines[0] if lines else type(exc).__name__


@dataclass(slots=True)
class _Sorted:
    """A batch's units against what is stored: new, changed, unchanged but flagged removed
    (returning), and unchanged but met under a URL that sorts before the stored one."""

    new: list[_Unit]
    changed: list[_Unit]
    returning: list[_Unit]
    relinked: list[_Unit]


def _sort_out(
    conn: Connection,
    table: sa.Table,
    key_column: sa.Column[str],
    units: Mapping[str, _Unit],
    counts: UpsertCounts,
) -> _Sorted:
    """Compare hashes with the stored rows; known units get their id; counts are updated.

    `source_url` becomes the first, in code-point order, of the URLs a record was met under,
    so it does not depend on the order pages were loaded in."""
    existing = _existing(conn, table, key_column, list(units))
    result = _Sorted([], [], [], [])
    for key, unit in units.items():
        known = existing.get(key)
        if known is None:
            result.new.append(unit)
            continue
        unit.id = known.id
        row = unit.prepared.row
        row["source_url"] = _first(known.source_url, row["source_url"])
        if known.content_hash != unit.prepared.hash:
            result.changed.append(unit)
            continue
        if known.removed_at is not None:
            result.returning.append(unit)
        if row["source_url"] != known.source_url:
            result.relinked.append(unit)
    counts.new += len(result.new)
    counts.changed += len(result.changed)
    counts.unchanged += len(units) - len(result.new) - len(result.changed)
    return result


def _write_sorted(
    conn: Connection,
    table: sa.Table,
    sorted_out: _Sorted,
    now: dt.datetime,
    *,
    key_name: str,
    children: Sequence[sa.Table],
    child_key: str,
) -> None:
    """Insert the new rows (ids assigned), update the changed ones and drop their child rows
    (the caller writes them afresh), and un-flag the unchanged ones that came back."""
    if sorted_out.new:
        for unit, new_id in zip(
            sorted_out.new, allocate_ids(conn, table, len(sorted_out.new)), strict=True
        ):
            unit.id = new_id
        rows = [
            {
                "id": u.id,
                **u.prepared.row,
                key_name: u.prepared.key,
                "content_hash": u.prepared.hash,
                "first_seen_at": now,
                "last_changed_at": now,
                "removed_at": None,
            }
            for u in sorted_out.new
        ]
        insert_rows(conn, table, rows)
    if sorted_out.changed:
        changed = [
            {
                **u.prepared.row,
                "target_id": u.id,
                "content_hash": u.prepared.hash,
                "last_changed_at": now,
                "removed_at": None,
            }
            for u in sorted_out.changed
        ]
        conn.execute(sa.update(table).where(table.c.id == sa.bindparam("target_id")), changed)
        for child in children:
            for chunk in _chunks([u.id for u in sorted_out.changed]):
                conn.execute(sa.delete(child).where(_among(conn, child.c[child_key], chunk)))
    if sorted_out.returning:
        ids = [u.id for u in sorted_out.returning]
        conn.execute(sa.update(table).where(_among(conn, table.c.id, ids)).values(removed_at=None))
    if sorted_out.relinked:
        conn.execute(
            sa.update(table).where(table.c.id == sa.bindparam("target_id")),
            [
                {"target_id": u.id, "source_url": u.prepared.row["source_url"]}
                for u in sorted_out.relinked
            ],
        )


def _id(unit: _Unit) -> int:
    """The id of a unit written (set by `_sort_out` or `_write_sorted`)."""
    assert unit.id is not None
    return unit.id


def _first(a: str | None, b: str | None) -> str | None:
    """The first of two values in code-point order (None only when both are): what the
    database keeps of competing spellings, so the result does not depend on load order."""
    return min((v for v in (a, b) if v is not None), default=None)


def _existing(
    conn: Connection, table: sa.Table, key_column: sa.Column[str], keys: list[str]
) -> dict[str, Any]:
    """key → (id, key, content_hash, removed_at, source_url) of the rows already stored."""
    found: dict[str, Any] = {}
    c = table.c
    columns = (c.id, key_column, c.content_hash, c.removed_at, c.source_url)
    for chunk in _chunks(keys):
        for row in conn.execute(sa.select(*columns).where(_among(conn, key_column, chunk))):
            found[row[1]] = row
    return found


def _latest_versions(conn: Connection, project_ids: list[int | None]) -> dict[int, Any]:
    """project id → the record JSON of its latest version."""
    v = t.project_versions
    found: dict[int, Any] = {}
    for chunk in _chunks(project_ids):
        latest = sa.select(sa.func.max(v.c.id)).where(_among(conn, v.c.project_id, chunk))
        latest = latest.group_by(v.c.project_id)
        for project_id, record in conn.execute(
            sa.select(v.c.project_id, v.c.record).where(v.c.id.in_(latest))
        ):
            found[project_id] = record
    return found


def _url_row(
    item: LoadItem, url: str, run_id: int, now: dt.datetime, digest: str | None
) -> dict[str, Any]:
    return _url_state_row(
        url,
        run_id,
        now,
        kind=item.record.kind,
        last_fetched_at=item.fetched_at,
        http_status=item.http_status,
        etag=item.etag,
        last_modified=item.last_modified,
        sitemap_lastmod=item.sitemap_lastmod,
        content_hash=digest,
        archive_key=item.archive_key,
        capture_url=item.capture_url,
        captured_at=item.captured_at,
    )


def _url_state_row(url: str, run_id: int, now: dt.datetime, **values: Any) -> dict[str, Any]:
    """A url_state row of a live URL seen now: `values` over nulls. `redirected_to` is null
    unless given (not kept when null: a URL may stop redirecting)."""
    return {
        "url": url,
        "kind": None,
        "run_id": run_id,
        "last_fetched_at": None,
        "last_seen_at": now,
        "http_status": None,
        "etag": None,
        "last_modified": None,
        "sitemap_lastmod": None,
        "content_hash": None,
        "archive_key": None,
        "removed": False,
        "removed_at": None,
        "project_id": None,
        "news_id": None,
        "redirected_to": None,
        "capture_url": None,
        "captured_at": None,
        **values,
    }
