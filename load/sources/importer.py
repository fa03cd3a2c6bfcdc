"""Importing a source file: rows upserted by key in one transaction, the rows the file no longer
lists flagged, problems quarantined, and the import recorded as a run.

    counts = import_file(store, KOHESIO, Path("SE-pp21-27-latest.csv"))

Idempotent: a row whose content hash is stored already writes nothing, so the same file twice
changes nothing but the run's own row. A newer file replaces the rows it lists and flags
(`dropped_at`) the rows of its programme periods it no longer lists; rows of other periods are
not touched (Kohesio ships one file per period). A file with rows that failed lists its
projects incompletely, so it flags nothing. A file that is not the format raises NotTheFormatError
before anything is written; any other failure rolls the whole import back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from load import schema as t
from load.engine import lock_writers, writer
from load.sources import esf_export, kohesio
from load.sources.csvfile import CsvRow, Header, open_csv
from load.sources.records import SourceRow
from load.store import RunCounts, Store
from load.store.quarantine import fingerprint, record_errors

_BATCH = 1000
SHOWN_PROBLEMS = 20
_KEYS = sa.table("import_keys", sa.column("key", sa.String))


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One kind of source file: how to read it, where its rows go."""

    name: str  # as in project_links.source
    command: str  # as in `esfbank import <command>` and crawl_runs.kind
    what: str
    table: sa.Table
    key: str
    aliases: Callable[[], dict[str, str]]
    rows: Callable[[Header, Iterator[CsvRow]], Iterator[SourceRow]]


ESF_EXPORT = SourceSpec(
    "esf_export",
    "esf-export",
    esf_export.WHAT,
    t.esf_export_projects,
    esf_export.KEY,
    esf_export.aliases,
    esf_export.rows,
)
KOHESIO = SourceSpec(
    "kohesio",
    "kohesio",
    kohesio.WHAT,
    t.kohesio_operations,
    kohesio.KEY,
    kohesio.aliases,
    kohesio.rows,
)
SOURCES: Mapping[str, SourceSpec] = {s.command: s for s in (ESF_EXPORT, KOHESIO)}


@dataclass(slots=True)
class ImportCounts:
    run_id: int = 0
    read: int = 0  # rows read from the file (header and blank lines not counted)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    dropped: int = 0  # rows of the file's periods it no longer lists, flagged
    failed: int = 0  # rows that did not load whole (value or row problems: parse_errors)
    repeated: int = 0  # rows whose key an earlier row of the file had (first one kept)
    skipped: int = 0  # rows not for this import (other countries)
    periods: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)  # the first SHOWN_PROBLEMS, as lines


