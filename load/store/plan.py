"""A batch sorted out before any write: valid projects and news keyed, problems to
quarantine, url_state rows, and the counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from load.rows import Prepared, content_hash, content_json, prepare, project_key, url_key
from load.store import quarantine, urls
from load.store.items import LoadItem, UpsertCounts
from load.store.sql import first
from load.validate import Violation, missing_url, project_violations
from parsers.normalisers import NormaliseError
from parsers.records import NewsRecord, ProjectRecord


@dataclass(slots=True)
class Unit:
    """A valid project or news record of a batch, keyed; `source_url` is the first of the URLs
    it was met under; `id` is filled once it is written."""

    item: LoadItem
    prepared: Prepared
    source_url: str | None
    id: int | None = None


@dataclass(slots=True)
class Plan:
    """A batch sorted out before any write: what to upsert, what to quarantine, what to skip."""

    projects: dict[str, Unit] = field(default_factory=dict)
    news: dict[str, Unit] = field(default_factory=dict)
    # url → the page loaded from it, its content hash, and the key of the unit it was loaded
    # into among `projects` (True) or `news` (False): its url_state row is made once the
    # unit's id is known.
    pages: dict[str, tuple[LoadItem, str | None, tuple[bool, str] | None]] = field(
        default_factory=dict
    )
    error_rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Where the batch's pages came from: URLs, and files for records without one. Their open
    # parse errors that the batch does not raise again are resolved.
    urls: set[str] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    counts: UpsertCounts = field(default_factory=UpsertCounts)

    def add_source(self, url: str | None, path: str | None) -> None:
        if url is not None:
            self.urls.add(url)
        elif path is not None:
            self.paths.add(path)

    def add_error(self, item: LoadItem, run_id: int, now: dt.datetime, problem: Violation) -> None:
        url, path = item.page_url, item.record.source.path
        row = quarantine.violation_row(
            problem, run_id, now, url=url, path=path, archive_key=item.archive_key
        )
        self.error_rows[row["fingerprint"]] = row


PLANNING_STEP = 50  # records a step of `Planning` plans: about a millisecond


class Planning:
    """A batch's plan made a step at a time, so that it can be made in the moments the writer
    would otherwise wait for the database (load/pgsend.py `while_waiting`), before the time
    the batch is written at is known: that time stamps only its problems, which `finish` adds.
    An error a step meets is kept and raised by `finish`, where a plan made at once would
    have raised it."""

    def __init__(
        self,
        items: Sequence[LoadItem],
        run_id: int,
        regions: Mapping[str, str | None],
        *,
        jsonb_order: bool = False,
    ) -> None:
        self.items = items
        self._run_id, self._regions, self._jsonb_order = run_id, regions, jsonb_order
        self._plan = Plan()
        self._problems: list[tuple[LoadItem, Violation]] = []
        self._done = 0
        self._error: Exception | None = None

    def step(self) -> bool:
        """Plan the next few records; False once all are planned (or a step failed)."""
        if self._error is not None or self._done == len(self.items):
            return False
        end = min(self._done + PLANNING_STEP, len(self.items))
        try:
            self._add(self.items[self._done : end])
        except Exception as exc:  # raised by `finish`
            self._error = exc
            return False
        self._done = end
        return end < len(self.items)

    def finish(self, now: dt.datetime) -> Plan:
        """The plan of the batch written at `now`; the records no step reached are planned
        now."""
        if self._error is None:
            self._add(self.items[self._done :])
            self._done = len(self.items)
        if self._error is not None:
            raise self._error
        for item, problem in self._problems:
            self._plan.add_error(item, self._run_id, now, problem)
        self._problems.clear()
        return self._plan

    def _add(self, items: Sequence[LoadItem]) -> None:
        plan, problems = self._plan, self._problems
        regions, jsonb_order = self._regions, self._jsonb_order
        for item in items:
            record, url = item.record, item.page_url
            plan.add_source(url, record.source.path)
            for error in record.errors:
                problem = Violation(error.field, error.value, error.message, error.label)
                problems.append((item, problem))
            violations, unit = _validate(item, url, regions, jsonb_order)
            if violations:
                plan.counts.failed += 1
                problems.extend((item, violation) for violation in violations)
                digest = None
            elif unit is None:
                try:
                    digest = content_hash(content_json(record))
                except UnicodeEncodeError as exc:
                    plan.counts.failed += 1
                    problems.append((item, _not_storable(exc)))
                    digest = None
                else:
                    plan.counts.skipped += 1
            else:
                is_project = isinstance(record, ProjectRecord)
                target = plan.projects if is_project else plan.news
                key = unit.prepared.key
                twin = target.get(key)  # the same record twice: the last one wins,
                if twin is not None:  # with the first of their URLs
                    unit.source_url = first(twin.source_url, unit.source_url)
                target[key] = unit
                digest = unit.prepared.hash
                if url is not None:
                    plan.pages[url] = (item, digest, (is_project, key))
                    continue
            if url is not None:  # what an earlier record of the URL was loaded into stays
                earlier = plan.pages.get(url)
                plan.pages[url] = (item, digest, None if earlier is None else earlier[2])


def pages(plan: Plan) -> Iterator[urls.Page]:
    """The plan's pages with the ids of what they carry, once its units are written."""
    for url, (item, digest, unit) in plan.pages.items():
        if unit is None:
            yield url, item, digest, None, None
        elif unit[0]:
            yield url, item, digest, plan.projects[unit[1]].id, None
        else:
            yield url, item, digest, None, plan.news[unit[1]].id


def refused(item: LoadItem, run_id: int, now: dt.datetime, message: str) -> Plan:
    """The plan of a record the database refused: its problem and url_state, nothing else."""
    plan = Plan(counts=UpsertCounts(failed=1))
    plan.add_source(item.page_url, item.record.source.path)
    plan.add_error(item, run_id, now, Violation(None, None, f"database refused: {message}"))
    url = item.page_url
    if url is not None:
        plan.pages[url] = (item, None, None)
    return plan


def _validate(
    item: LoadItem, url: str | None, regions: Mapping[str, str | None], jsonb_order: bool
) -> tuple[list[Violation], Unit | None]:
    """The record's violations, or (for projects and news) the unit to write. `url`: the
    item's page_url."""
    record = item.record
    try:
        if isinstance(record, ProjectRecord):
            key = project_key(record, url)
            violations = project_violations(record, key, regions)
        elif isinstance(record, NewsRecord):
            key = url_key(url) if url else None
            violations = [] if key else [missing_url("news")]
        else:
            return [], None
    except NormaliseError as exc:
        return [Violation("source_url", url, f"bad URL: {exc}")], None
    if violations or key is None:
        return violations, None
    try:
        return [], Unit(item, prepare(record, url, key, jsonb_order=jsonb_order), url)
    except UnicodeEncodeError as exc:
        return [_not_storable(exc)], None


def _not_storable(exc: UnicodeEncodeError) -> Violation:
    """A record whose text has what UTF-8 cannot hold (a lone surrogate, say)."""
    found = exc.object[exc.start : exc.end]
    return Violation(None, None, f"text that cannot be stored as UTF-8 ({exc.reason}): {found!r}")
