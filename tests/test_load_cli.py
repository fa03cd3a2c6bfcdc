"""`esfbank load`: saved pages into the database, summary counts, exit codes 0/1/2."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from esfbank.cli import main
from load import schema as t
from parsers import page as page_module
from parsers.records import Record, Source
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


def test_load_progress_shows_pages_per_second_and_time_left(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # esfbank.progress's clock: one second passes each time it is read.
    monkeypatch.setattr(
        "esfbank.progress.time", SimpleNamespace(monotonic=itertools.count().__next__)
    )
    monkeypatch.setenv("ESFBANK_PROGRESS_SECONDS", "2")
    pages = sorted(PAGES.glob("*"))[:6]
    argv = ["load", *map(str, pages), "--db", f"sqlite:///{tmp_path / 'db.sqlite'}", "--jobs", "2"]
    main(argv)
    progress = [x for x in capsys.readouterr().err.splitlines() if " pages/s" in x]
    assert progress == [
        "esfbank load: 2/6 pages, 1 pages/s, about 4 s left",
        "esfbank load: 4/6 pages, 1 pages/s, about 2 s left",
        "esfbank load: 6/6 pages, 1 pages/s, about 0 s left",
    ]


def test_a_file_the_parser_crashes_on_is_quarantined_and_the_load_goes_on(
    fresh_db: FreshDb,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before, the first crash ended `esfbank load` with a traceback."""
    folder = _pages_with_urls(tmp_path / "pages")
    crashing = sorted(folder.iterdir())[0]
    parse_bytes = page_module.parse_bytes

    def crash_on_one(data: bytes, source: Source, **kwargs: Any) -> Record:
        if source.path == str(crashing):
            raise KeyError("rubrik")
        return parse_bytes(data, source, **kwargs)

    monkeypatch.setattr(page_module, "parse_bytes", crash_on_one)
    assert main(["load", str(folder), "--db", fresh_db.url, "--jobs", "1"]) == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        f"esfbank parse: {crashing}: field page: parser crashed: KeyError: 'rubrik'"
    ]
    assert "1 with parse errors" in out
    with fresh_db.engine.connect() as conn:
        errors = conn.execute(sa.select(t.parse_errors.c.source_path, t.parse_errors.c.message))
        assert errors.all() == [(str(crashing), "parser crashed: KeyError: 'rubrik'")]
        loaded = conn.execute(sa.select(sa.func.count()).select_from(t.projects)).scalar_one()
    assert loaded >= 15
