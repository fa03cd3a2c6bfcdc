"""End-to-end crawl of a synthetic fixture site on loopback: pages/s, peak memory, nightly share.

Runs `esfbank crawl` as a subprocess (as a user would) against `FixtureSite(synthetic=N)` whose
pages weigh what real project pages weigh (about 50 KB, the page DESIGN.md's parse target is
for), into a fresh SQLite file: first the full crawl, then the nightly crawl of the unchanged
site, a few times (the median counts: the machine is shared). Rates are over wall-clock time of
the whole command (interpreter start-up and migration included); peak memory is the crawl
subprocess's own maximum RSS (bench/peak.py). Loopback is no real site, so the benchmark raises
concurrency and turns AutoThrottle off; the defaults for real sites stay polite.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.peak import run as peak_run
from esfbank.fixture_site import FixtureSite
from load.engine import create_engine

# The issue asks for at least 2,000 pages; the real bank is several thousand project and news
# pages, and a nightly run's start-up (~0.8 s of imports) does not grow with the site, so the
# nightly share is measured on a site of about the real one's size. BENCH_CRAWL_PAGES=2000
# gives the smallest allowed run (its nightly share is about 9-10 % on this 2-core machine).
PAGES = int(os.environ.get("BENCH_CRAWL_PAGES", "5000"))
PAGE_KB = 50  # a real project page with its inline menu data and scripts
NIGHTLY_RUNS = 3
CONCURRENCY = "16"
TARGET_PAGES_PER_SECOND = 80.0
TARGET_PEAK_MB = 200.0
TARGET_NIGHTLY_SHARE = 0.10
CRAWL_SECONDS = re.compile(r" in ([0-9.]+)s:")


def _crawl(
    site: FixtureSite, db_url: str, archive: Path, *, echo: bool = True
) -> tuple[float, float, float]:
    """Run one crawl (it must exit 0): wall-clock seconds of the command, and of the crawl
    itself as the command reports it (without interpreter start-up and imports), and the
    command's peak resident MB."""
    started = time.perf_counter()
    done = peak_run(
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
        ]
    )
    elapsed = time.perf_counter() - started
    if done.code != 0:
        raise SystemExit(f"crawl exited {done.code}:\n{done.stdout}\n{done.stderr}")
    if echo:
        print("   ", done.stdout.strip().replace("\n", "\n    "))
    match = CRAWL_SECONDS.search(done.stdout)
    return elapsed, float(match.group(1)) if match else elapsed, done.peak_mb


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
    site = FixtureSite(synthetic=PAGES, seed=1, page_kb=PAGE_KB)
    with tempfile.TemporaryDirectory() as tmp, site:
        db_url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        archive = Path(tmp) / "archive"
        print(
            f"  synthetic site: {len(site.manifest)} pages at {site.base_url}, "
            f"project and news pages padded to {PAGE_KB} KB like real ones"
        )

        full_seconds, full_crawl_seconds, peak_mb = _crawl(site, db_url, archive)
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

        nightly = [_crawl(site, db_url, archive, echo=run == 0) for run in range(NIGHTLY_RUNS)]
        nightly_seconds = statistics.median(seconds for seconds, _, _ in nightly)
        nightly_crawl_seconds = statistics.median(seconds for _, seconds, _ in nightly)
        share = nightly_seconds / full_seconds
        crawl_share = nightly_crawl_seconds / full_crawl_seconds
        small_enough = _verdict(share <= TARGET_NIGHTLY_SHARE)
        print(
            f"  nightly crawl, nothing changed (median of {NIGHTLY_RUNS}): {nightly_seconds:.2f} s "
            f"= {share:.1%} of the full crawl (target <= {TARGET_NIGHTLY_SHARE:.0%}: "
            f"{small_enough})"
        )
        print(
            f"  the same without start-up (crawl phase only): {nightly_crawl_seconds:.2f} s of "
            f"{full_crawl_seconds:.1f} s = {crawl_share:.1%}"
        )


if __name__ == "__main__":
    main()
