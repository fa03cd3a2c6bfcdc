"""The cheap head check that spares a nightly run importing Alembic agrees with Alembic."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory

from load.engine import create_engine
from load.migrate import alembic_config, is_at_head, script_heads, upgrade


def test_script_heads_are_alembics_heads() -> None:
    alembic_heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    assert script_heads() == alembic_heads
    assert len(alembic_heads) == 1


def test_only_a_database_at_head_is_at_head(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'heads.sqlite'}")
    try:
        assert not is_at_head(engine)  # no schema at all
        revisions = ScriptDirectory.from_config(alembic_config()).walk_revisions()
        first = [script.revision for script in revisions][-1]
        upgrade(engine, first)
        assert not is_at_head(engine)
        upgrade(engine)
        assert is_at_head(engine)
    finally:
        engine.dispose()
