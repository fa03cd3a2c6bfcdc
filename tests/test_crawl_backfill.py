"""`esfbank backfill` interrupted mid-run (Ctrl-C, or kill -9), then `--resume`d: the database
equals that of an uninterrupted backfill, and no page the journal recorded as done is downloaded
again."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from crawler.journal import read_journal
from crawler.runner import journal_path
from esfbank.fixture_site import FixtureSite, faults
from tests.plugins.site import CrawlTarget, esfbank, query, spawn_esfbank, table_snapshot

pytestmark = pytest.mark.crawl

# Small batches so the journal grows while the crawl runs; slow pages keep the run going.
BACKFILL_ENV = {"ESFBANK_BATCH_SIZE": "4"}
DONE_BEFORE_KILL = 12
WAIT_LIMIT_SECONDS = 60.0


def _wait_for_journal(path: Path, process: subprocess.Popen[str], lines: int) -> int:
    """Poll (bounded) until the journal records `lines` finished pages; returns how many."""
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    done = 0
    while time.monotonic() < deadline and process.poll() is None:
        done = len(read_journal(path).done)
        if done >= lines:
            break
        time.sleep(0.05)
    return done


@pytest.mark.parametrize(
    ("interruption", "exit_code"),
    [(signal.SIGINT, 130), (signal.SIGKILL, -signal.SIGKILL)],
    ids=["ctrl-c", "kill-9"],
)
def test_backfill_resumes_to_the_same_tables(
    tmp_path: Path, interruption: signal.Signals, exit_code: int
) -> None:
    with FixtureSite() as probe:
        news = [p.path for p in probe.manifest if p.kind == "news"]
    slow = {path: faults.Slow(delay=5.0, times=1) for path in news[-3:]}

    with FixtureSite(faults=slow) as site:
        killed = CrawlTarget(f"sqlite:///{tmp_path / 'killed.sqlite'}", tmp_path / "killed")
        journal = journal_path(killed.archive, killed.db_url)
        process = spawn_esfbank("backfill", *killed.flags(site), env=BACKFILL_ENV)
        try:
            done = _wait_for_journal(journal, process, DONE_BEFORE_KILL)
            assert process.poll() is None, "backfill finished before it could be killed"
            assert done >= DONE_BEFORE_KILL
        finally:
            os.kill(process.pid, interruption)
            process.communicate(timeout=120)
        assert process.returncode == exit_code

        finished_before = read_journal(journal).done
        hits_before = site.hits.snapshot()
        esfbank("backfill", "--resume", *killed.flags(site), env=BACKFILL_ENV, check_exit=0)
        resumed_hits = site.hits.snapshot() - hits_before
        downloaded = {t for (t, status) in resumed_hits if status == 200}
        finished_targets = {url.removeprefix(site.base_url) for url in finished_before}
        assert len(finished_targets) >= DONE_BEFORE_KILL
        assert downloaded - {"/robots.txt"} - finished_targets, "the resume fetched nothing new"
        assert downloaded & finished_targets == set()
        assert not journal.exists(), "a finished backfill leaves no journal to resume"

        whole = CrawlTarget(f"sqlite:///{tmp_path / 'whole.sqlite'}", tmp_path / "whole")
        esfbank("backfill", *whole.flags(site), env=BACKFILL_ENV, check_exit=0)

    assert table_snapshot(killed.db_url) == table_snapshot(whole.db_url)
    runs = query(killed.db_url, "SELECT kind, status FROM crawl_runs ORDER BY id")
    assert runs == [("backfill", "interrupted"), ("backfill", "ok")]
