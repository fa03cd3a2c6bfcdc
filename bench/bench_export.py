"""Export: rows/s for 100,000 projects per format, and peak memory (target: flat, < 200 MB).

Each export of v_projects runs as its own `esfbank export` process, so its peak resident memory
is its own (bench/peak.py). Flat means the peak does not grow with the rows: it is printed for
30,000 rows and for 100,000 rows side by side.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.peak import run as peak_run
from load.engine import create_engine
from load.migrate import upgrade
from load.pgserver import PostgresServer, PostgresUnavailableError
from load.schema import projects, regions

ROWS = 100_000
SMALL_ROWS = 30_000  # more than one fetch batch and one Parquet row group
BATCH = 10_000  # ROWS is a multiple of it
PEAK_TARGET_MB = 200
FORMATS = ("csv", "jsonl", "parquet")
PERIODS = ("2007-2013", "2014-2020", "2021-2027")


def _project_rows(start: int, count: int, region_names: list[str]) -> list[dict[str, object]]:
    rng = random.Random(start)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows = []
    for n in range(start, start + count):
        begin = dt.date(2008, 1, 1) + dt.timedelta(days=rng.randrange(5000))
        granted = rng.randrange(100_000, 50_000_000)
        rows.append(
            {
                "project_key": f"2014-2020 {n:07d}",
                "programme_period": rng.choice(PERIODS),
                "project_number": f"{n:07d}",
                "source_url": f"https://www.esf.se/resultat/projektbanken/projekt/?dnr={n}",
                "title": f"Projekt {n} för kompetensutveckling i Småland och Öarna",
                "owner": "Kommunförbundet Kalmar län",
                "region": rng.choice(region_names),
                "programme_area": "2",
                "specific_objective": "2.3",
                "start_date": begin,
                "end_date": begin + dt.timedelta(days=rng.randrange(90, 1500)),
                "total_budget_sek": granted * 2,
                "granted_esf_sek": granted,
                "eu_cofinancing_rate_pct": 40.0,
                "planned_participants": rng.randrange(5, 900),
                "contact_name": "Anna Andersson",
                "contact_email": "anna.andersson@example.se",
                "strategic_importance": rng.random() < 0.2,
                "sections": {"Syfte": "Att stärka deltagarnas ställning på arbetsmarknaden."},
                "text_truncated": False,
                "unknown_labels": [],
                "content_hash": f"{n:064x}",
                "first_seen_at": now,
                "last_changed_at": now,
            }
        )
    return rows


def fill_database(url: str, rows: int) -> str:
    """Migrate the (empty) database at `url` and give it `rows` synthetic projects: one batch
    inserted from Python, then copied inside the database under new keys (fast on both)."""
    engine = create_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        region_names = list(conn.execute(sa.select(regions.c.name)).scalars())
        conn.execute(projects.insert(), _project_rows(0, BATCH, region_names))
    columns = [c for c in projects.columns if c.name != "id"]
    for copy in range(1, rows // BATCH):
        renamed = [
            (c + f"#{copy}").label(c.name) if c.name in ("project_key", "project_number") else c
            for c in columns
        ]
        query = sa.select(*renamed).where(projects.c.id <= BATCH).order_by(projects.c.id)
        with engine.begin() as conn:
            conn.execute(projects.insert().from_select([c.name for c in columns], query))
    engine.dispose()
    return url


def run_export(url: str, fmt: str, out: Path, *extra: str) -> tuple[float, float]:
    """Seconds and peak resident MB of one `esfbank export` process."""
    command = [sys.executable, "-m", "esfbank", "export", "--view", "v_projects"]
    command += ["--format", fmt, "--out", str(out), "--db", url, *extra]
    started = time.perf_counter()
    done = peak_run(command)
    seconds = time.perf_counter() - started
    if done.code != 0:
        raise SystemExit(f"export failed: {done.stderr}")
    return seconds, done.peak_mb


def _shrink(url: str, rows: int) -> None:
    """Keep the first `rows` projects (cheaper than building a second database)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.delete(projects).where(projects.c.id > rows))
    engine.dispose()


def bench_backend(label: str, url: str, root: Path) -> None:
    started = time.perf_counter()
    fill_database(url, ROWS)
    print(f"  {label}: built {ROWS:,} projects in {time.perf_counter() - started:.1f} s")
    large = {fmt: run_export(url, fmt, root / f"v_projects.{fmt}") for fmt in FORMATS}
    _shrink(url, SMALL_ROWS)
    small = {fmt: run_export(url, fmt, root / f"v_projects.{fmt}")[1] for fmt in FORMATS}
    print(
        f"  {'format':8} {'rows/s':>10} {'seconds':>8} {'peak MB 30k':>12} "
        f"{'peak MB 100k':>13}  target"
    )
    for fmt in FORMATS:
        seconds, peak = large[fmt]
        flat = peak - small[fmt] < 0.1 * small[fmt]
        verdict = "ok" if peak < PEAK_TARGET_MB and flat else "MISSED"
        print(
            f"  {fmt:8} {ROWS / seconds:>10,.0f} {seconds:>8.2f} {small[fmt]:>12.1f} "
            f"{peak:>13.1f}  flat, < {PEAK_TARGET_MB} MB: {verdict}",
            flush=True,
        )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="esfbank-bench-export-") as folder:
        root = Path(folder)
        bench_backend("SQLite", f"sqlite:///{root / 'bench.sqlite'}", root)
        try:
            with PostgresServer() as server:
                bench_backend("PostgreSQL (server-side cursor)", server.url, root)
        except PostgresUnavailableError as exc:
            print(f"  PostgreSQL: not measured ({exc})")
