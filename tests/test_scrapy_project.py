"""The checkout is a Scrapy project: `scrapy crawl esf` runs the nightly crawl (and `-a
backfill=1` a backfill) as `esfbank crawl` does, `scrapy list` names the spider, and `scrapy
parse` shows what the spider makes of one page without opening a run or a database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawler.settings import complete_scrapy_settings, crawl_settings
from esfbank import config
from esfbank.fixture_site import FixtureSite
from tests.plugins.site import CLI_TIMEOUT_SECONDS, CrawlTarget, esfbank, query, table_snapshot

CHECKOUT = Path(__file__).resolve().parent.parent
# Loopback is not a real site: hurry, as `CrawlTarget.flags` does for `esfbank crawl`.
LOOPBACK = ("AUTOTHROTTLE_ENABLED=0", "DOWNLOAD_DELAY=0", "CONCURRENT_REQUESTS_PER_DOMAIN=8")
# url_state without run ids, timestamps and surrogate ids (the record's natural key instead).
URL_STATE = """
SELECT u.url, u.kind, u.http_status, u.etag, u.last_modified, u.sitemap_lastmod,
       u.content_hash, u.archive_key, u.removed, u.redirected_to, u.capture_url,
       p.project_key, n.article_key
FROM url_state u
LEFT JOIN projects p ON p.id = u.project_id
LEFT JOIN news_articles n ON n.id = u.news_id
ORDER BY u.url"""
RUNS = "SELECT kind, status, fetched, new, changed, unchanged, removed, failed FROM crawl_runs"


def scrapy(
    *args: str, env: dict[str, str] | None = None, cwd: Path = CHECKOUT, exit_code: int = 0
) -> subprocess.CompletedProcess[str]:
    """`scrapy ARGS` in the checkout (its scrapy.cfg makes it the project), its exit checked."""
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "ESFBANK_PROGRESS_SECONDS": "0", **(env or {})},
        timeout=CLI_TIMEOUT_SECONDS,
    )
    assert done.returncode == exit_code, f"scrapy {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done


def settings_flags(*pairs: str) -> list[str]:
    return [flag for pair in pairs for flag in ("-s", pair)]


def test_scrapy_crawl_loads_the_same_tables_as_esfbank_crawl(
    fixture_site: FixtureSite, tmp_path: Path
) -> None:
    by_esfbank = CrawlTarget(f"sqlite:///{tmp_path / 'esfbank.sqlite'}", tmp_path / "archive-a")
    esfbank("crawl", *by_esfbank.flags(fixture_site), check_exit=0)
    by_scrapy = f"sqlite:///{tmp_path / 'scrapy.sqlite'}"
    done = scrapy(
        "crawl",
        "esf",
        "-a",
        f"base_url={fixture_site.base_url}",
        *settings_flags(
            f"ESFBANK_DB={by_scrapy}",
            f"ESFBANK_ARCHIVE={tmp_path / 'archive-b'}",
            "LOG_LEVEL=INFO",
            *LOOPBACK,
        ),
    )
    assert "'esfbank/status': 'ok'" in done.stderr  # the outcome, in Scrapy's stats
    assert "'esfbank/exit_code': 0" in done.stderr
    expected, loaded = table_snapshot(by_esfbank.db_url), table_snapshot(by_scrapy)
    assert loaded == expected
    assert all(loaded[table] for table in ("projects", "news_articles", "project_partners"))
    assert query(by_scrapy, URL_STATE) == query(by_esfbank.db_url, URL_STATE)
    assert query(by_scrapy, RUNS) == query(by_esfbank.db_url, RUNS)
    assert query(by_scrapy, "SELECT kind, status FROM crawl_runs") == [("crawl", "ok")]


def test_scrapy_crawl_exits_1_when_the_run_failed_as_esfbank_crawl_does(tmp_path: Path) -> None:
    """A sitemap that cannot be read leaves the run incomplete: `esfbank crawl` exits 1, and so
    must `scrapy crawl esf` (cron and CI read the exit code, not the stats)."""
    db_url = f"sqlite:///{tmp_path / 'scrapy.sqlite'}"
    with FixtureSite() as site:
        site.set_page("/sitemaps/projekt-2014-2020.xml", "<urlset><url><loc>")
        done = scrapy(
            "crawl",
            "esf",
            "-a",
            f"base_url={site.base_url}",
            *settings_flags(
                f"ESFBANK_DB={db_url}",
                f"ESFBANK_ARCHIVE={tmp_path / 'a'}",
                "LOG_LEVEL=INFO",
                *LOOPBACK,
            ),
            exit_code=1,
        )
    assert "'esfbank/exit_code': 1" in done.stderr
    assert "discovery source not read" in done.stderr
    assert query(db_url, "SELECT kind, status FROM crawl_runs") == [("crawl", "ok")]


def test_scrapy_backfill_takes_its_database_and_archive_from_the_environment(
    fixture_site: FixtureSite, tmp_path: Path
) -> None:
    db_url, archive = f"sqlite:///{tmp_path / 'backfill.sqlite'}", tmp_path / "archive"
    by_esfbank = CrawlTarget(f"sqlite:///{tmp_path / 'esfbank.sqlite'}", tmp_path / "archive-a")
    esfbank("backfill", *by_esfbank.flags(fixture_site), check_exit=0)
    scrapy(
        "crawl",
        "esf",
        "-a",
        f"base_url={fixture_site.base_url}",
        "-a",
        "backfill=1",
        *settings_flags(*LOOPBACK),
        env={"ESFBANK_DB": db_url, "ESFBANK_ARCHIVE": str(archive)},
    )
    assert query(db_url, "SELECT kind, status FROM crawl_runs") == [("backfill", "ok")]
    assert table_snapshot(db_url) == table_snapshot(by_esfbank.db_url)
    assert list((archive / "journals").iterdir()) == []  # finished: nothing left to resume


def test_scrapy_list_names_the_spider() -> None:
    assert scrapy("list").stdout.split() == ["esf"]


def test_scrapy_parse_shows_the_record_and_opens_no_database(
    fixture_site: FixtureSite, tmp_path: Path
) -> None:
    page = next(p for p in fixture_site.manifest if p.kind == "project")
    db_file = tmp_path / "never.sqlite"
    done = scrapy(
        "parse",
        "--spider",
        "esf",
        "-a",
        f"base_url={fixture_site.base_url}",
        fixture_site.url(page.path),
        env={"ESFBANK_DB": f"sqlite:///{db_file}", "ESFBANK_ARCHIVE": str(tmp_path / "a")},
    )
    assert "# Scraped Items" in done.stdout
    assert f"'source_url': '{fixture_site.url(page.path)}'" in done.stdout
    assert "'total_budget_sek': " in done.stdout
    assert not db_file.exists()
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize(
    ("environ", "cmdline", "expected"),
    [
        ({}, {}, "sqlite:///data/esfbank.sqlite"),
        ({"ESFBANK_DB": "sqlite:///env.sqlite"}, {}, "sqlite:///env.sqlite"),
        (
            {"ESFBANK_DB": "sqlite:///env.sqlite"},
            {"ESFBANK_DB": "sqlite:///s.sqlite"},
            "sqlite:///s.sqlite",
        ),
    ],
)
def test_scrapy_settings_take_the_environment_below_dash_s(
    environ: dict[str, str], cmdline: dict[str, Any], expected: str
) -> None:
    """`scrapy crawl -s` wins over ESFBANK_* variables, which win over crawler/settings.py."""
    settings = crawl_settings(environ={})  # this module's settings, as Scrapy loads them
    settings.setdict(cmdline, priority="cmdline")
    complete_scrapy_settings(settings, environ)
    assert settings.get("ESFBANK_DB") == expected


def test_the_scrapy_defaults_are_esfbanks() -> None:
    """Both entry points crawl into the same place unless told otherwise."""
    settings = crawl_settings(environ={})
    assert settings.get("ESFBANK_DB") == config.DEFAULT_DB_URL
    assert Path(settings.get("ESFBANK_ARCHIVE")) == config.DEFAULT_ARCHIVE_DIR
    assert settings.get("ESFBANK_BASE_URL") == config.DEFAULT_BASE_URL
    minutes = settings.getfloat("ESFBANK_STALE_RUN_MINUTES")
    assert minutes == config.DEFAULT_STALE_RUN_MINUTES
