"""The legacy bank from the Internet Archive (`backfill --wayback-url`), against a fake archive on
loopback: the live fixture site has lost its legacy pages (404, listed nowhere), the archive has
each of them captured twice (older first). The backfill loads every one from its newest capture
under its esf.se address; a nightly crawl after it flags none removed and asks the archive
nothing; an archive that answers badly fails the run loudly and removes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.runner import journal_path
from crawler.wayback import LEGACY_SOURCES
from esfbank.fixture_site import FixtureSite
from esfbank.fixture_site.manifest import Page
from esfbank.fixture_site.paths import BASE_PLACEHOLDER, file_for
from tests.plugins.site import CrawlTarget, esfbank, query
from tests.plugins.wayback import FakeArchive

pytestmark = pytest.mark.crawl

SITE = "http://www.esf.se"
OLDER, NEWER = "20100101120000", "20130615083000"
NEWER_TIME = dt.datetime(2013, 6, 15, 8, 30, tzinfo=dt.UTC)
ARCHIVE_ENV = {"ESFBANK_WAYBACK_DELAY": "0", "ESFBANK_RETRY_TIMES": "0"}


def _is_legacy(page: Page) -> bool:
    return page.kind in {"project", "news"} and any(
        pattern.match(page.path) for _, pattern in LEGACY_SOURCES
    )


def _captures(site: FixtureSite, pages: list[Page]) -> dict[str, list[tuple[str, bytes]]]:
    """Two captures of each page as the real site served it: a draft, then the page."""
    captures = {}
    for page in pages:
        body = site.source.read(file_for(page.path))
        assert body is not None
        assert page.title
        html = body.replace(BASE_PLACEHOLDER.encode(), SITE.encode())
        # Some legacy pages are served in windows-1252, as the old site did.
        title = next(
            t for t in (page.title.encode(), page.title.encode("cp1252", "replace")) if t in html
        )
        draft = html.replace(title, b"Utkast " + title)
        captures[SITE + page.path] = [(OLDER, draft), (NEWER, html)]
    return captures


@dataclass(frozen=True, slots=True)
class Backfilled:
    site: FixtureSite
    archive: FakeArchive
    target: CrawlTarget
    legacy: list[Page]
    archive_requests: int  # what the backfill asked of the archive
    nightly_hits: set[str]  # what the nightly crawl after it asked of the live site
    nightly_stdout: str

    def flags(self) -> list[str]:
        return [*self.target.flags(self.site), "--wayback-url", self.archive.base_url]


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backfilled]:
    root = tmp_path_factory.mktemp("wayback")
    target = CrawlTarget(f"sqlite:///{root / 'crawl.sqlite'}", root / "archive")
    with FixtureSite() as site:
        legacy = [p for p in site.manifest if _is_legacy(p)]
        for page in legacy:
            site.remove_page(page.path, status=404, unlist=True)
        with FakeArchive(_captures(site, legacy), slow=0.02) as archive:
            # Capped answers, as the real index's: a page's two captures may fall in two answers.
            archive.rows_per_answer = 3
            flags = [*target.flags(site), "--wayback-url", archive.base_url]
            esfbank("backfill", *flags, env=ARCHIVE_ENV, check_exit=0)
            archive_requests = len(archive.requests)
            before = site.hits.snapshot()
            nightly = esfbank("crawl", *target.flags(site), env=ARCHIVE_ENV, check_exit=0)
            hits = {t for t, _ in site.hits.snapshot() - before}
            assert len(archive.requests) == archive_requests, "the nightly crawl asked the archive"
            yield Backfilled(site, archive, target, legacy, archive_requests, hits, nightly.stdout)


def test_the_fixture_has_legacy_projects_and_news_of_every_shape(backfilled: Backfilled) -> None:
    shapes = {
        prefix
        for prefix, pattern in LEGACY_SOURCES
        for page in backfilled.legacy
        if pattern.match(page.path)
    }
    assert shapes == {prefix for prefix, _ in LEGACY_SOURCES}
    assert {p.kind for p in backfilled.legacy} == {"project", "news"}


def test_every_legacy_page_is_loaded_from_its_newest_capture_under_its_esf_address(
    backfilled: Backfilled,
) -> None:
    rows = {
        url: (kind, capture, captured_at, removed)
        for url, kind, capture, captured_at, removed in query(
            backfilled.target.db_url,
            "SELECT url, kind, capture_url, captured_at, removed FROM url_state "
            "WHERE capture_url IS NOT NULL",
        )
    }
    expected = {
        SITE + p.path: (p.kind, f"{backfilled.archive.base_url}/web/{NEWER}id_/{SITE}{p.path}")
        for p in backfilled.legacy
    }
    assert {url: row[:2] for url, row in rows.items()} == expected
    # Stored in UTC (SQLite gives it back as text without the zone).
    assert {str(row[2])[:19] for row in rows.values()} == {NEWER_TIME.strftime("%Y-%m-%d %H:%M:%S")}
    assert {row[3] for row in rows.values()} == {0}
    # Each page's newest capture only, once.
    assert sorted(backfilled.archive.capture_requests()) == sorted(
        f"/web/{NEWER}id_/{url}" for url in expected
    )


def test_the_archive_is_asked_one_request_at_a_time(backfilled: Backfilled) -> None:
    """Its own download slot, though the site is crawled 8 requests at a time here."""
    assert "--concurrency" in backfilled.flags()
    assert backfilled.archive_requests > len(backfilled.legacy)
    assert backfilled.archive.most_at_once == 1


def test_legacy_records_carry_the_esf_address_and_the_newest_content(
    backfilled: Backfilled,
) -> None:
    projects = {p.path for p in backfilled.legacy if p.kind == "project"}
    news = {p.path for p in backfilled.legacy if p.kind == "news"}
    loaded = query(
        backfilled.target.db_url,
        f"SELECT source_url, title FROM projects WHERE source_url LIKE '{SITE}/%'",
    )
    assert {url for url, _ in loaded} == {SITE + path for path in projects}
    assert not [title for _, title in loaded if title is None or "Utkast" in title]
    articles = query(
        backfilled.target.db_url,
        f"SELECT source_url, title FROM news_articles WHERE source_url LIKE '{SITE}/%'",
    )
    assert {url for url, _ in articles} == {SITE + path for path in news}
    assert not [title for _, title in articles if title is None or "Utkast" in title]


def test_the_nightly_crawl_after_flags_no_legacy_page_removed_nor_asks_for_one(
    backfilled: Backfilled,
) -> None:
    db = backfilled.target.db_url
    assert query(db, "SELECT COUNT(*) FROM url_state WHERE removed") == [(0,)]
    assert query(db, "SELECT COUNT(*) FROM projects WHERE removed_at IS NOT NULL") == [(0,)]
    assert query(db, "SELECT COUNT(*) FROM news_articles WHERE removed_at IS NOT NULL") == [(0,)]
    assert query(db, "SELECT kind, removed FROM crawl_runs ORDER BY id") == [
        ("backfill", 0),
        ("crawl", 0),
    ]
    assert not backfilled.nightly_hits & {p.path for p in backfilled.legacy}


def test_reparse_rebuilds_legacy_pages_with_their_address_and_provenance(
    backfilled: Backfilled, tmp_path: Path
) -> None:
    fresh = f"sqlite:///{tmp_path / 'reparsed.sqlite'}"
    esfbank("reparse", "--db", fresh, "--archive", str(backfilled.target.archive), check_exit=0)
    sql = "SELECT url, capture_url, kind FROM url_state WHERE capture_url IS NOT NULL ORDER BY url"
    assert query(fresh, sql) == query(backfilled.target.db_url, sql)
    assert query(fresh, "SELECT COUNT(*) FROM url_state WHERE url LIKE '%/web/%'") == [(0,)]


def _copy(backfilled: Backfilled, tmp_path: Path) -> CrawlTarget:
    """The backfilled database and archive, to run one more backfill on."""
    source = Path(backfilled.target.db_url.removeprefix("sqlite:///"))
    shutil.copy(source, tmp_path / "crawl.sqlite")
    shutil.copytree(backfilled.target.archive, tmp_path / "archive")
    return CrawlTarget(f"sqlite:///{tmp_path / 'crawl.sqlite'}", tmp_path / "archive")


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("empty", "archive index: empty answer ([]): no captures"),
        ("not json", "archive index: not JSON"),
        ("503", "Internet Archive: HTTP 503"),
        ("capture 404", "HTTP 404"),
    ],
)
def test_an_archive_answering_badly_fails_the_backfill_and_removes_nothing(
    backfilled: Backfilled, tmp_path: Path, fault: str, message: str
) -> None:
    target = _copy(backfilled, tmp_path)
    lost = SITE + backfilled.legacy[0].path
    with FakeArchive(backfilled.archive.captures) as archive:
        if fault == "empty":
            archive.index_answer = b"[]"
        elif fault == "not json":
            archive.index_answer = b'[["urlkey", "timestamp"'
        elif fault == "503":
            archive.index_status = 503
        else:
            archive.lost.add(lost)
        flags = [*target.flags(backfilled.site), "--wayback-url", archive.base_url]
        done = esfbank("backfill", *flags, env=ARCHIVE_ENV)
    assert done.returncode == 1, done.stdout + done.stderr
    said = "backfill: discovery source not read: "
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith(said) and message in ln]
    if fault != "capture 404":  # one line per legacy prefix, naming its index query
        assert len(lines) == len(LEGACY_SOURCES), done.stderr
        assert all(f"{archive.base_url}/cdx/search/cdx?url=www.esf.se" in ln for ln in lines)
    else:
        assert lines == [
            f"backfill: discovery source not read: {lost}: archive capture "
            f"{archive.base_url}/web/{NEWER}id_/{lost}: HTTP 404"
        ]
    assert "Traceback" not in done.stderr
    assert query(target.db_url, "SELECT COUNT(*) FROM url_state WHERE removed") == [(0,)]
    assert query(target.db_url, "SELECT COUNT(*) FROM projects WHERE removed_at IS NOT NULL") == [
        (0,)
    ]


def test_a_resumed_backfill_does_not_ask_the_archive_for_pages_it_finished(
    backfilled: Backfilled, tmp_path: Path
) -> None:
    """The journal names legacy pages by their esf.se address, like any finished page."""
    target = _copy(backfilled, tmp_path)
    finished = [SITE + p.path for p in backfilled.legacy[:3]]
    journal = journal_path(target.archive, target.db_url)
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text(
        json.dumps({"run_id": 1}) + "\n" + "".join(json.dumps({"url": u}) + "\n" for u in finished)
    )
    with FakeArchive(backfilled.archive.captures) as archive:
        flags = [*target.flags(backfilled.site), "--wayback-url", archive.base_url, "--resume"]
        esfbank("backfill", *flags, env=ARCHIVE_ENV, check_exit=0)
        asked = archive.capture_requests()
    assert len(asked) == len(backfilled.legacy) - len(finished)
    assert not {f"/web/{NEWER}id_/{url}" for url in finished} & set(asked)


def test_discover_with_the_archive_lists_the_legacy_pages_a_backfill_loads_and_fetches_none(
    backfilled: Backfilled,
) -> None:
    """`discover --wayback-url` reads the archive's index as `backfill --wayback` does, and
    names the same legacy pages under their esf.se addresses, without downloading a capture."""
    with FakeArchive(backfilled.archive.captures) as archive:
        done = esfbank(
            "discover",
            "--base-url",
            backfilled.site.base_url,
            "--wayback-url",
            archive.base_url,
            "--format",
            "jsonl",
            env=ARCHIVE_ENV,
            check_exit=0,
        )
        assert archive.capture_requests() == []
    listed = [json.loads(line) for line in done.stdout.splitlines()]
    from_archive = {row["url"] for row in listed if row["source"] == "Internet Archive index"}
    assert from_archive == {SITE + p.path for p in backfilled.legacy}
