"""`esfbank reparse` of 5,000 archived pages with 1 job and with one per core, side by side.

The archive holds the synthetic site's project and news pages (bench_crawl's, padded to real
pages' weight), written straight into a raw archive as a crawl would have kept them. Each run is
the whole command as a user runs it (interpreter start-up included) into an empty migrated
SQLite database; runs alternate 1 job / N jobs so a busy neighbour slows both alike, and the
speed-up is the ratio of the medians. DESIGN.md's target: ≥ 1.7 with 2 jobs on 2 cores.
Beside it, as its reference, the speed-up the machine allows at that moment: a bare CPU loop in
N processes against one (on a shared machine whose scheduler gives each session a fixed share,
it stays near 1 however many processes run). The CPU time of each run (the command and its
workers) is printed too: it shows what the workers cost beyond the one-process run.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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
SPIN = 10_000_000  # iterations of the reference loop: about half a second on a quiet core
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


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float  # wall clock
    cpu_seconds: float  # user + system of the command and its workers
    counts: str  # the summary line without its run id


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _reparse(archive: Path, template: Path, folder: Path, jobs: int) -> Run:
    """One `esfbank reparse --jobs N` into a copy of the empty database."""
    db = folder / f"reparse-{jobs}.sqlite"
    shutil.copyfile(template, db)
    cpu = _cpu_of_children()
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
    return Run(seconds, _cpu_of_children() - cpu, done.stdout.split(": ", 2)[2].strip())


def _spin(count: int) -> int:
    total = 0
    for i in range(count):
        total += i
    return total


def parallel_ceiling(jobs: int, count: int = SPIN) -> float:
    """How much faster `jobs` processes run `jobs` equal CPU-bound loops than one process runs
    them in turn: the speed-up this machine allows right now (below `jobs` when it is busy)."""
    started = time.perf_counter()
    for _ in range(jobs):
        _spin(count)
    serial = time.perf_counter() - started
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        pool.map(_spin, [count] * jobs)
    return serial / (time.perf_counter() - started)


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
        ceilings = [parallel_ceiling(jobs)]
        one: list[Run] = []
        many: list[Run] = []
        for run in range(RUNS):
            one.append(_reparse(folder / "archive", template, folder, 1))
            many.append(_reparse(folder / "archive", template, folder, jobs))
            assert one[-1].counts == many[-1].counts, (one[-1].counts, many[-1].counts)
            print(f"  run {run + 1}: 1 job {one[-1].seconds:.2f} s, {jobs} jobs "
                  f"{many[-1].seconds:.2f} s (speed-up {one[-1].seconds / many[-1].seconds:.2f}); "
                  f"CPU {one[-1].cpu_seconds:.1f} s and {many[-1].cpu_seconds:.1f} s")  # fmt: skip
        print(f"  each run: {one[0].counts}")
        ceilings.append(parallel_ceiling(jobs))
    median_one = statistics.median(r.seconds for r in one)
    median_many = statistics.median(r.seconds for r in many)
    speed_up = median_one / median_many
    verdict = "ok" if speed_up >= TARGET_SPEED_UP else "MISSED"
    rate_one, rate_many = pages / median_one, pages / median_many
    print(f"  reparse, 1 job      median {median_one:.2f} s = {rate_one:.0f} pages/s")
    print(f"  reparse, {jobs} jobs     median {median_many:.2f} s = {rate_many:.0f} pages/s")
    print(
        f"  speed-up {speed_up:.2f} on {jobs} cores "
        f"(target ≥ {TARGET_SPEED_UP} on 2 cores: {verdict}; start-up included)"
    )
    print(
        f"  reference: a bare CPU loop in {jobs} processes against 1, before and after: "
        f"{ceilings[0]:.2f} and {ceilings[1]:.2f} (what the machine allowed; {jobs} if idle)"
    )


if __name__ == "__main__":
    main()
