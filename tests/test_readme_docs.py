"""The SQL in docs/querying.md runs on both backends and returns rows on the fixture database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.research_db import load_fixture_db

QUERYING = Path(__file__).resolve().parents[1] / "docs" / "querying.md"


def sql_statements(markdown: str) -> list[str]:
    """Every statement of the ```sql blocks, comments stripped."""
    blocks = re.findall(r"```sql\n(.*?)```", markdown, flags=re.DOTALL)
    statements = []
    for block in blocks:
        text = "\n".join(line for line in block.splitlines() if not line.startswith("--"))
        statements += [s.strip() for s in text.split(";") if s.strip()]
    return statements


STATEMENTS = sql_statements(QUERYING.read_text(encoding="utf-8"))


def test_the_guide_has_queries():
    assert len(STATEMENTS) >= 5


@pytest.fixture
def loaded(fresh_db):
    load_fixture_db(fresh_db.url)
    return fresh_db


def test_every_query_in_the_guide_runs_and_returns_rows(loaded):
    with loaded.engine.connect() as conn:
        for statement in STATEMENTS:
            rows = conn.execute(sa.text(statement)).all()
            assert rows, f"no rows from:\n{statement}"
