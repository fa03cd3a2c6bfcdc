"""Several processes on one database: two loaders at once, and a loader killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from load import schema as t
from load.store import LoadItem, open_store
from tests.plugins.db import FreshDb, synthetic_project

REPO = Path(__file__).resolve().parent.parent
# Loads synthetic projects [first, last) in batches, printing a line after each committed batch.
# With a fifth argument N, the N-th batch stops inside its transaction, after writing its
# projects and their child rows, says "inside" and waits on stdin: the moment to SIGKILL it.
WORKER = """
import sys
from load.store import LoadItem, children, open_store
from tests.plugins.db import synthetic_project
url, first, last, size = sys.argv[1], *map(int, sys.argv[2:5])
hang_in_batch = int(sys.argv[5]) if len(sys.argv) > 5 else None
batches = 0
write_children = children.write

def write_children_then_hang(conn, units, kommunkod):
    write_children(conn, units, kommunkod)
    if batches + 1 == hang_in_batch:
        print("inside", flush=True)
        sys.stdin.readline()

children.write = write_children_then_hang
store = open_store(url, upgrade=False)
run = store.begin_run("load")
for start in range(first, last, size):
    batch = [LoadItem(record=synthetic_project(i)) for i in range(start, min(start + size, last))]
    store.upsert(batch, run, batch_size=size)
    batches += 1
    print("committed", start, flush=True)
store.close()
"""


def _loader(*args: object) -> subprocess.Popen[str]:
    """WORKER with arguments url, first, last, batch size[, batch to hang in]."""
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, *map(str, args)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _counts(engine: sa.Engine) -> dict[str, int]:
    tables = (t.projects, t.project_versions, t.project_municipalities, t.project_partners,
              t.project_cofinanciers, t.url_state)  # fmt: skip
    with engine.connect() as conn:
        return {
            table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in tables
        }


def _expected(projects: int) -> dict[str, int]:
    """Every synthetic project: one version, 3 municipalities, 2 partners, 1 co-financier."""
    return {
        "projects": projects,
        "project_versions": projects,
        "project_municipalities": 3 * projects,
        "project_partners": 2 * projects,
        "project_cofinanciers": projects,
        "url_state": projects,
    }


def test_two_loaders_at_once_finish_without_errors_or_lost_rows(fresh_db: FreshDb) -> None:
    first, second = _loader(fresh_db.url, 0, 1200, 100), _loader(fresh_db.url, 400, 1600, 100)
    results = [proc.communicate(timeout=300) for proc in (first, second)]
    assert [proc.returncode for proc in (first, second)] == [0, 0], results
    assert all(err == "" for _out, err in results), results
    assert _counts(fresh_db.engine) == _expected(1600)  # the overlap loaded once, unchanged after


def test_a_loader_killed_inside_a_batch_leaves_only_whole_batches(fresh_db: FreshDb) -> None:
    size = 200
    proc = _loader(fresh_db.url, 0, 50_000, size, 4)
    assert proc.stdout is not None
    lines = [proc.stdout.readline().strip() for _ in range(4)]
    assert lines == ["committed 0", "committed 200", "committed 400", "inside"], proc.stderr
    os.kill(proc.pid, signal.SIGKILL)  # projects and children of batch 4 written, not committed
    proc.communicate(timeout=60)
    projects = _counts(fresh_db.engine)["projects"]
    assert projects == 3 * size
    assert _counts(fresh_db.engine) == _expected(projects)
    with fresh_db.engine.connect() as conn:  # no orphans, foreign keys or not
        for child in (t.project_municipalities, t.project_versions, t.project_partners):
            orphans = sa.select(sa.func.count()).where(
                child.c.project_id.not_in(sa.select(t.projects.c.id))
            )
            assert conn.execute(orphans).scalar_one() == 0
    store = open_store(fresh_db.url)  # and the database takes writes again
    reload = [LoadItem(record=synthetic_project(i)) for i in range(projects + 10)]
    counts = store.upsert(reload, store.begin_run("load"))
    store.close()
    assert (counts.new, counts.unchanged) == (10, projects)
