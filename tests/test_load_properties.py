"""Properties of the upsert, over random sequences of loads (SQLite; the logic is shared)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from load import schema as t
from load.store import LoadItem, open_store
from tests.plugins.db import synthetic_project

loads = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2)), min_size=1, max_size=25)


def expected_history(sequence: list[tuple[int, int]], batch: int) -> dict[int, list[int]]:
    """Project → the variants it was stored in, in order: within a batch the last one wins,
    and a variant equal to the stored one is no change."""
    history: dict[int, list[int]] = {}
    for start in range(0, len(sequence), batch):
        for project, variant in dict(sequence[start : start + batch]).items():
            seen = history.setdefault(project, [])
            if not seen or seen[-1] != variant:
                seen.append(variant)
    return history


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=loads, batch=st.integers(1, 6))
def test_any_sequence_of_loads_keeps_one_version_per_change(
    migrated_db_url: Callable[[str], str], sequence: list[tuple[int, int]], batch: int
) -> None:
    store = open_store(migrated_db_url("sqlite"))
    items = [LoadItem(record=synthetic_project(i, title=f"variant {v}")) for i, v in sequence]
    store.upsert(items, store.begin_run("load"), batch_size=batch)
    with store.engine.connect() as conn:
        p, v = t.projects, t.project_versions
        rows = conn.execute(
            sa.select(p.c.project_number, v.c.record, v.c.changed)
            .join(v, v.c.project_id == p.c.id)
            .order_by(v.c.id)
        ).all()
        titles = dict(conn.execute(sa.select(p.c.project_number, p.c.title)).all())
    store.close()
    stored: dict[int, list[int]] = {}
    for number, record, changed in rows:
        variant = int(record["title"].removeprefix("variant "))
        history = stored.setdefault(int(number.split("/")[1]), [])
        if history:  # every later version names exactly what changed: the title
            assert changed == {
                "title": {"old": f"variant {history[-1]}", "new": f"variant {variant}"}
            }
        else:
            assert changed is None
        history.append(variant)
    assert stored == expected_history(sequence, batch)
    assert titles == {
        f"2019/{project:05d}": f"variant {variants[-1]}" for project, variants in stored.items()
    }
