"""End-to-end crawl of a synthetic fixture site on loopback: pages/s, peak memory, nightly share.

Runs `esfbank crawl` as a subprocess (as a user would) against `FixtureSite(synthetic=N)`, into
a fresh SQLite file: first the full crawl, then the nightly crawl of the unchanged site. Rates
are over wall-clock time of the whole command (interpreter start-up and migration included);
peak memory is the crawl subprocess's maximum RSS. Loopback is no real site, so the benchmark
raises concurrency and turns AutoThrottle off; the defaults for real sites stay polite.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from esfbank.fixture_site import FixtureSite
from load.engine import create_engine

PAGES = int(os.environ.get("BENCH_CRAWL_PAGES", "2000"))
CONCURRENCY = "16"
TARGET_PAGES_PER_SECOND = 80.0
TARGET_PEAK_MB = 200.0
TARGET_NIGHTLY_SHARE = 0.10
CRAWL_SECONDS = re.compile(r" in ([0-9.]+)s:")


def _crawl(site: FixtureSite, db_url: str, archive: Path) -> tuple[float, float]:
    """Run one crawl (it must exit 0): wall-clock seconds of the command, and of the crawl
    itself as the command reports it (without interpreter start-up and imports)."""
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "esfbank",
            "crawl",
            "--base-url",
            site.base_url,
            "--db",
            db_url,
            "--archive",
            str(archive),
            "--no-autothrottle",
            "--concurrency",
            CONCURRENCY,
            "--download-delay",
            "0",
            "--progress-seconds",
            "5",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"crawl exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    print("   ", done.stdout.strip().replace("\n", "\n    "))
    match = CRAWL_SECONDS.search(done.stdout)
    return elapsed, float(match.group(1)) if match else elapsed


def _pages_loaded(db_url: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT COUNT(*) FROM url_state")).scalar_one())
    finally:
        engine.dispose()


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, FixtureSite(synthetic=PAGES, seed=1) as site:
        db_url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        archive = Path(tmp) / "archive"
        print(f"  synthetic site: {len(site.manifest)} pages at {site.base_url}")

        full_seconds, full_crawl_seconds = _crawl(site, db_url, archive)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        pages = _pages_loaded(db_url)
        rate = pages / full_seconds
        fast_enough = _verdict(rate >= TARGET_PAGES_PER_SECOND)
        print(
            f"  full crawl: {pages} pages in {full_seconds:.1f} s = {rate:.0f} pages/s "
            f"(target >= {TARGET_PAGES_PER_SECOND:.0f}: {fast_enough})"
        )
        print(
            f"  peak memory of the crawl: {peak_mb:.0f} MB "
            f"(target < {TARGET_PEAK_MB:.0f}: {_verdict(peak_mb < TARGET_PEAK_MB)})"
        )

        nightly_seconds, nightly_crawl_seconds = _crawl(site, db_url, archive)
        share = nightly_seconds / full_seconds
        crawl_share = nightly_crawl_seconds / full_crawl_seconds
        small_enough = _verdict(share <= TARGET_NIGHTLY_SHARE)
        print(
            f"  nightly crawl, nothing changed: {nightly_seconds:.1f} s = {share:.1%} of the full "
            f"crawl (target <= {TARGET_NIGHTLY_SHARE:.0%}: {small_enough})"
        )
        print(
            f"  the same without start-up (crawl phase only): {nightly_crawl_seconds:.1f} s of "
            f"{full_crawl_seconds:.1f} s = {crawl_share:.1%}"
        )


if __name__ == "__main__":
    main()
