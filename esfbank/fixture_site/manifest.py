"""MANIFEST.json: every page of a fixture site with the kind a parser must detect, and where it
is discoverable from, so tests and the demo can check "every page loaded, nothing else fetched".

Page kinds are the record kinds (`project`, `news`, `call`, `listing`, `other`) plus
`robots-disallowed`: a page under a `Disallow:` path that a polite crawler never requests.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from esfbank.fixture_site.paths import canonical_target, file_for

PageKind = Literal["project", "news", "call", "listing", "other", "robots-disallowed"]
PAGE_KINDS: frozenset[str] = frozenset(
    {"project", "news", "call", "listing", "other", "robots-disallowed"}
)


@dataclass(frozen=True, slots=True)
class Page:
    """One page: `path` (with query) as linked on the site, and what a crawl should make of it."""

    path: str
    kind: PageKind
    lastmod: dt.datetime
    sitemap: str | None = None  # the sitemap path that lists it, None: not in any sitemap
    listed_on: tuple[str, ...] = ()  # listing pages that link to it
    family: str | None = None  # "2007-2013", "2014-2020", "2021-2027", "news", ...
    layout: str | None = None  # "glued", "old", "new", "newest", "slug", ...
    title: str | None = None
    project_number: str | None = None
    source: str | None = None  # the real page text it was built from, or what it varies

    @property
    def file(self) -> str:
        return file_for(self.path)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "kind": self.kind,
            "file": self.file,
            "lastmod": self.lastmod.isoformat(),
            "sitemap": self.sitemap,
            "listed_on": list(self.listed_on),
        }
        for name in ("family", "layout", "title", "project_number", "source"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Page:
        kind = data["kind"]
        if kind not in PAGE_KINDS:
            raise ValueError(f"MANIFEST.json: page {data.get('path')!r}: unknown kind {kind!r}")
        return cls(
            path=data["path"],
            kind=kind,
            lastmod=dt.datetime.fromisoformat(data["lastmod"]),
            sitemap=data.get("sitemap"),
            listed_on=tuple(data.get("listed_on", ())),
            family=data.get("family"),
            layout=data.get("layout"),
            title=data.get("title"),
            project_number=data.get("project_number"),
            source=data.get("source"),
        )


@dataclass(frozen=True, slots=True)
class Manifest:
    """The pages plus the non-page files (robots.txt, sitemaps) and the site's own lastmod."""

    pages: tuple[Page, ...]
    resources: tuple[str, ...]
    sitemap_index: str
    site_lastmod: dt.datetime
    _by_target: dict[str, Page] = field(default_factory=dict, compare=False, repr=False)
    _by_file: dict[str, Page] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for page in self.pages:
            self._by_target[canonical_target(page.path)] = page
            self._by_file[page.file] = page

    def page(self, path: str) -> Page | None:
        return self._by_target.get(canonical_target(path))

    def last_modified(self, rel: str) -> dt.datetime:
        """A page's lastmod; robots.txt and sitemaps carry the site's."""
        page = self._by_file.get(rel)
        return page.lastmod if page is not None else self.site_lastmod

    def to_json(self) -> dict[str, Any]:
        return {
            "about": (
                "every page of the fixture site, written by tests/fixtures/build_site.py; "
                "`source` is the page text it was built from, relative to ../shared"
            ),
            "sitemap_index": self.sitemap_index,
            "site_lastmod": self.site_lastmod.isoformat(),
            "resources": list(self.resources),
            "pages": [p.to_json() for p in self.pages],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        return cls(
            pages=tuple(Page.from_json(p) for p in data["pages"]),
            resources=tuple(data["resources"]),
            sitemap_index=data["sitemap_index"],
            site_lastmod=dt.datetime.fromisoformat(data["site_lastmod"]),
        )


def load_manifest(path: Path) -> Manifest:
    return Manifest.from_json(json.loads(path.read_text(encoding="utf-8")))
