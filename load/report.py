"""The data-quality report: what the database holds, how complete it is, what went wrong.

Figures are computed with portable SQL on SQLite and PostgreSQL alike; JSON columns (unknown
labels) are read and counted here, one column at a time, so no JSON SQL dialect is needed.
The gates (load/gates.py) are checked against these figures.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from load.gates import GateResult, Gates, check_gates
from load.schema import (
    crawl_runs,
    news_articles,
    parse_errors,
    project_versions,
    projects,
    url_state,
)
from load.sources.report import SourceFigures, source_figures
from load.sources.report import render as render_sources
from parsers.fields import FIELDS

# Families loaded into their own tables; the others are only detected and kept in url_state.
LOADED_FAMILIES = ("project", "news")
DETECTED_FAMILIES = ("call", "listing", "other")
# The fields a page states (the registry's): their fill rates are reported and can be gated.
FILL_RATE_FIELDS = tuple(f.name for f in FIELDS)
TOP_UNKNOWN_LABELS = 20
UNFINISHED_RUNS = 10  # runs that did not end `ok` (interrupted, killed, failed) shown, newest first


@dataclass(frozen=True, slots=True)
class RunSummary:
    id: int
    kind: str
    status: str
    started_at: str
    finished_at: str | None
    last_progress_at: str
    counts: Mapping[str, int]


@dataclass(slots=True)
class Report:
    counts: dict[str, int]
    removed: dict[str, int]
    projects_by_period: dict[str, int]
    fill_rates: dict[str, float | None]
    fill_rates_by_period: dict[str, dict[str, float]]
    parse_errors_by_field: dict[str, int]
    pages_with_errors: int
    error_rate: float | None
    unknown_labels: dict[str, int]
    latest_run: RunSummary | None
    previous_run: RunSummary | None
    versions_in_latest_run: dict[str, int]
    fields_changed_in_latest_run: dict[str, int]
    unfinished_runs: list[RunSummary] = field(default_factory=list)
    sources: dict[str, SourceFigures] = field(default_factory=dict)
    gates: list[GateResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["gates"] = [asdict(g) for g in self.gates]
        out["passed"] = self.passed
        return out


def _counts(conn: sa.Connection) -> tuple[dict[str, int], dict[str, int]]:
    """Current and removed rows per family (calls, listings, other pages: from url_state)."""
    counts: dict[str, int] = {}
    removed: dict[str, int] = {}
    for family, table in (("project", projects), ("news", news_articles)):
        gone = table.c.removed_at.is_not(None)
        row = conn.execute(sa.select(sa.func.count(), sa.func.count(sa.case((gone, 1))))).one()
        counts[family], removed[family] = row[0] - row[1], row[1]
    detected = dict.fromkeys(DETECTED_FAMILIES, 0)
    query = (
        sa.select(url_state.c.kind, sa.func.count())
        .where(url_state.c.kind.in_(DETECTED_FAMILIES), url_state.c.removed.is_(False))
        .group_by(url_state.c.kind)
    )
    detected.update(dict(conn.execute(query).all()))
    return counts | detected, removed


def _fill_rates(
    conn: sa.Connection,
) -> tuple[dict[str, int], dict[str, float | None], dict[str, dict[str, float]]]:
    """Share of current projects stating each field, overall and per programme period."""
    period = projects.c.programme_period
    query = (
        sa.select(
            period, sa.func.count(), *(sa.func.count(projects.c[f]) for f in FILL_RATE_FIELDS)
        )
        .where(projects.c.removed_at.is_(None))
        .group_by(period)
        .order_by(period)
    )
    by_period: dict[str, dict[str, float]] = {}
    per_period_rows: dict[str, int] = {}
    filled = Counter[str]()
    for name, rows, *counts in conn.execute(query):
        per_period_rows[name] = rows
        by_period[name] = {f: n / rows for f, n in zip(FILL_RATE_FIELDS, counts, strict=True)}
        filled.update(dict(zip(FILL_RATE_FIELDS, counts, strict=True)))
    total = sum(per_period_rows.values())
    overall = {f: (filled[f] / total if total else None) for f in FILL_RATE_FIELDS}
    return per_period_rows, overall, by_period


def _parse_errors(conn: sa.Connection) -> tuple[dict[str, int], int, float | None]:
    """Open errors per field ("(page)" for a page that failed whole), pages with open errors,
    error rate. Resolved errors (the page later loaded without them) are not counted.

    The rate is pages with at least one open error over all pages: loaded projects and news,
    the calls, listings and other pages detected, and the pages that failed before they became
    a record.
    """
    pe = parse_errors.c
    is_open = pe.resolved_at.is_(None)
    cause = sa.func.coalesce(pe.field, "(page)")
    by_cause = sa.select(cause, sa.func.count()).where(is_open).group_by(cause)
    by_field: dict[str, int] = dict(
        conn.execute(by_cause.order_by(sa.func.count().desc(), cause)).all()
    )
    source = sa.func.coalesce(pe.source_url, pe.source_path)
    with_errors = conn.execute(
        sa.select(sa.func.count(sa.distinct(source))).where(is_open)
    ).scalar_one()
    loaded_urls = sa.union(
        sa.select(projects.c.source_url).where(projects.c.source_url.is_not(None)),
        sa.select(news_articles.c.source_url),
    )
    not_loaded = conn.execute(
        sa.select(sa.func.count(sa.distinct(source))).where(is_open, source.not_in(loaded_urls))
    ).scalar_one()
    loaded = sum(
        conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
        for t in (projects, news_articles)
    )
    detected = conn.execute(
        sa.select(sa.func.count()).where(url_state.c.kind.in_(DETECTED_FAMILIES))
    ).scalar_one()
    pages = loaded + detected + not_loaded
    return by_field, with_errors, (with_errors / pages if pages else None)


def _unknown_labels(conn: sa.Connection) -> dict[str, int]:
    """How many current records carry each label the vocabulary does not know (most first)."""
    seen = Counter[str]()
    for table in (projects, news_articles):
        query = sa.select(table.c.unknown_labels).where(table.c.removed_at.is_(None))
        for (labels,) in conn.execution_options(yield_per=5000).execute(query):
            values = json.loads(labels) if isinstance(labels, str) else labels
            seen.update(set(values or ()))
    return dict(seen.most_common(TOP_UNKNOWN_LABELS))


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


_COUNT_NAMES = ("fetched", "new", "changed", "unchanged", "removed", "failed")


def _run_summaries(conn: sa.Connection, query: sa.Select[Any]) -> list[RunSummary]:
    return [
        RunSummary(
            id=r.id,
            kind=r.kind,
            status=r.status,
            started_at=r.started_at.isoformat(),
            finished_at=_iso(r.finished_at),
            last_progress_at=r.last_progress_at.isoformat(),
            counts={name: getattr(r, name) for name in _COUNT_NAMES},
        )
        for r in conn.execute(query)
    ]


def _runs(conn: sa.Connection) -> tuple[RunSummary | None, RunSummary | None]:
    """The latest two runs, newest first."""
    runs = _run_summaries(conn, sa.select(crawl_runs).order_by(crawl_runs.c.id.desc()).limit(2))
    return (runs[0] if runs else None), (runs[1] if len(runs) > 1 else None)


def _unfinished_runs(conn: sa.Connection) -> list[RunSummary]:
    """The latest runs that did not end `ok`: interrupted (Ctrl-C, or killed and closed by a
    later run), failed, or still running, newest first."""
    query = sa.select(crawl_runs).where(crawl_runs.c.status != "ok")
    return _run_summaries(conn, query.order_by(crawl_runs.c.id.desc()).limit(UNFINISHED_RUNS))


def _latest_changes(
    conn: sa.Connection, run: RunSummary | None
) -> tuple[dict[str, int], dict[str, int]]:
    """Project versions the run wrote ('new', 'changed') and how often each field changed."""
    if run is None:
        return {}, {}
    pv = project_versions.c
    versions = conn.execute(
        sa.select(pv.change, sa.func.count()).where(pv.run_id == run.id).group_by(pv.change)
    ).all()
    fields = Counter[str]()
    query = sa.select(pv.changed).where(pv.run_id == run.id, pv.changed.is_not(None))
    for (changed,) in conn.execution_options(yield_per=5000).execute(query):
        fields.update(list(json.loads(changed) if isinstance(changed, str) else changed))
    return dict(versions), dict(fields.most_common())


def build_report(conn: sa.Connection, gates: Gates) -> Report:
    counts, removed = _counts(conn)
    by_period, fill_rates, fill_by_period = _fill_rates(conn)
    errors_by_field, with_errors, error_rate = _parse_errors(conn)
    latest, previous = _runs(conn)
    versions, fields_changed = _latest_changes(conn, latest)
    report = Report(
        counts=counts,
        removed=removed,
        projects_by_period=by_period,
        fill_rates=fill_rates,
        fill_rates_by_period=fill_by_period,
        parse_errors_by_field=errors_by_field,
        pages_with_errors=with_errors,
        error_rate=error_rate,
        unknown_labels=_unknown_labels(conn),
        latest_run=latest,
        previous_run=previous,
        versions_in_latest_run=versions,
        fields_changed_in_latest_run=fields_changed,
        unfinished_runs=_unfinished_runs(conn),
        sources=source_figures(conn),
    )
    shares = {name: f.linked_share for name, f in report.sources.items()}
    report.gates = check_gates(gates, counts, fill_rates, error_rate, shares)
    return report


def _percent(rate: float | None) -> str:
    return "     -" if rate is None else f"{rate * 100:5.1f}%"


def _lines(title: str, pairs: Sequence[tuple[str, str]], empty: str = "none") -> list[str]:
    width = max((len(k) for k, _ in pairs), default=0)
    body = [f"  {k:<{width}}  {v}" for k, v in pairs] or [f"  {empty}"]
    return ["", title, *body]


def _run_line(run: RunSummary) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in run.counts.items())
    return f"run {run.id} ({run.kind}, {run.status}, started {run.started_at}): {counts}"


def _unfinished_line(run: RunSummary) -> str:
    return (
        f"{run.kind}, {run.status}, started {run.started_at}, last progress {run.last_progress_at}"
    )


def _fill_table(report: Report) -> list[str]:
    periods = list(report.fill_rates_by_period)
    width = max(len(name) for name in report.fill_rates)
    header = "field".ljust(width) + "".join(p.rjust(11) for p in ["all", *periods])
    rows = [
        name.ljust(width)
        + _percent(rate).rjust(11)
        + "".join(_percent(report.fill_rates_by_period[p][name]).rjust(11) for p in periods)
        for name, rate in report.fill_rates.items()
    ]
    return ["", "Field fill rates of current projects", *(f"  {r}" for r in [header, *rows])]


def _changes_lines(report: Report) -> list[str]:
    if report.latest_run is None:
        return _lines("Changes since the previous run", [], empty="no crawl runs yet")
    previous = _run_line(report.previous_run) if report.previous_run else "none"
    versions = ", ".join(f"{k} {v}" for k, v in sorted(report.versions_in_latest_run.items()))
    fields = ", ".join(f"{k} {v}" for k, v in report.fields_changed_in_latest_run.items())
    pairs = [
        ("latest", _run_line(report.latest_run)),
        ("previous", previous),
        ("project versions written by the latest run", versions or "none"),
        ("fields changed by the latest run", fields or "none"),
    ]
    return _lines("Changes since the previous run", pairs)


def render_text(report: Report, database: str) -> str:
    """The report for people: one section per figure, the gates last."""
    failed = [g.name for g in report.gates if not g.passed]
    lines = [
        f"esfbank report: {database}",
        *_lines(
            "Records per family (current; removed in brackets)",
            [(f, f"{n} ({report.removed.get(f, 0)})") for f, n in report.counts.items()],
        ),
        *_lines(
            "Projects per programme period",
            [(p, str(n)) for p, n in report.projects_by_period.items()],
        ),
        *_fill_table(report),
        *_lines(
            f"Parse errors by field ({report.pages_with_errors} pages with errors, "
            f"error rate {_percent(report.error_rate).strip()})",
            [(f, str(n)) for f, n in report.parse_errors_by_field.items()],
        ),
        *_lines(
            "Unknown labels seen (records carrying them)",
            [(k, str(n)) for k, n in report.unknown_labels.items()],
        ),
        *_changes_lines(report),
        *_lines(
            f"Runs that did not finish ok (latest {UNFINISHED_RUNS})",
            [(f"run {r.id}", _unfinished_line(r)) for r in report.unfinished_runs],
        ),
        *render_sources(report.sources),
        "",
        "Gates",
        *(f"  {'PASS' if g.passed else 'FAIL'} {g.describe()}" for g in report.gates),
        "",
        f"FAILED gates: {', '.join(failed)}" if failed else "all gates passed",
    ]
    return "\n".join(lines) + "\n"
