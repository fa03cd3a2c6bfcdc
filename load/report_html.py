"""`esfbank report --html`: the quality report as one self-contained page, with charts.

Everything is inline (styles and SVG charts from load/svg.py): the file opens offline, needs no
script, and can be mailed or archived as it is. The figures beside the text report's are
computed here with portable SQL: support and projects per region and period, projects started
per year, and the last runs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from html import escape

import sqlalchemy as sa

from load.report import Report
from load.schema import crawl_runs, projects
from load.svg import bar_chart, heat_map

LAST_RUNS = 10
_RUN_COUNTS = ("new", "changed", "removed", "failed")
_NO_REGION = "(no region)"
_STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
figure { margin: 1.5em 0; overflow-x: auto; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 0.85em; }
.failed { color: #b00020; font-weight: bold; } .passed { color: #006b3c; font-weight: bold; }
"""


@dataclass(frozen=True, slots=True)
class ChartData:
    """What the charts show that the text report does not list."""

    by_region: dict[str, dict[str, tuple[int, int]]]  # region → period → (projects, granted)
    started_per_year: dict[str, int]
    runs: list[tuple[str, dict[str, int]]]  # "run 7 (crawl, ok)", counts; oldest first


def chart_data(conn: sa.Connection) -> ChartData:
    p = projects.c
    current = p.removed_at.is_(None)
    by_region: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    rows = conn.execute(
        sa.select(p.region, p.programme_period, sa.func.count(), sa.func.sum(p.granted_esf_sek))
        .where(current)
        .group_by(p.region, p.programme_period)
        .order_by(p.region, p.programme_period)
    )
    for region, period, count, granted in rows:
        by_region[region or _NO_REGION][period] = (count, int(granted or 0))
    starts = conn.execute(sa.select(p.start_date).where(current, p.start_date.is_not(None)))
    per_year: dict[str, int] = defaultdict(int)
    for (start,) in starts:
        per_year[str(start.year)] += 1
    r = crawl_runs.c
    last = conn.execute(
        sa.select(r.id, r.kind, r.status, *(r[c] for c in _RUN_COUNTS))
        .order_by(r.id.desc())
        .limit(LAST_RUNS)
    ).all()
    runs = [
        (f"run {row.id} ({row.kind}, {row.status})", {c: getattr(row, c) for c in _RUN_COUNTS})
        for row in reversed(last)
    ]
    return ChartData(dict(by_region), dict(sorted(per_year.items())), runs)


def _kronor(value: float) -> str:
    return f"{value / 1e6:,.1f} MSEK".replace(",", " ")


def _figures(report: Report, data: ChartData) -> list[str]:
    periods = sorted({period for values in data.by_region.values() for period in values})
    regions = sorted(data.by_region)
    granted = [(r, {p: v[1] for p, v in data.by_region[r].items()}) for r in regions]
    counted = [(r, {p: v[0] for p, v in data.by_region[r].items()}) for r in regions]
    fill = report.fill_rates_by_period
    return [
        bar_chart("Granted ESF support per region and period", granted, periods, _kronor),
        bar_chart("Projects per region and period", counted, periods),
        bar_chart(
            "Projects started per year",
            [(year, {"projects": n}) for year, n in data.started_per_year.items()],
            ["projects"],
        ),
        heat_map(
            "Field fill rates per period (current projects)",
            list(report.fill_rates),
            list(fill),
            lambda field, period: fill[period].get(field),
        ),
        bar_chart(
            f"Changes of the last {LAST_RUNS} runs",
            [(label, {k: float(v) for k, v in counts.items()}) for label, counts in data.runs],
            list(_RUN_COUNTS),
        ),
    ]


def render_html(report: Report, data: ChartData, text: str, database: str) -> str:
    """The page: verdict, charts, then the text report as printed."""
    failed = [g.describe() for g in report.gates if not g.passed]
    verdict = (
        f'<p class="failed">{len(failed)} gate(s) failed: {escape("; ".join(failed))}</p>'
        if failed
        else '<p class="passed">All quality gates passed.</p>'
    )
    figures = "\n".join(f"<figure>{svg}</figure>" for svg in _figures(report, data))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>esfbank report</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>esfbank report</h1>
<p>Database: {escape(database)}</p>
{verdict}
<h2>Charts</h2>
{figures}
<h2>The report</h2>
<pre>{escape(text)}</pre>
</body>
</html>
"""
