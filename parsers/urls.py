"""Source URL normalisation: the natural key of 2007 pages that carry no project number."""

from __future__ import annotations


def normalise_source_url(url: str) -> str:
    """Lower-case path, no leading `/sv/`, trailing slash, the query kept (DESIGN.md, Database)."""
    raise NotImplementedError
