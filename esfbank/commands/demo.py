"""`esfbank demo`: serve the bundled fixture site on loopback and crawl it end to end.

No network needed. The database (data/demo.sqlite) and its archive (data/demo-archive) are made
fresh each time. Prints counts per family, checks that every page of the site's MANIFEST.json was
loaded, and shows a sample record and a sample SQL query with its result.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from esfbank import config

DEMO_DB = config.DEFAULT_DATA_DIR / "demo.sqlite"
DEMO_ARCHIVE = config.DEFAULT_DATA_DIR / "demo-archive"
LOADED_KINDS = ("project", "news")
# Loopback is not a real site: the demo may hurry (the defaults for real sites stay polite).
LOOPBACK_FLAGS: dict[str, Any] = {
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "ESFBANK_PROGRESS_SECONDS": 2.0,
}

SAMPLE_QUERY = """\
SELECT programme_period, region, COUNT(*) AS projects, SUM(granted_esf_sek) AS granted_esf_sek
FROM projects
WHERE removed_at IS NULL
GROUP BY programme_period, region
ORDER BY programme_period, projects DESC
LIMIT 10"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="crawl the bundled fixture site on loopback into data/demo.sqlite",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--db-file", type=Path, default=DEMO_DB, help=f"default {DEMO_DB}")
    p.add_argument("--archive", type=Path, default=DEMO_ARCHIVE, help=f"default {DEMO_ARCHIVE}")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from crawler.context import CrawlOptions
    from crawler.runner import run_crawl
    from crawler.settings import crawl_settings
    from esfbank.commands.crawl import open_migrated_store, print_summary
    from esfbank.fixture_site import FixtureSite

    db_file: Path = args.db_file
    _fresh(db_file, args.archive)
    db_url = f"sqlite:///{db_file}"
    store = open_migrated_store(db_url)
    settings = crawl_settings(LOOPBACK_FLAGS)
    try:
        with FixtureSite() as site:
            print(f"demo: serving the fixture site at {site.base_url} ({len(site.manifest)} pages)")
            result = run_crawl(
                CrawlOptions(base_url=site.base_url, mode="incremental"),
                settings,
                store=store,
                archive_dir=args.archive,
            )
            expected = {site.url(p.path): p.kind for p in site.manifest if p.kind in LOADED_KINDS}
    finally:
        store.close()
    print_summary("demo", result, settings.getfloat("ESFBANK_FAILURE_THRESHOLD"))
    return _report(db_url, expected)


def _fresh(db_file: Path, archive: Path) -> None:
    for path in (db_file, Path(f"{db_file}-wal"), Path(f"{db_file}-shm")):
        path.unlink(missing_ok=True)
    shutil.rmtree(archive, ignore_errors=True)
    db_file.parent.mkdir(parents=True, exist_ok=True)


def _report(db_url: str, expected: Mapping[str, str]) -> int:
    import sqlalchemy as sa

    from load.engine import create_engine

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            live = sa.text("SELECT url, kind FROM url_state WHERE NOT removed")
            loaded = {str(url): str(kind) for url, kind in conn.execute(live)}
            periods = conn.execute(
                sa.text(
                    "SELECT programme_period, COUNT(*) FROM projects "
                    "GROUP BY programme_period ORDER BY programme_period"
                )
            ).all()
            news = conn.execute(sa.text("SELECT COUNT(*) FROM news_articles")).scalar_one()
            sample = (
                conn.execute(
                    sa.text(
                        "SELECT * FROM projects WHERE project_number IS NOT NULL "
                        "ORDER BY programme_period DESC, project_number LIMIT 1"
                    )
                )
                .mappings()
                .first()
            )
            result = conn.execute(sa.text(SAMPLE_QUERY))
            columns, rows = list(result.keys()), result.all()
    finally:
        engine.dispose()

    print("\ndemo: records per family")
    for period, count in periods:
        print(f"  projects {period or '(no period)':<12} {count:>5}")
    print(f"  news                  {news:>5}")

    missing = sorted(url for url, kind in expected.items() if loaded.get(url) != kind)
    by_kind = Counter(expected.values())
    print(
        f"\ndemo: MANIFEST.json lists {by_kind['project']} project and {by_kind['news']} news "
        f"pages; {len(expected) - len(missing)} of them loaded with that kind"
    )
    for url in missing:
        print(f"  missing or misdetected: {url} (loaded as {loaded.get(url)})")

    if sample is not None:
        print("\ndemo: a sample record (projects table)")
        shown = {k: _shorten(v) for k, v in sample.items()}
        print(json.dumps(shown, ensure_ascii=False, indent=2, default=str))
    print(f"\ndemo: a sample query\n{SAMPLE_QUERY};\n")
    _print_table(columns, rows)
    return 1 if missing else 0


def _shorten(value: Any, limit: int = 160) -> Any:
    """Long free text (sections) cut for the screen; everything else as stored."""
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + "…"
    return value


def _print_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
