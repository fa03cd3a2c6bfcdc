"""Datasette metadata for `esfbank serve`, generated from the data dictionary (load/dictionary.py)
and the database at hand: every table, view and column described, facets, canned queries.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from esfbank.example_queries import EXAMPLE_QUERIES
from load import dictionary

TITLE = "esfbank: the project bank of Svenska ESF-rådet"
FACETS = ("programme_period", "region", "programme_area")
# Tables and views a researcher starts from get the facets.
FACETED = ("projects", "v_projects")
HIDDEN = ("alembic_version",)

# Projects and news whose text holds every word of :q, in any inflection; "quotes" a phrase.
SEARCH_SQL = """\
SELECT 'project' AS kind, p.id AS project_id, p.programme_period, p.project_number, p.title,
       esfbank_snippet(:q, p.title, p.owner, p.sections) AS snippet,
       bm25(search_projects) AS score, p.source_url
FROM search_projects JOIN projects p ON p.id = search_projects.rowid
WHERE search_projects MATCH esfbank_match(:q) AND p.removed_at IS NULL
UNION ALL
SELECT 'news', NULL, NULL, NULL, n.title,
       esfbank_snippet(:q, n.title, n.body, NULL),
       bm25(search_news), n.source_url
FROM search_news JOIN news_articles n ON n.id = search_news.rowid
WHERE search_news MATCH esfbank_match(:q) AND n.removed_at IS NULL
ORDER BY score, kind, project_id
LIMIT 100
"""
SEARCH_DESCRIPTION = (
    "Full-text search of project titles, owners and free-text sections and of news, Swedish "
    "inflections understood (sjuksköterska finds sjuksköterskor), the same as `esfbank search`. "
    'Several words: all of them; "quotes": a phrase. Matched words are marked.'
)


def build_metadata(engine: sa.Engine, database: str) -> dict[str, Any]:
    """Metadata for the database Datasette serves under the name `database` (its file stem)."""
    quoted = escape(quote(database))
    tables: dict[str, Any] = {}
    for relation in dictionary.reflect(engine):
        entry: dict[str, Any] = {
            "description": dictionary.relation_description(relation.name),
            "columns": {
                c.name: doc.meaning
                for c in relation.columns
                if (doc := dictionary.column_doc(relation.name, c.name)) is not None
            },
        }
        if relation.name in FACETED:
            entry["facets"] = list(FACETS)
        if "title" in entry["columns"]:
            entry["label_column"] = "title"
        tables[relation.name] = entry
    for name in HIDDEN:
        tables[name] = {"hidden": True}
    queries: dict[str, Any] = {
        "search": {
            "title": "Search projects and news",
            "sql": SEARCH_SQL,
            "description": SEARCH_DESCRIPTION,
        }
    }
    for name, (title, sql) in EXAMPLE_QUERIES.items():
        queries[name] = {"title": title, "sql": sql, "description": "From the README."}
    return {
        "title": TITLE,
        "description_html": "Projects and news of the ESF Council's project bank (esf.se), "
        f'crawled and parsed by esfbank. <a href="/{quoted}/search">Search projects and news'
        "</a> (Swedish inflections understood), browse "
        f'<a href="/{quoted}/projects">projects</a>, or start from the '
        f'<a href="/{quoted}">tables, views and example queries</a>.',
        "license": "Code: MIT. Data: public records of Svenska ESF-rådet",
        "source": "Svenska ESF-rådet, projektbanken (esf.se)",
        "source_url": "https://www.esf.se/resultat/projektbanken/",
        "databases": {database: {"tables": tables, "queries": queries}},
    }
