"""The Datasette plugin `esfbank serve` registers: the stemmed search inside SQLite, and cells
that read well.

Datasette's own search box does not stem Swedish, so two SQL functions bring `esfbank search`'s
words into any query, e.g. the canned query `search` (esfbank/serve_metadata.py):

    esfbank_match(:q)                                   the FTS5 expression of a query
    esfbank_snippet(:q, title, text, sections_json)     a snippet, matched words marked

A query that cannot be searched (no words, an unbalanced quote) matches nothing.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from datasette import hookimpl
from markupsafe import Markup, escape

from load.search_text import MARK_CLOSE, MARK_OPEN, SearchQueryError, parse_query, snippet

# An FTS5 expression that matches nothing: stems are letters and digits, never a "-".
NO_MATCH = '"-"'


def esfbank_match(text: str | None) -> str:
    try:
        return parse_query(text or "").fts5()
    except SearchQueryError:
        return NO_MATCH


def esfbank_snippet(
    text: str | None, title: str | None, body: str | None, sections: str | None
) -> str:
    try:
        stems = parse_query(text or "").stems()
    except SearchQueryError:
        return ""
    values = json.loads(sections).values() if sections else ()
    return snippet([title, body, *values], stems)


@hookimpl  # type: ignore[untyped-decorator]
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("esfbank_match", 1, esfbank_match, deterministic=True)
    conn.create_function("esfbank_snippet", 4, esfbank_snippet, deterministic=True)


@hookimpl  # type: ignore[untyped-decorator]
def render_cell(value: Any, column: str, table: str | None, database: str) -> Markup | None:
    """In query results: a snippet's marks as <mark>, a project id as a link to its row."""
    if table is not None or not isinstance(value, str | int):
        return None
    if column == "snippet" and isinstance(value, str):
        marked = str(escape(value))
        marked = marked.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
        return Markup(marked)
    if column == "project_id" and isinstance(value, int):
        return Markup(f'<a href="/{escape(database)}/projects/{value}">project {value}</a>')
    return None
