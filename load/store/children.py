"""A project's child rows: its municipalities (with their SCB kommunkod), partners and
co-financiers, each at its position on the page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from load import schema as t
from load.bulk import insert_tuples
from parsers.records import ProjectRecord

# Deleted when a project changes, then written afresh.
TABLES = (t.project_municipalities, t.project_partners, t.project_cofinanciers)


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


class Kommunkoder(dict[str, str | None]):
    """Municipality names as pages write them → SCB code, each name worked out once (a dict:
    the names met before are looked up in C, a batch names tens of thousands)."""

    def __init__(self, codes: Mapping[str, str | None]) -> None:
        super().__init__()
        self._codes = {_fold(name): code for name, code in codes.items()}

    @classmethod
    def load(cls, conn: Connection) -> Kommunkoder:
        m = t.municipalities
        return cls(dict(conn.execute(sa.select(m.c.name, m.c.kommunkod)).all()))

    def __missing__(self, name: str) -> str | None:
        """SCB code of a municipality as pages write it: `Mjölby`, `Mjölby kommun`,
        `Stockholms stad`; None when the name is no municipality's (`Hela Sverige`)."""
        folded = _fold(name)
        for suffix in (" kommun", " stad"):
            folded = folded.removesuffix(suffix)
        code = self._codes.get(folded)
        if code is None and folded.endswith("s"):
            code = self._codes.get(folded[:-1])
        self[name] = code
        return code


def write(
    conn: Connection, projects: Sequence[tuple[int, ProjectRecord]], kommunkod: Kommunkoder
) -> None:
    """Insert the child rows of written projects, (id, record) pairs (their old ones are already
    deleted): one comprehension per table, as a batch has some six rows per project."""
    municipalities = [
        (project_id, position, name, kommunkod[name])
        for project_id, record in projects
        for position, name in enumerate(record.municipalities)
    ]
    partners = [
        (project_id, position, name)
        for project_id, record in projects
        for position, name in enumerate(record.partners)
    ]
    cofinanciers = [
        (project_id, position, name)
        for project_id, record in projects
        for position, name in enumerate(record.cofinanciers)
    ]
    columns = ("project_id", "position", "name")
    insert_tuples(conn, t.project_municipalities, (*columns, "kommunkod"), municipalities)
    insert_tuples(conn, t.project_partners, columns, partners)
    insert_tuples(conn, t.project_cofinanciers, columns, cofinanciers)
