"""A crawl of a misbehaving site finishes, loads everything that could be loaded, records what
failed (crawl_runs, parse_errors) and exits 1 only when failures pass the threshold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from esfbank.fixture_site import FixtureSite, Page, faults
from tests.plugins.site import CrawlTarget, esfbank, manifest_urls, query, url_kinds

pytestmark = pytest.mark.crawl

# Short limits so the timeout and the retries cost seconds, not minutes.
FAULT_ENV = {
    "ESFBANK_DOWNLOAD_TIMEOUT": "2",
    "ESFBANK_RETRY_TIMES": "2",
    "ESFBANK_RETRY_AFTER_MAX": "5",
}
LOOP_TARGET = "/resultat/projektbanken/projekt/omdirigering/"


def _project_pages() -> list[Page]:
    with FixtureSite() as site:
        return [p for p in site.manifest if p.kind == "project" and p.sitemap is not None]


def test_faults_are_recorded_and_the_rest_is_loaded(tmp_path: Path) -> None:
    pages = _project_pages()
    recover_500, recover_503, slow, reset, truncated, gone_404, gone_410, loop, huge, malformed = (
        p.path for p in pages[:10]
    )
    plan: dict[str, faults.Fault] = {
        recover_500: faults.Status(500, times=2),
        recover_503: faults.Status(503, times=1, retry_after=1),
        slow: faults.Slow(delay=4.0),
        reset: faults.Reset(after_bytes=512),
        truncated: faults.Truncated(after_bytes=512),
        gone_404: faults.Status(404),
        gone_410: faults.Status(410),
        huge: faults.Huge(),
        malformed: faults.Malformed(),
        **faults.redirect_loop(loop, LOOP_TARGET),
    }
    failing = {slow, reset, truncated, loop, huge}
    target = CrawlTarget(f"sqlite:///{tmp_path / 'crawl.sqlite'}", tmp_path / "archive")

    with FixtureSite(faults=plan) as site:
        done = esfbank("crawl", *target.flags(site), "--progress-seconds", "1", env=FAULT_ENV)
        assert done.returncode == 1, done.stdout + done.stderr  # 5 of ~60 pages: over 5 %
        # The timeouts keep this crawl going for seconds: progress lines come meanwhile.
        assert re.search(r"incremental crawl: \d+ pages done \([0-9.]+/s\)", done.stderr)

        assert site.hits[(recover_500, 500)] == 2
        assert site.hits[(recover_503, 503)] == 1
        assert site.hits[(recover_503, 200)] == 1
        assert site.hits[(huge, 200)] <= 1  # refused by size, not retried into a 60 MB download

        expected = manifest_urls(site)
        failed_urls = {site.url(p) for p in failing}
        gone_urls = {site.url(gone_404), site.url(gone_410)}
        loaded = url_kinds(target.db_url)
        for url, kind in expected.items():
            if url not in failed_urls | gone_urls:
                assert loaded.get(url) == kind, f"{url} not loaded"
        assert not (failed_urls | gone_urls) & set(loaded)

        ((status, failed, removed),) = query(
            target.db_url, "SELECT status, failed, removed FROM crawl_runs"
        )
        assert status == "ok"
        assert failed >= len(failing)
        assert removed == 0  # the gone pages were never loaded: nothing to flag
        quarantined = {
            url for (url,) in query(target.db_url, "SELECT source_url FROM parse_errors")
        }
        assert failed_urls <= quarantined
        assert "failed" in done.stdout

        # A seed run of a few pages (one under robots.txt's Disallow): under a generous
        # threshold it exits 0, and being partial it removes nothing.
        seeds = tmp_path / "seeds.txt"
        numbers = [p.project_number for p in pages[10:12] if p.project_number]
        disallowed = [p.path for p in site.manifest if p.kind == "robots-disallowed"]
        lines = [reset, recover_500, *numbers, *disallowed]
        seeds.write_text("\n".join(lines) + "\n", encoding="utf-8")
        done = esfbank(
            "crawl",
            *target.flags(site),
            "--urls",
            str(seeds),
            "--failure-threshold",
            "0.9",
            env=FAULT_ENV,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        last = query(target.db_url, "SELECT failed, removed FROM crawl_runs ORDER BY id DESC")[0]
        assert last == (1, 0)
        assert f"{len(disallowed)} disallowed by robots.txt" in done.stdout, done.stdout
        for path in disallowed:
            assert site.hits.count(target=path) == 0


def test_unreachable_robots_txt_means_crawl_nothing_and_remove_nothing(tmp_path: Path) -> None:
    """RFC 9309: robots.txt answering 5xx leaves the rules unknown, so nothing else is fetched,
    the run fails, and, being incomplete, flags nothing as removed; a 4xx means no rules."""
    target = CrawlTarget(f"sqlite:///{tmp_path / 'crawl.sqlite'}", tmp_path / "archive")
    with FixtureSite() as site:
        esfbank("crawl", *target.flags(site), env=FAULT_ENV, check_exit=0)
    loaded = query(target.db_url, "SELECT COUNT(*) FROM projects WHERE removed_at IS NULL")

    with FixtureSite(faults={"/robots.txt": faults.Status(503)}) as site:
        done = esfbank("crawl", *target.flags(site), env=FAULT_ENV)
        assert done.returncode == 1, done.stdout + done.stderr
        assert site.hits.targets() == {"/robots.txt"}
    assert query(target.db_url, "SELECT removed FROM crawl_runs ORDER BY id DESC")[0] == (0,)
    assert query(target.db_url, "SELECT COUNT(*) FROM projects WHERE removed_at IS NULL") == loaded

    with FixtureSite(faults={"/robots.txt": faults.Status(403)}) as site:
        # On another port every page has a new address: the old ones, all unlisted now, are
        # more than the mass-removal guard lets a run flag unless told to.
        flags = (*target.flags(site), "--allow-mass-removal")
        done = esfbank("crawl", *flags, env=FAULT_ENV)
        assert done.returncode == 0, done.stdout + done.stderr
        assert site.hits.count(target="/sitemap.xml") == 1
