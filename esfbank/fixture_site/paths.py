"""URL path (with query) → file of the site directory: one rule for the server and the builder.

- `/a/b/` and `/a/b` (no file suffix) → `a/b/index.html`; `/` → `index.html`
- `/robots.txt`, `/sitemaps/projekt.xml` (known suffix) → that file
- a query string becomes part of the file name, parameters sorted and percent-encoded:
  `/resultat/projektbanken/projekt/?dnr=2018/00566`
  → `resultat/projektbanken/projekt/index@dnr=2018%2F00566.html`

So `?page=2&x=1` and `?x=1&page=2`, or `?dnr=2018/00566` and `?dnr=2018%2F00566`, are one page.
"""

from __future__ import annotations

from posixpath import splitext
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

# Written into committed files wherever the real site has an absolute URL; the server puts its own
# `http://127.0.0.1:PORT` there when it serves the file.
BASE_PLACEHOLDER = "{base}"

# Suffixes served as the file of that name; any other path is a page directory.
FILE_SUFFIXES = frozenset({".txt", ".xml", ".html", ".json", ".css", ".js", ".ico"})


class BadPathError(ValueError):
    """A request path that tries to leave the site directory."""


def canonical_query(query: str) -> str:
    """Parameters sorted, values decoded then re-encoded one way (`/` as %2F, space as +)."""
    return urlencode(sorted(parse_qsl(query, keep_blank_values=True)))


def canonical_target(target: str) -> str:
    """`path?query` with the query in canonical form: the key of faults and overrides."""
    parts = urlsplit(target)
    path = unquote(parts.path) or "/"
    return f"{path}?{canonical_query(parts.query)}" if parts.query else path


def file_for(target: str) -> str:
    """The site-relative POSIX file name that serves `target` (a path, optionally with a query)."""
    parts = urlsplit(target)
    path = unquote(parts.path) or "/"
    segments = [s for s in path.split("/") if s]
    if any(s in {".", ".."} or "\\" in s for s in segments):
        raise BadPathError(f"path leaves the site: {target!r}")
    suffix = splitext(path)[1].lower()
    if not path.endswith("/") and suffix in FILE_SUFFIXES and not parts.query:
        return "/".join(segments)
    stem = "/".join([*segments, "index"])
    if parts.query:
        stem += "@" + canonical_query(parts.query)
    return stem + ".html"
