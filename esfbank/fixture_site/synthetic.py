"""A generated site of N project and news pages for benchmarks: never written to disk.

Every page is a committed fixture page of the same family and layout with another number, title,
amounts and dates (variants.py), generated when requested, deterministic from (seed, page index).
Listings (`/resultat/projektbanken/?page=N`, `/nyheter/?page=N`, 50 links a page), sitemaps of
1,000 URLs under one index, robots.txt and a home page make it crawlable like the real site.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from esfbank.fixture_site.manifest import Manifest, Page
from esfbank.fixture_site.paths import file_for
from esfbank.fixture_site.render import (
    Link,
    render_listing,
    render_robots,
    render_sitemap,
    render_sitemap_index,
)
from esfbank.fixture_site.sources import DirectorySource
from esfbank.fixture_site.variants import vary

PER_LISTING = 50
MAX_PAGES = 99_999  # project numbers have five digits
PER_SITEMAP = 1000
_START = dt.datetime(2023, 1, 2, 6, 0, tzinfo=dt.UTC)
_P07 = "/sv/Resultat/Projektbanken/Behallare-for-projekt"
_P14 = "/sv/Resultat/Projektbanken-2014-2020/Alla-Projekt"
_DNR = "/resultat/projektbanken/projekt/?dnr="
_BANK = "/resultat/projektbanken/"
_NEWS = "/nyheter/"
# Out of every 20 pages: 6 of 2014–2020 (`?dnr=`), 6 of ESF+, 5 of 2007–2013, 1 old 2014, 2 news.
_MIX = ("2014",) * 6 + ("2021",) * 6 + ("2007",) * 5 + ("old",) + ("news",) * 2


class SyntheticSource:
    """`PageSource` of a generated site; pages vary the templates in `template_root`."""

    def __init__(
        self, count: int, *, seed: int = 0, template_root: Path, page_kb: int | None = None
    ) -> None:
        if not 1 <= count <= MAX_PAGES:
            raise ValueError(f"synthetic site: page count must be 1 to {MAX_PAGES}, not {count}")
        self.seed = seed
        self.page_bytes = (page_kb or 0) * 1024
        self._templates = DirectorySource(template_root)
        pool = self._template_pool()
        self._generators: dict[str, Callable[[], bytes]] = {}
        pages: list[Page] = []
        for i in range(count):
            group = _MIX[i % len(_MIX)]
            templates = pool[group]
            pages.append(self._add_page(i, group, templates[(i // len(_MIX)) % len(templates)]))
        pages += self._add_discovery(pages)
        self.manifest = Manifest(
            pages=tuple(pages),
            resources=("/robots.txt", "/sitemap.xml", *sorted(self._sitemaps)),
            sitemap_index="/sitemap.xml",
            site_lastmod=max(p.lastmod for p in pages),
        )

    def read(self, rel: str) -> bytes | None:
        generate = self._generators.get(rel)
        return generate() if generate is not None else None

    # -- building the site ---------------------------------------------------------------------
    def _template_pool(self) -> dict[str, list[Page]]:
        pool: dict[str, list[Page]] = {group: [] for group in set(_MIX)}
        for page in self._templates.manifest.pages:
            if page.layout in {"new", "newest"} and page.project_number:
                pool["2014" if page.family == "2014-2020" else "2021"].append(page)
            elif page.layout == "glued" and page.title:
                pool["2007"].append(page)
            elif page.layout == "old" and page.project_number:
                pool["old"].append(page)
            elif page.kind == "news" and page.title:
                pool["news"].append(page)
        empty = [group for group, pages in pool.items() if not pages]
        if empty:
            raise ValueError(f"synthetic site: no template pages for {', '.join(sorted(empty))}")
        return pool

    def _add_page(self, i: int, group: str, template: Page) -> Page:
        number: str | None
        if group == "2014":
            number = f"{2015 + i % 8}/{i + 1:05d}"
            path = _DNR + number
        elif group == "2021":
            number = f"{22 + i % 4}-{i // 100:03d}-S{i % 100:02d}"
            path = _DNR + number
        elif group == "old":
            number = f"{2014 + i % 7}/{i + 1:05d}"
            path = f"{_P14}/Projekt-{i}/"
        elif group == "2007":
            number = None
            region = template.path.removeprefix("/sv").split("/")[4]
            path = f"{_P07}/{region}/Projekt-{i}/"
        else:
            number = None
            path = f"{_NEWS}nyhet-{i}/"
        title = f"{template.title} ({i})"  # "Framtidslabbet 2 180" would read as an amount
        changes = {template.path: path}
        if template.project_number and number:
            changes[template.project_number] = number
        changes[template.title or ""] = title
        rng = random.Random(self.seed * 1_000_003 + i)
        factor = rng.uniform(0.3, 3.0)
        shift = rng.randint(-400, 400)
        source = template.file

        def generate() -> bytes:
            raw = self._templates.read(source) or b""
            text = vary(raw.decode(), replace=changes, amount_factor=factor, date_shift_days=shift)
            return _weighed(text.encode(), self.page_bytes)

        self._generators[file_for(path)] = generate
        is_news = group == "news"
        return Page(
            path=path,
            kind="news" if is_news else "project",
            lastmod=_START + dt.timedelta(days=i % 700, minutes=i % 1440),
            sitemap=f"/sitemaps/synt-{i // PER_SITEMAP + 1}.xml",
            family=template.family,
            layout=template.layout,
            title=title,
            project_number=number,
            source=f"synthetic variant of {template.path}",
        )

    def _add_discovery(self, content: list[Page]) -> list[Page]:
        """Listings, home, sitemaps and robots.txt; sets each content page's `listed_on`."""
        pages: list[Page] = []
        listed_on: dict[str, str] = {}
        last = max(p.lastmod for p in content)
        for first, title, kind in ((_BANK, "Projektbanken", "project"), (_NEWS, "Nyheter", "news")):
            members = [p for p in content if p.kind == kind]
            chunks = [members[k : k + PER_LISTING] for k in range(0, len(members), PER_LISTING)]
            paths = [first if n == 0 else f"{first}?page={n + 1}" for n in range(len(chunks))]
            for n, chunk in enumerate(chunks):
                links = [
                    Link(p.path, p.title or p.path, absolute=k % 2 == 0)
                    for k, p in enumerate(chunk)
                ]
                previous = paths[n - 1] if n else None
                following = paths[n + 1] if n + 1 < len(paths) else None
                shown = (n * PER_LISTING + 1, n * PER_LISTING + len(chunk), len(members))
                self._generators[file_for(paths[n])] = _listing(
                    paths[n], title, links, previous=previous, following=following, shown=shown
                )
                pages.append(Page(paths[n], "listing", last, family="listing", title=title))
                listed_on.update((p.path, paths[n]) for p in chunk)
        home_links = [Link(_BANK, "Projektbanken"), Link(_NEWS, "Nyheter")]
        self._generators["index.html"] = _listing("/", "Svenska ESF-rådet", home_links)
        pages.append(Page("/", "other", last, family="other", title="Svenska ESF-rådet"))

        sitemaps: dict[str, list[Page]] = {}
        for page in content:
            if page.sitemap:
                sitemaps.setdefault(page.sitemap, []).append(page)
        index = [(path, max(p.lastmod for p in ps).isoformat()) for path, ps in sitemaps.items()]
        self._sitemaps = tuple(sitemaps)
        for path, members in sitemaps.items():
            entries = [(p.path, p.lastmod.isoformat()) for p in members]
            self._generators[file_for(path)] = _constant(render_sitemap(entries))
        self._generators["sitemap.xml"] = _constant(render_sitemap_index(index))
        self._generators["robots.txt"] = _constant(render_robots(["/sok/"], ["/sitemap.xml"]))
        content[:] = [replace(p, listed_on=(listed_on[p.path],)) for p in content]
        return pages


