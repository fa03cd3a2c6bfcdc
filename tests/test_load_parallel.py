"""`reparse` and `load` with several parse workers give the database one process gives, on
SQLite and PostgreSQL; Ctrl-C and a dead worker close the run instead of leaving it running.

The archive is one crawl of the fixture site where each project page of a `?dnr=` URL is
followed by a copy under a second URL with another first paragraph: loading the copy changes
the project, so the rows depend on the order in which pages reach the writer, down to
neighbouring pages.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawler import parsing
from crawler.items import FetchedPage, FetchFailed
from crawler.parsing import load_item
from esfbank.cli import main
from esfbank.commands import reparse
from esfbank.commands.reparse import parse_archived
from esfbank.fixture_site import FixtureSite
from load.archive import Archive, ArchiveEntry
from load.store import LoadItem, Store, UpsertCounts
from tests.plugins.site import (
    CLI_TIMEOUT_SECONDS,
    CrawlTarget,
    child_processes,
    esfbank,
    packages_loaded_by,
    query,
    table_snapshot,
)

pytestmark = pytest.mark.crawl

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
FIXTURES = Path(__file__).parent / "fixtures"
# Every table a researcher reads, url_state included (without its timestamps and run ids).
RESEARCHER_TABLES = frozenset({"crawl_runs", "alembic_version"})


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A crawl's raw archive, copied with each `?dnr=` project page followed by a changed copy
    under a second URL."""
    root = tmp_path_factory.mktemp("parallel")
    target = CrawlTarget(f"sqlite:///{root / 'crawl.sqlite'}", root / "crawl-archive")
    with FixtureSite() as site:
        esfbank("crawl", *target.flags(site), check_exit=0)
    crawled = Archive(target.archive)
    with Archive(root / "archive") as copy:
        for entry in crawled.entries():
            body = crawled.read_body(entry.body_key) if entry.body_key else None
            headers = {name: list(values) for name, values in entry.headers.items()}
            copy.put(entry.url, entry.status, headers, body, entry.fetched_at, role=entry.role)
            if "?dnr=" in entry.url and entry.status == 200 and body is not None:
                heading, text = body.split(b"</h1>", 1)
                copy.put(
                    entry.url.replace("?dnr=", "?spegel=1&dnr="),
                    200,
                    headers,
                    heading + b"</h1>" + text.replace(b"<p>", b"<p>Andra adressen. ", 1),
                    entry.fetched_at,
                )
    return copy.root


