"""`esfbank load` archives the saved pages it loads, so `reparse` rebuilds them too."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.plugins.site import esfbank, table_snapshot

GOLDEN = Path(__file__).parent / "fixtures" / "golden"


def test_reparse_rebuilds_what_load_loaded(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for family in ("esf2007", "esf2014", "esfplus2021", "news"):
        for page in sorted((GOLDEN / family).glob("*.txt"))[:3]:
            # A page without a URL has no identity to rebuild it under: load does not archive it.
            if page.read_text(encoding="utf-8").startswith("URL: "):
                shutil.copy(page, pages / f"{family}-{page.name}")
    archive = tmp_path / "archive"
    loaded = f"sqlite:///{tmp_path / 'loaded.sqlite'}"
    rebuilt = f"sqlite:///{tmp_path / 'rebuilt.sqlite'}"

    esfbank("load", "--db", loaded, "--archive", str(archive), str(pages))
    esfbank("reparse", "--db", rebuilt, "--archive", str(archive))

    before, after = table_snapshot(loaded), table_snapshot(rebuilt)
    assert before["projects"], "nothing was loaded"
    assert after["projects"] == before["projects"]
    assert after["news_articles"] == before["news_articles"]
