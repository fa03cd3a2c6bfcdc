"""Fixtures for crawl tests: the fixture site on loopback, `esfbank` run as a subprocess, and a
comparable snapshot of a database's tables.

Crawls run as subprocesses so each gets a fresh Twisted reactor; `crawl_flags` points them at
the site with loopback-friendly concurrency (the polite defaults are for real sites).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from esfbank.fixture_site import FixtureSite
from load.engine import create_engine
from load.schema import metadata

CLI_TIMEOUT_SECONDS = 300
# Tables of run bookkeeping, which differ between any two runs by design.
BOOKKEEPING_TABLES = frozenset({"crawl_runs", "url_state", "alembic_version"})
# Rows that hold these keys are compared by them instead of by surrogate ids.
NATURAL_KEYS = {"projects": "project_key", "news_articles": "article_key"}


@dataclass(frozen=True, slots=True)
class CrawlTarget:
    """A database and raw archive a test crawls into."""

    db_url: str
    archive: Path

    def flags(self, site: FixtureSite) -> list[str]:
        return [
            "--base-url",
            site.base_url,
            "--db",
            self.db_url,
            "--archive",
            str(self.archive),
            "--no-autothrottle",
            "--concurrency",
            "8",
            "--download-delay",
            "0",
        ]


@pytest.fixture(scope="session", autouse=True)
def _archive_outside_the_repository(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Commands that archive by default (crawl, load) never write into the working tree's data/."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ESFBANK_ARCHIVE", str(tmp_path_factory.mktemp("default-archive")))
        yield


@pytest.fixture
def fixture_site() -> Iterator[FixtureSite]:
    """The committed fixture site, served on a free loopback port for one test."""
    with FixtureSite() as site:
        yield site


@pytest.fixture
def crawl_target(tmp_path: Path) -> CrawlTarget:
    """A fresh SQLite database file and archive directory (the crawl migrates the database)."""
    return CrawlTarget(f"sqlite:///{tmp_path / 'crawl.sqlite'}", tmp_path / "archive")


def esfbank(
    *args: str, env: dict[str, str] | None = None, check_exit: int | None = None
) -> subprocess.CompletedProcess[str]:
    """`esfbank ARGS` in a fresh interpreter; stdout/stderr captured; optionally check the exit."""
    full_env = {**os.environ, "ESFBANK_PROGRESS_SECONDS": "0", **(env or {})}
    done = subprocess.run(
        [sys.executable, "-m", "esfbank", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=CLI_TIMEOUT_SECONDS,
    )
    if check_exit is not None and done.returncode != check_exit:
        raise AssertionError(
            f"esfbank {' '.join(args)} exited {done.returncode}, expected {check_exit}\n"
            f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        )
    return done


def packages_loaded_by(args: Sequence[str], packages: Iterable[str]) -> list[str]:
    """Which of `packages` `esfbank ARGS`, run in a fresh interpreter, imported (it must exit
    0): how a command is kept free of the stacks it does not need."""
    code = (
        "import sys\n"
        "from esfbank.cli import main\n"
        f"assert main({list(args)!r}) == 0\n"
        f"print(sorted(set({sorted(packages)!r}) & {{name.split('.')[0] for name in sys.modules}}),"
        " file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=CLI_TIMEOUT_SECONDS
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = ast.literal_eval(done.stderr.strip().splitlines()[-1])
    return loaded


def child_processes() -> list[int]:
    """This process's child Python processes (parse workers: copies of this process, and a
    fork server), ended ones not yet waited for included (Linux). Other children, such as the
    PostgreSQL server a fixture started for the whole session, are not counted: they are not
    this program's to end."""
    tasks = Path("/proc/self/task").iterdir()
    children = [int(pid) for task in tasks for pid in (task / "children").read_text().split()]
    own = Path("/proc/self/comm").read_text()
    return [pid for pid in children if _is_python(_command_name(pid), own)]


def _command_name(pid: int) -> str:
    """The process's command name (an ended process keeps it until it is waited for)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text()
    except FileNotFoundError:  # waited for meanwhile
        return ""


def _is_python(name: str, own: str) -> bool:
    return name == own or name.startswith("python")


def spawn_esfbank(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`esfbank ARGS` started in the background (for interruption tests)."""
    full_env = {**os.environ, "ESFBANK_PROGRESS_SECONDS": "0", **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "esfbank", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
    )


def table_snapshot(
    db_url: str, exclude: frozenset[str] = BOOKKEEPING_TABLES
) -> dict[str, list[tuple[Any, ...]]]:
    """Every content table as sorted rows, comparable across runs and databases.

    Left out: the `exclude` tables (by default bookkeeping), surrogate ids (foreign keys to
    projects/news become their natural keys), run ids and timestamps (`removed_at` becomes
    whether it is set).
    """
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            keys = {
                table: dict(
                    conn.execute(
                        sa.select(metadata.tables[table].c.id, metadata.tables[table].c[column])
                    ).all()
                )
                for table, column in NATURAL_KEYS.items()
            }
            return {
                table.name: _rows(conn, table, keys)
                for table in metadata.sorted_tables
                if table.name not in exclude
            }
    finally:
        engine.dispose()


def _rows(
    conn: sa.Connection, table: sa.Table, keys: dict[str, dict[int, str]]
) -> list[tuple[Any, ...]]:
    columns = [
        c
        for c in table.columns
        if c.name not in {"id", "run_id"} and (c.name == "removed_at" or not c.name.endswith("_at"))
    ]
    rows = []
    for row in conn.execute(sa.select(*columns)):
        rows.append(tuple(_value(c, v, keys) for c, v in zip(columns, row, strict=True)))
    return sorted(rows, key=repr)


def _value(column: sa.Column[Any], value: Any, keys: dict[str, dict[int, str]]) -> Any:
    if column.name == "removed_at":
        return value is not None
    for fk in column.foreign_keys:
        target = fk.column.table.name
        if target in keys and fk.column.name == "id":
            return keys[target].get(value)
    return value


def manifest_urls(site: FixtureSite, kinds: Sequence[str] = ("project", "news")) -> dict[str, str]:
    """URL → kind of every page of the site's MANIFEST.json of these kinds."""
    return {site.url(p.path): p.kind for p in site.manifest if p.kind in kinds}


def url_kinds(db_url: str) -> dict[str, str]:
    """url_state's URL → kind of the pages not flagged removed."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            query = sa.text("SELECT url, kind FROM url_state WHERE NOT removed")
            return {str(url): str(kind) for url, kind in conn.execute(query)}
    finally:
        engine.dispose()


def query(db_url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()
