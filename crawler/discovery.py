"""Where pages come from: robots.txt `Sitemap:` lines, sitemaps with lastmod, listings, seeds.

Pure functions over bytes and strings, so the spider stays a thin fetch-and-follow loop and each
rule here is testable without a reactor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urljoin, urlsplit, urlunsplit

from protego import Protego

from parsers.url_shapes import path_of, shape_of

# Hosts of the real site: absolute links to them are re-pointed at `--base-url` when it differs.
SITE_HOSTS = frozenset({"www.esf.se", "esf.se"})

SKIPPED_SUFFIXES = (".css", ".js", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".pdf", ".zip")

# A URL that urlsplit/urlunsplit (and urljoin onto its own site) give back unchanged: lower-case
# http(s) scheme, a path after the host, no fragment, params, brackets, tabs or newlines, no
# empty query. Sitemaps list thousands of those; they skip the parsing (tests hold the shortcut
# equal to the long way).
_PLAIN_START = re.compile(r"https?://[^/?#]*/")
_NOT_PLAIN = re.compile(r"[#;\t\r\n\[\]\\]|\?$")

PROJECT_NUMBER = re.compile(r"^(?:\d{4}/\d{5}|\d{2}-\d{3}-S\d{2})$")
PROJECT_URL_PATH = "/resultat/projektbanken/projekt/?dnr="


class SeedError(ValueError):
    """A seed-list line that is neither a URL nor a project number."""


def site_root(url: str) -> str:
    """`url` without a trailing slash, if it is the root of an http(s) site (as `--base-url`,
    `--wayback-url` and `-a base_url` take it); else a ValueError saying what is wrong."""
    url = url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{url!r}: expected http(s)://host[:port]")
    if parts.path or parts.query:
        raise ValueError(f"{url!r}: give the site root, without a path")
    return url


def allowed_domains(base_url: str) -> list[str]:
    """The crawl stays on the base URL's host (and the bare/`www.` twin of the real site)."""
    host = urlsplit(base_url).hostname or ""
    return sorted(SITE_HOSTS) if host in SITE_HOSTS else [host]


def rebase(url: str, base_url: str) -> str:
    """Point an absolute link to the real site at `base_url` (scheme and host:port)."""
    parts = urlsplit(url)
    base = urlsplit(base_url)
    if parts.hostname in SITE_HOSTS and base.hostname not in SITE_HOSTS:
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def on_site(href: str, base_url: str) -> str:
    """`href` (relative or absolute) as an absolute URL, re-pointed at `base_url` if need be."""
    after_base = href[len(base_url) : len(base_url) + 1]
    if href.startswith(base_url) and after_base == "/" and _is_plain(href):
        return href
    return rebase(urljoin(base_url, href), base_url)


def _is_plain(url: str) -> bool:
    return _PLAIN_START.match(url) is not None and _NOT_PLAIN.search(url) is None


def robots_sitemaps(robots_txt: str, base_url: str) -> list[str]:
    """The `Sitemap:` URLs of a robots.txt, absolute, in order, without duplicates."""
    found: list[str] = []
    for line in robots_txt.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "sitemap" and value.strip():
            url = rebase(urljoin(base_url, value.strip()), base_url)
            if url not in found:
                found.append(url)
    return found


def crawl_delay(robots_txt: str, user_agent: str) -> float | None:
    """robots.txt's Crawl-delay for our User-Agent (else for `*`), in seconds; None: none."""
    delay = Protego.parse(robots_txt).crawl_delay(user_agent)
    return float(delay) if delay else None


def is_listing(url: str) -> bool:
    """A listing whose links a crawl follows (the site's URL shapes, parsers.url_shapes); a
    `?dnr=` page is a project whatever else its query says."""
    shape = shape_of(path_of(url))
    return shape is not None and shape.kind == "listing" and shape.followed and not _dnr(url)


def is_page(url: str) -> bool:
    """A project or news page a crawl follows links to."""
    shape = shape_of(path_of(url))
    return shape is not None and shape.kind != "listing" and shape.followed


def family(url: str) -> str:
    """The URL's family as `esfbank discover` reports it: its shape's, `?dnr=` pages by period."""
    shape = shape_of(path_of(url))
    if shape is None:
        return "other page"
    if shape.kind == "project" and _dnr(url):
        return "project ?dnr= 2014-2020" if "/" in _dnr(url) else "project ?dnr= 2021-2027"
    return shape.family


def _dnr(url: str) -> str:
    values = parse_qs(urlsplit(url).query).get("dnr")
    return values[0] if values else ""


def source_kind(source: str) -> str:
    """What kind of source named a URL: a sitemap, a listing page, the seed list, ..."""
    if source.startswith(("http://", "https://")):
        path = urlsplit(source).path.lower()
        return "sitemaps" if path.endswith((".xml", ".xml.gz")) else "listing pages"
    return source


def followable(url: str, domains: Iterable[str]) -> bool:
    """A link on a listing worth requesting: on our site, not an asset, a page or a listing."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or parts.hostname not in set(domains):
        return False
    if parts.path.lower().endswith(SKIPPED_SUFFIXES):
        return False
    return is_page(url) or is_listing(url)


def canonical(url: str) -> str:
    """The URL without its fragment: the key a page is requested, archived and stored under."""
    if _is_plain(url):
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def project_url(base_url: str, number: str) -> str:
    """The `?dnr=` page of a project number (the `/` of a 2014–2020 number sent raw)."""
    return f"{base_url.rstrip('/')}{PROJECT_URL_PATH}{quote(number, safe='/-')}"


def read_seeds(path: Path, base_url: str) -> list[str]:
    """`--urls FILE`: one URL or project number per line; blank lines and `#` comments skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SeedError(f"{path}: cannot read seed list: {exc.strerror}") from None
    return list(_seed_urls(lines, path, base_url))


def _seed_urls(lines: list[str], path: Path, base_url: str) -> Iterator[str]:
    base = base_url.rstrip("/")
    for number, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if PROJECT_NUMBER.match(line):
            yield project_url(base, line)
        elif urlsplit(line).scheme in {"http", "https"}:
            yield canonical(rebase(line, base_url))
        elif line.startswith("/"):
            yield canonical(base + line)
        else:
            raise SeedError(
                f"{path}:{number}: seed {line!r} is neither a URL nor a project number "
                "(like 2019/00145 or 22-005-S01)"
            )
