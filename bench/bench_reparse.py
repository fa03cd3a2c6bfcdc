"""`esfbank reparse` of 5,000 archived pages with 1 job and with one per core, side by side.

The archive holds the synthetic site's project and news pages (bench_crawl's, padded to real
pages' weight), written straight into a raw archive as a crawl would have kept them. Each run is
the whole command as a user runs it (interpreter start-up included) into an empty migrated
SQLite database; runs alternate 1 job / N jobs so a busy neighbour slows both alike, and the
speed-up is the ratio of the medians. DESIGN.md's target: ≥ 1.7 with 2 jobs on 2 cores.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_crawl import PAGE_KB
from esfbank import config
from esfbank.fixture_site.paths import BASE_PLACEHOLDER, file_for
from esfbank.fixture_site.server import DEFAULT_ROOT
from esfbank.fixture_site.synthetic import SyntheticSource
from load.archive import Archive

PAGES = int(os.environ.get("BENCH_REPARSE_PAGES", "5000"))
RUNS = int(os.environ.get("BENCH_REPARSE_RUNS", "3"))
TARGET_SPEED_UP = 1.7
_FETCHED_AT = dt.datetime(2026, 1, 5, 3, 0, tzinfo=dt.UTC)
_HTML = {"Content-Type": ["text/html; charset=utf-8"]}


def build_archive(root: Path, pages: int = PAGES) -> int:
    """The synthetic site's content pages in a raw archive; returns how many were archived."""
    site = SyntheticSource(pages, seed=1, template_root=DEFAULT_ROOT, page_kb=PAGE_KB)
    base = config.DEFAULT_BASE_URL
    archived = 0
    with Archive(root) as archive:
        for page in site.manifest.pages:
            if page.kind not in {"project", "news"}:
                continue
            body = site.read(file_for(page.path))
            assert body is not None, page.path
            body = body.replace(BASE_PLACEHOLDER.encode(), base.encode())
            archive.put(base + page.path, 200, _HTML, body, _FETCHED_AT)
            archived += 1
    return archived


def _reparse(archive: Path, template: Path, folder: Path, jobs: int) -> tuple[float, str]:
    """Wall-clock seconds of one `esfbank reparse --jobs N` into a copy of the empty database."""
    db = folder / f"reparse-{jobs}.sqlite"
    shutil.copyfile(template, db)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "esfbank", "reparse", "--db", f"sqlite:///{db}",
         "--archive", str(archive), "--jobs", str(jobs)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "ESFBANK_PROGRESS_SECONDS": "0"},
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"reparse --jobs {jobs} exited {done.returncode}:\n{done.stderr}")
    db.unlink()
    return seconds, done.stdout.split(": ", 2)[2].strip()  # the counts, without the run id


def main() -> None:
    jobs = config.jobs()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        pages = build_archive(folder / "archive")
        print(f"  archive: {pages} pages of about {PAGE_KB} KB, written in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        template = folder / "empty.sqlite"
        subprocess.run(
            [sys.executable, "-m", "esfbank", "db", "upgrade", "--db", f"sqlite:///{template}"],
            capture_output=True, check=True,
        )  # fmt: skip
        one: list[float] = []
        many: list[float] = []
        for run in range(RUNS):
            seconds_one, counts_one = _reparse(folder / "archive", template, folder, 1)
            seconds_many, counts_many = _reparse(folder / "archive", template, folder, jobs)
            assert counts_one == counts_many, (counts_one, counts_many)
            one.append(seconds_one)
            many.append(seconds_many)
            print(f"  run {run + 1}: 1 job {seconds_one:.2f} s, {jobs} jobs {seconds_many:.2f} s "
                  f"(speed-up {seconds_one / seconds_many:.2f}); {counts_one}")  # fmt: skip
    median_one, median_many = statistics.median(one), statistics.median(many)
    speed_up = median_one / median_many
    verdict = "ok" if speed_up >= TARGET_SPEED_UP else "MISSED"
    print(f"  reparse, 1 job      median {median_one:.2f} s = {pages / median_one:.0f} pages/s")
    print(f"  reparse, {jobs} jobs     median {median_many:.2f} s = "
          f"{pages / median_many:.0f} pages/s")  # fmt: skip
    print(f"  speed-up {speed_up:.2f} on {jobs} cores (target ≥ {TARGET_SPEED_UP} on 2 cores: "
          f"{verdict}; start-up included)")  # fmt: skip


if __name__ == "__main__":
    main()