# A CMS's menu data inlined in every page: invisible, but real pages carry tens of KB of it.
_MENU_ITEM = (
    b'{"title":"Projektbanken","href":"/resultat/projektbanken/","children":['
    b'{"title":"Nyheter","href":"/nyheter/"},'
    b'{"title":"Om webbplatsen","href":"/om-webbplatsen/"}]},'
)


def _weighed(html: bytes, size: int) -> bytes:
    """The page padded to about `size` bytes with inline menu JSON in its head (0: as it is)."""
    missing = size - len(html)
    if missing <= 0 or b"</head>" not in html:
        return html
    items = _MENU_ITEM * (missing // len(_MENU_ITEM) + 1)
    data = b'<script type="application/json" id="menu-data">[' + items[:-1] + b"]</script>\n"
    return html.replace(b"</head>", data + b"</head>", 1)


def _constant(text: str) -> Callable[[], bytes]:
    body = text.encode()
    return lambda: body


def _listing(
    path: str,
    title: str,
    links: list[Link],
    *,
    previous: str | None = None,
    following: str | None = None,
    shown: tuple[int, int, int] | None = None,
) -> Callable[[], bytes]:
    return lambda: render_listing(
        path,
        title,
        "Genererad sida för prestandamätning.",
        links,
        previous=previous,
        following=following,
        shown=shown,
    ).encode()