def _snapshot(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    return table_snapshot(db_url, exclude=RESEARCHER_TABLES)


@pytest.mark.parametrize("backend", BACKENDS)
def test_reparse_with_three_jobs_gives_the_database_of_one(
    archive: Path, migrated_db_url: Any, backend: str
) -> None:
    one, three = migrated_db_url(backend), migrated_db_url(backend)
    esfbank("reparse", "--db", one, "--archive", str(archive), "--jobs", "1", check_exit=0)
    esfbank("reparse", "--db", three, "--archive", str(archive), "--jobs", "3", check_exit=0)
    expected = _snapshot(one)
    assert len(expected["projects"]) > 20
    # Each changed copy, archived after its page, won: pages were loaded in archive order.
    copies = sum("spegel=1" in url for (url,) in query(one, "SELECT url FROM url_state"))
    assert copies > 5
    assert sum("Andra adressen." in repr(row) for row in expected["projects"]) == copies
    assert expected["news_articles"]
    assert expected["url_state"]
    assert _snapshot(three) == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_load_of_a_folder_with_three_jobs_gives_the_database_of_one(
    tmp_path: Path, migrated_db_url: Any, backend: str
) -> None:
    pages = tmp_path / "pages"
    shutil.copytree(FIXTURES / "load" / "pages", pages)
    shutil.copytree(FIXTURES / "golden", pages / "golden", ignore=shutil.ignore_patterns("*.json"))
    (pages / "broken.html").write_bytes(b"\x00\x01\x02" * 100)
    one, three = migrated_db_url(backend), migrated_db_url(backend)
    for db_url, jobs in ((one, "1"), (three, "3")):
        flags = ("--db", db_url, "--archive", str(tmp_path / f"archive-{jobs}"), "--jobs", jobs)
        done = esfbank("load", str(pages), *flags, check_exit=1)  # some pages are broken
        assert "esfbank parse: " in done.stderr
    expected = _snapshot(one)
    assert len(expected["projects"]) > 20
    assert expected["parse_errors"]
    assert _snapshot(three) == expected
    assert esfbank("load", str(pages), "--db", one, "--jobs", "1", check_exit=1).stderr == (
        esfbank("load", str(pages), "--db", three, "--jobs", "3", check_exit=1).stderr
    )  # the same error lines in the same order


# Shared with the forked workers: set once the writer has begun the run (see the Ctrl-C test).
_writing = multiprocessing.Event()
_pressed = multiprocessing.Lock()


def _ctrl_c_while_writing(archive_dir: Path, entry: ArchiveEntry) -> LoadItem | FetchFailed:
    """In a worker, once the writer writes: Ctrl-C, which a terminal sends to every process of
    the command (this worker and the writer, its parent), once."""
    if _writing.wait(timeout=120) and _pressed.acquire(block=False):
        os.kill(os.getppid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)
    return parse_archived(archive_dir, entry)


def _die(archive_dir: Path, entry: ArchiveEntry) -> LoadItem:
    os._exit(9)


def _run_status(db_url: str) -> list[tuple[Any, ...]]:
    return query(db_url, "SELECT kind, status FROM crawl_runs")


def _reparse_in_a_fresh_process(
    setup: str, db_url: str, archive: Path, jobs: str
) -> subprocess.CompletedProcess[str]:
    """`esfbank reparse` in a fresh interpreter after this module's `setup()` patched it.

    The patches and the Ctrl-C test's shared Event reach the workers only when they are
    forked, which happens only in a process running one thread; a test process that served
    pages from a thread earlier (Datasette's threads stay) would have them started by a fork
    server, without either."""
    args = ["reparse", "--db", db_url, "--archive", str(archive), "--jobs", jobs]
    code = (
        "import sys\n"
        "from tests import test_load_parallel as here\n"
        f"here.{setup}()\n"
        "from esfbank.cli import main\n"
        f"sys.exit(main({args!r}))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
        env={**os.environ, "ESFBANK_PROGRESS_SECONDS": "0"},
    )


def press_ctrl_c_while_writing() -> None:
    """(In the fresh process.) The writer says when it writes; a worker then presses Ctrl-C."""
    upsert = Store.upsert

    def upsert_and_tell(self: Store, *args: Any, **kwargs: Any) -> UpsertCounts:
        _writing.set()
        return upsert(self, *args, **kwargs)

    Store.upsert = upsert_and_tell  # type: ignore[method-assign]
    reparse.parse_archived = _ctrl_c_while_writing


def test_ctrl_c_closes_the_run_as_interrupted_and_stops_the_workers(
    archive: Path, tmp_path: Path
) -> None:
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    done = _reparse_in_a_fresh_process("press_ctrl_c_while_writing", db_url, archive, "2")
    assert done.returncode == 130, done.stderr
    assert done.stderr == "esfbank reparse: interrupted\n"
    assert _run_status(db_url) == [("reparse", "interrupted")]


def test_a_dead_worker_fails_the_run_in_one_line(
    archive: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("esfbank.commands.reparse.parse_archived", _die)
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["reparse", "--db", db_url, "--archive", str(archive), "--jobs", "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("esfbank reparse: error: a parse worker process died")
    assert len(err.splitlines()) == 1
    assert _run_status(db_url) == [("reparse", "failed")]
    assert child_processes() == []


def _crash_on_copies(page: FetchedPage) -> LoadItem:
    """load_item with a parser bug that only the second copies of project pages meet."""
    if "spegel=1" in page.url:
        raise KeyError("rubrik")
    return load_item(page)


def crash_on_copies() -> None:
    """(In the fresh process.) The parser bug `_crash_on_copies` installed."""
    parsing.load_item = _crash_on_copies


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_page_the_parser_crashes_on_is_quarantined_and_the_reparse_goes_on(
    archive: Path, tmp_path: Path, jobs: str
) -> None:
    """Before, the first crash ended the reparse with a traceback and loaded nothing more."""
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    done = _reparse_in_a_fresh_process("crash_on_copies", db_url, archive, jobs)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    crashed = [line for line in lines if "parser crashed: KeyError: 'rubrik'" in line]
    assert crashed
    assert len(crashed) == len(lines)
    assert f" {len(crashed)} failed" in done.stdout
    quarantined = query(db_url, "SELECT source_url, message FROM parse_errors ORDER BY source_url")
    assert len(quarantined) == len(crashed)
    assert len(quarantined) > 5
    assert all("spegel=1" in url and "KeyError" in message for url, message in quarantined)
    assert query(db_url, "SELECT count(*) FROM news_articles")[0][0] > 0
    assert query(db_url, "SELECT count(*) FROM projects")[0][0] > 20
    assert not query(db_url, "SELECT id FROM projects WHERE sections LIKE '%Andra adressen%'")
    assert _run_status(db_url) == [("reparse", "ok")]


def test_reparse_imports_neither_scrapy_nor_twisted(archive: Path, tmp_path: Path) -> None:
    """The parse workers and the writer need no crawler stack: importing Scrapy cost every
    reparse (and every worker) its start-up, in the one-job run and the parallel one alike."""
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    args = ["reparse", "--db", db_url, "--archive", str(archive)]
    assert packages_loaded_by(args, {"scrapy", "twisted"}) == []


@pytest.mark.parametrize("command", ["reparse", "load"])
def test_workers_start_before_the_database_side_is_imported(
    archive: Path, tmp_path: Path, command: str
) -> None:
    """SQLAlchemy and the store load in the writer while the workers parse: imported before
    the fork, they were serial start-up in every parallel run."""
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    source = str(archive) if command == "reparse" else str(FIXTURES / "load" / "pages")
    args = (
        ["reparse", "--db", db_url, "--archive", source, "--jobs", "2"]
        if command == "reparse"
        else ["load", source, "--db", db_url, "--archive", str(tmp_path / "a"), "--jobs", "2"]
    )
    code = (
        "import sys\n"
        "import esfbank.parallel as parallel\n"
        "from esfbank.cli import main\n"
        "start = parallel.ordered_map\n"
        "def watched(*args, **kwargs):\n"
        "    print('sqlalchemy' in sys.modules, file=sys.stderr)\n"
        "    return start(*args, **kwargs)\n"
        "parallel.ordered_map = watched\n"
        f"main({args!r})\n"
    )
    subprocess.run(
        [sys.executable, "-m", "esfbank", "db", "upgrade", "--db", db_url],
        check=True,
        capture_output=True,
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stderr.splitlines()[0] == "False", done.stderr
    assert query(db_url, "SELECT count(*) FROM projects")[0][0] > 20
