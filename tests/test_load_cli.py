"""`esfbank load`: saved pages into the database, summary counts, exit codes 0/1/2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from esfbank.cli import main
from load import schema as t
from tests.plugins.db import FreshDb

PAGES = Path(__file__).parent / "fixtures" / "load" / "pages"


def _pages_with_urls(folder: Path) -> Path:
    """The fixture pages that carry a `URL:` line (every one of them can be keyed)."""
    folder.mkdir()
    for page in PAGES.iterdir():
        if page.read_text(encoding="utf-8").startswith("URL:"):
            shutil.copy(page, folder / page.name)
    return folder


def test_load_folder_then_reload_changes_nothing(
    fresh_db: FreshDb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _pages_with_urls(tmp_path / "pages")
    assert main(["load", str(folder), "--db", fresh_db.url]) == 0
    first = capsys.readouterr().out
    with fresh_db.engine.connect() as conn:
        loaded = sum(
            conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in (t.projects, t.news_articles)
        )
        runs = conn.execute(sa.select(t.crawl_runs)).mappings().all()
    assert loaded >= 20
    assert f"esfbank load: {loaded} new, 0 changed, 0 unchanged" in first
    assert [(r["kind"], r["status"], r["new"]) for r in runs] == [("load", "ok", loaded)]
    assert main(["load", str(folder), "--db", fresh_db.url]) == 0
    assert f"0 new, 0 changed, {loaded} unchanged" in capsys.readouterr().out


def test_inputs_that_cannot_be_keyed_give_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"  # a new file: load migrates it
    no_url = PAGES / "esf2007_visioncenter.txt"
    assert main(["load", str(no_url), "--db", url]) == 1
    assert (
        "0 new, 0 changed, 0 unchanged, 0 not loaded (calls, listings, other), 1 quarantined"
        in (capsys.readouterr().out)
    )


def test_unreadable_input_gives_exit_1_and_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = tmp_path / "broken.html"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    assert main(["load", str(binary), "--db", f"sqlite:///{tmp_path / 'db.sqlite'}"]) == 1
    captured = capsys.readouterr()
    assert str(binary) in captured.err
    assert "1 with parse errors" in captured.out


@pytest.mark.parametrize(
    "url",
    ["sqlite:///no/such/folder/x.sqlite", "postgresql+psycopg://u:secret@127.0.0.1:1/x", "nope://"],
)
def test_a_database_url_that_does_not_work_is_one_line_and_exit_2(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load", str(PAGES), "--db", url]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("esfbank load: error: database ")
    assert "secret" not in err


def test_a_missing_path_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["load", str(tmp_path / "nothing-here"), "--db", "sqlite://"]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_long_loads_print_progress(
    fresh_db: FreshDb,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("esfbank.commands.load._BATCH_SIZE", 2)
    monkeypatch.setattr("esfbank.commands.load._PROGRESS_EVERY", 4)
    folder = _pages_with_urls(tmp_path / "pages")
    assert main(["load", str(folder), "--db", fresh_db.url]) == 0
    progress = [line for line in capsys.readouterr().err.splitlines() if "pages loaded" in line]
    assert progress[:2] == ["esfbank load: 4 pages loaded", "esfbank load: 8 pages loaded"]
