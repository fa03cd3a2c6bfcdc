"""Views frozen in migrations: today's views as literal SQL per backend, and the check that the
migrations still build what the code describes.

A migration never imports today's load/views.py: a revision that creates or replaces views
holds their SQL as it was at that revision, in two module-level dicts (view → backend → SQL)::

    VIEWS = {"v_projects": {"sqlite": "CREATE VIEW ...", "postgresql": "CREATE VIEW ..."}}
    PREVIOUS_VIEWS = {"v_projects": {...}}  # what they replace, for downgrade ({} when new)

and its upgrade()/downgrade() drop and create them. This module writes those dicts from the
code (`python -m load.frozen [VIEW...]` prints them to paste; the migration template writes them
itself for `alembic revision --autogenerate`), and reads them back from the chain of revisions,
so a test can hold the newest frozen SQL of every view equal to what the code compiles now.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from alembic.script import ScriptDirectory
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine import Dialect

from load.migrate import alembic_config
from load.views import VIEWS as CURRENT

# (the driver-free dialects: compiling needs no database and no driver)
DIALECTS: Mapping[str, Dialect] = {
    "sqlite": SQLiteDialect(),
    "postgresql": PGDialect(),  # type: ignore[no-untyped-call]
}
WIDTH = 96  # frozen SQL lines are broken after a comma beyond this (ruff allows 100)

# view → backend → CREATE VIEW statement
Frozen = dict[str, dict[str, str]]


def _words(line: str) -> list[str]:
    """The line split at spaces outside quotes (a quoted literal keeps its spaces)."""
    words, current, quoted = [], "", False
    for char in line:
        if char == "'":
            quoted = not quoted
        if char == " " and not quoted:
            if current:
                words.append(current)
            current = ""
        else:
            current += char
    return [*words, current] if current else words


def _wrap(sql: str, indent: str = "    ", first: int = 28) -> str:
    """Lines of at most WIDTH characters (the first `first` shorter, for what precedes it in
    the migration), broken at spaces outside quotes: only whitespace changes."""
    lines: list[str] = []
    for source in sql.splitlines():
        line = ""
        for word in _words(source):
            room = WIDTH - (first if not lines else len(indent)) - 4  # `""",` may follow
            if line and len(line) + 1 + len(word) > room:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        if line:
            lines.append(line)
    return "\n".join([lines[0], *(indent + line for line in lines[1:])])


def squash(sql: str) -> str:
    """SQL with whitespace runs as one space: frozen and compiled SQL compare equal on it."""
    return " ".join(sql.split())


def compile_view(name: str, dialect: str) -> str:
    """Today's CREATE VIEW of `name` for `dialect`, wrapped for a migration file."""
    statement = CURRENT[name].create(dialect)
    return _wrap(str(statement.compile(dialect=DIALECTS[dialect])).strip())


def current(names: Iterable[str] | None = None) -> Frozen:
    """Today's views (all, or `names`) as migration-ready SQL per backend."""
    return {n: {d: compile_view(n, d) for d in DIALECTS} for n in (names or CURRENT)}


def migrated() -> Frozen:
    """Every view as the migrations, applied base to head, leave it (VIEWS and PREVIOUS_VIEWS of
    each revision; a view a revision replaces without a new definition is dropped)."""
    views: Frozen = {}
    scripts = ScriptDirectory.from_config(alembic_config()).walk_revisions("base", "heads")
    for script in reversed(list(scripts)):
        created: Frozen = getattr(script.module, "VIEWS", {})
        for name in getattr(script.module, "PREVIOUS_VIEWS", {}):
            views.pop(name, None)
        views.update(created)
    return views


def drifted() -> list[str]:
    """Views whose code no longer compiles to what the migrations build (or that only one has)."""
    frozen, now = migrated(), current()
    return sorted(
        name
        for name in frozen.keys() | now.keys()
        if {d: squash(s) for d, s in frozen.get(name, {}).items()}
        != {d: squash(s) for d, s in now.get(name, {}).items()}
    )


def _literal(views: Frozen, indent: str = "") -> str:
    """`views` as Python source of a dict literal, SQL in triple-quoted strings."""
    if not views:
        return "{}"
    lines = ["{"]
    for name, by_dialect in views.items():
        lines.append(f'    "{name}": {{')
        for dialect, sql in by_dialect.items():
            if "\\" in sql or '"""' in sql:
                raise ValueError(f"{name} ({dialect}): cannot freeze SQL with \\ or triple quotes")
            lines.append(f'        "{dialect}": """{sql}""",')
        lines.append("    },")
    lines.append("}")
    return ("\n" + indent).join(lines)


@dataclass(frozen=True, slots=True)
class RevisionViews:
    """What a new revision says about views: module constants and its upgrade/downgrade lines."""

    constants: str = ""
    upgrade: str = ""
    downgrade: str = ""


_REPLACE = """\
dialect = op.get_bind().dialect.name
    for name in {{**{old}, **{new}}}:
        op.execute(f"DROP VIEW IF EXISTS {{name}}")
    for sql in {new}.values():
        op.execute(sql[dialect])"""
_UPGRADE = _REPLACE.format(old="PREVIOUS_VIEWS", new="VIEWS")
_DOWNGRADE = _REPLACE.format(old="VIEWS", new="PREVIOUS_VIEWS")


def revision_views() -> RevisionViews:
    """For the migration template: the views that drifted from the migrations, frozen now."""
    names = drifted()
    if not names:
        return RevisionViews()
    now, before = current(), migrated()
    new = {n: now[n] for n in names if n in now}
    old = {n: before[n] for n in names if n in before}
    constants = (
        "# Views as they are at this revision, and as they were before it (load/frozen.py).\n"
        f"VIEWS: dict[str, dict[str, str]] = {_literal(new)}\n"
        f"PREVIOUS_VIEWS: dict[str, dict[str, str]] = {_literal(old)}\n"
    )
    return RevisionViews(constants, _UPGRADE, _DOWNGRADE)


def main(argv: list[str]) -> int:
    unknown = sorted(set(argv) - set(CURRENT))
    if unknown:
        print(f"load.frozen: unknown view {', '.join(unknown)}", file=sys.stderr)
        return 2
    sys.stdout.write(f"VIEWS: dict[str, dict[str, str]] = {_literal(current(argv or None))}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
