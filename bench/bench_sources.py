"""Importing Kohesio: rows/s for a 100,000-row country CSV (about 50 MB), and peak memory
(target: flat, < 200 MB).

Each import runs as its own `esfbank import kohesio` process into a fresh database, so its
peak resident memory is its own (bench/peak.py). Flat means the peak does not grow with the file:
it is printed for 20,000, 50,000 and 100,000 rows. The import is one transaction, and a
SQLite writer's page cache holds up to 32 MiB of it (load/engine.py CACHE_KIB): the peak grows
until the database outgrows the cache (about 50,000 rows here) and is flat from then on, so
flatness is judged between 50,000 and 100,000 rows. One row in ten repeats an operation with
a second beneficiary, as Kohesio's files do.
"""

from __future__ import annotations

import csv
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from bench.peak import run as peak_run
from load.engine import create_engine
from load.migrate import upgrade
from load.pgserver import PostgresServer, PostgresUnavailableError
from load.sources.kohesio import FIELDS

ROWS = 100_000
SIZES = (20_000, 50_000, ROWS)
SMALL_ROWS = 50_000  # past the page cache: flatness is judged from here
PEAK_TARGET_MB = 200
_PAD = "för kompetensutveckling, inkludering och anställningsbarhet i Småland och Öarna " * 2


def write_kohesio_csv(path: Path, rows: int) -> int:
    """A Kohesio-shaped CSV of `rows` rows; returns its size in bytes."""
    rng = random.Random(rows)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([name for _, name in FIELDS])
        operation = 0
        for n in range(rows):
            if n % 10 != 9:
                operation += 1
            number = f"{21 + operation % 6}-{operation % 1000:03d}-S{operation % 97:02d}"
            writer.writerow([
                f"https://linkedopendata.eu/entity/Q{7_000_000 + operation}",
                f"2021SE05SFPR001_{number}",
                f"Projekt {operation} {_PAD}",
                f"Project {operation} for skills, inclusion and employability {_PAD}",
                "Sweden",
                "SE",
                f"{1 + operation % 28:02d}/{1 + operation % 12:02d}/2023",
                f"{1 + operation % 28:02d}/{1 + operation % 12:02d}/2026",
                "40.0",
                f"{rng.randrange(100_000, 9_000_000)}.{rng.randrange(100):02d}",
                rng.choice(("EUR", "SEK")),
                f"{rng.randrange(40_000, 3_600_000)}.00",
                f"https://linkedopendata.eu/entity/Q{9_000_000 + n}",
                f"Organisation {n % 5000}",
                "2120000019",
                rng.choice(("ESF+", "ERDF")),
                "ESF+ Sverige",
                "2021-2027",
                "2021SE05SFPR001",
            ])  # fmt: skip
    return path.stat().st_size


def run_import(url: str, path: Path) -> tuple[float, float]:
    """Seconds and peak resident MB of one `esfbank import kohesio` process."""
    command = [sys.executable, "-m", "esfbank", "import", "kohesio", str(path), "--db", url]
    started = time.perf_counter()
    done = peak_run(command)
    seconds = time.perf_counter() - started
    if done.code != 0:
        raise SystemExit(f"import failed: {done.stderr}")
    return seconds, done.peak_mb


def bench_backend(label: str, new_url: Callable[[int], str], files: dict[int, Path]) -> None:
    results = {}
    for rows, path in files.items():
        url = new_url(rows)
        engine = create_engine(url)
        upgrade(engine)
        engine.dispose()
        results[rows] = run_import(url, path)
    seconds, peak = results[ROWS]
    small_peak = results[SMALL_ROWS][1]
    flat = peak - small_peak < 0.1 * small_peak
    verdict = "ok" if peak < PEAK_TARGET_MB and flat else "MISSED"
    peaks = ", ".join(f"{results[rows][1]:.1f} MB at {rows:,}" for rows in SIZES)
    print(
        f"  {label}: {ROWS:,} rows in {seconds:.1f} s = {ROWS / seconds:,.0f} rows/s; "
        f"peak {peaks} rows; flat from {SMALL_ROWS:,}, < {PEAK_TARGET_MB} MB: {verdict}",
        flush=True,
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="esfbank-bench-sources-") as folder:
        root = Path(folder)
        files = {}
        for rows in SIZES:
            files[rows] = root / f"SE-pp21-27-{rows}.csv"
            size = write_kohesio_csv(files[rows], rows)
            print(f"  wrote {rows:,} rows, {size / 1e6:.1f} MB")
        bench_backend("SQLite", lambda rows: f"sqlite:///{root / f'bench{rows}.sqlite'}", files)
        try:
            with PostgresServer() as server:
                admin = server.url
                bench_backend("PostgreSQL", lambda rows: _pg_database(admin, rows), files)
        except PostgresUnavailableError as exc:
            print(f"  PostgreSQL: not measured ({exc})")


def _pg_database(admin_url: str, rows: int) -> str:
    url = sa.make_url(admin_url)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE bench_sources_{rows}")
    engine.dispose()
    return url.set(database=f"bench_sources_{rows}").render_as_string(hide_password=False)