def import_file(
    store: Store, spec: SourceSpec, path: Path, display: str | None = None
) -> ImportCounts:
    """Import `path` (named `display` in parse_errors and messages). Raises NotTheFormatError when
    the file as a whole is not `spec`'s format, before anything is written."""
    name = display or str(path)
    with open_csv(path, spec.aliases(), key=spec.key, what=spec.what) as (header, csv_rows):
        run_id = store.begin_run(f"import {spec.command}")
        counts = ImportCounts(run_id=run_id)
        try:
            with writer(store.engine).begin() as conn:
                lock_writers(conn)
                _Import(conn, spec, name, run_id, _now()).run(spec.rows(header, csv_rows), counts)
        except BaseException:
            store.finish_run(run_id, "failed", RunCounts())
            raise
    store.finish_run(
        run_id,
        "ok",
        RunCounts(
            fetched=counts.read,
            new=counts.new,
            changed=counts.changed,
            unchanged=counts.unchanged,
            removed=counts.dropped,
            failed=counts.failed,
        ),
    )
    return counts


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def content_hash(values: Mapping[str, Any]) -> str:
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class _Import:
    """One import inside its transaction."""

    def __init__(
        self, conn: Connection, spec: SourceSpec, path: str, run_id: int, now: dt.datetime
    ) -> None:
        self.conn, self.spec, self.path, self.run_id, self.now = conn, spec, path, run_id, now
        self.key = spec.table.c[spec.key]
        self.errors: dict[str, dict[str, Any]] = {}

    def run(self, rows: Iterable[SourceRow], counts: ImportCounts) -> None:
        self._create_keys()
        iterator = iter(rows)
        while batch := list(itertools.islice(iterator, _BATCH)):
            self._batch(batch, counts)
        if counts.failed == 0:
            counts.dropped = self._flag_dropped(counts.periods)
        self._quarantine()
        self.conn.execute(sa.text("DROP TABLE import_keys"))

    def _create_keys(self) -> None:
        """A temporary table of the keys this file listed: the set stays in the database, so
        memory does not grow with the file."""
        self.conn.execute(sa.text("DROP TABLE IF EXISTS import_keys"))
        self.conn.execute(
            sa.text("CREATE TEMPORARY TABLE import_keys (key VARCHAR(64) PRIMARY KEY)")
        )

    def _batch(self, batch: list[SourceRow], counts: ImportCounts) -> None:
        counts.read += len(batch)
        fresh: dict[str, SourceRow] = {}
        for row in batch:
            if row.skipped is not None:
                counts.skipped += 1
                continue
            if row.problems:
                counts.failed += 1
                for problem in row.problems:
                    self._error(problem.field, problem.label, problem.value, problem.message)
                    if len(counts.problems) < SHOWN_PROBLEMS:
                        counts.problems.append(problem.describe())
            if row.key is None:
                continue
            if row.key in fresh:
                counts.repeated += 1
                continue
            fresh[row.key] = row
        if not fresh:
            return
        seen = set(self.conn.scalars(sa.select(_KEYS.c.key).where(_KEYS.c.key.in_(list(fresh)))))
        counts.repeated += len(seen)
        rows = {k: r for k, r in fresh.items() if k not in seen}
        if not rows:
            return
        self.conn.execute(sa.insert(_KEYS), [{"key": k} for k in rows])
        counts.periods.update(r.period for r in rows.values() if r.period is not None)
        self._upsert(rows, counts)

    def _upsert(self, rows: Mapping[str, SourceRow], counts: ImportCounts) -> None:
        table, c = self.spec.table, self.spec.table.c
        stored = {
            key: (digest, dropped)
            for key, digest, dropped in self.conn.execute(
                sa.select(self.key, c.content_hash, c.dropped_at).where(self.key.in_(list(rows)))
            )
        }
        new, changed, returning = [], [], []
        for key, row in rows.items():
            digest = content_hash(row.values)
            known = stored.get(key)
            if known is None:
                new.append(
                    {
                        **row.values,
                        "content_hash": digest,
                        "run_id": self.run_id,
                        "first_seen_at": self.now,
                        "last_changed_at": self.now,
                    }
                )
            elif known[0] != digest:
                changed.append(
                    {
                        **row.values,
                        "b_key": key,
                        "content_hash": digest,
                        "run_id": self.run_id,
                        "last_changed_at": self.now,
                        "dropped_at": None,
                        "dropped_run_id": None,
                    }
                )
            elif known[1] is not None:
                returning.append(key)
        if new:
            self.conn.execute(sa.insert(table), new)
        if changed:
            self.conn.execute(sa.update(table).where(self.key == sa.bindparam("b_key")), changed)
        if returning:
            self.conn.execute(
                sa.update(table)
                .where(self.key.in_(returning))
                .values(dropped_at=None, dropped_run_id=None)
            )
        counts.new += len(new)
        counts.changed += len(changed)
        counts.unchanged += len(rows) - len(new) - len(changed)

    def _flag_dropped(self, periods: set[str]) -> int:
        if not periods:
            return 0
        c = self.spec.table.c
        result = self.conn.execute(
            sa.update(self.spec.table)
            .where(
                c.programme_period.in_(sorted(periods)),
                c.dropped_at.is_(None),
                self.key.not_in(sa.select(_KEYS.c.key)),
            )
            .values(dropped_at=self.now, dropped_run_id=self.run_id)
        )
        return result.rowcount

    def _error(self, field: str | None, label: str | None, value: str | None, message: str) -> None:
        digest = fingerprint(None, self.path, field, label, value, message)
        self.errors[digest] = {
            "fingerprint": digest,
            "run_id": self.run_id,
            "source_path": self.path,
            "field": field,
            "label": label,
            "value": value,
            "message": message,
            "created_at": self.now,
        }

    def _quarantine(self) -> None:
        """The file's open errors from earlier imports resolved, this import's recorded (those
        raised again are open again)."""
        pe = t.parse_errors
        self.conn.execute(
            sa.update(pe)
            .where(
                pe.c.source_path == self.path, pe.c.source_url.is_(None), pe.c.resolved_at.is_(None)
            )
            .values(resolved_at=self.now, resolved_run_id=self.run_id)
        )
        if self.errors:
            record_errors(self.conn, list(self.errors.values()))  # each problem kept once
