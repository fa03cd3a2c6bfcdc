"""`esfbank report` has a section on the other sources, and linked-share gates that fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from esfbank.cli import main
from tests.plugins.db import FreshDb
from tests.test_sources import import_all, load_pages


def _gates(tmp_path: Path, share: float) -> Path:
    path = tmp_path / "gates.toml"
    path.write_text(f'[min_linked_share.kohesio]\n"2021-2027" = {share!r}\n', encoding="utf-8")
    return path


def test_the_report_shows_the_sources_section(
    fresh_db: FreshDb, capsys: pytest.CaptureFixture[str]
) -> None:
    load_pages(fresh_db.url)
    import_all(fresh_db.url)
    capsys.readouterr()
    assert main(["report", "--db", fresh_db.url]) == 1  # the default 0.5 of ESF+ is not met
    out = capsys.readouterr().out
    section = out[out.index("Other sources") : out.index("\nGates")]
    assert (
        "kohesio: 10 rows (0 no longer listed), 8 linkable, 4 linked (2 by "
        "org_number+title+start_date, 2 by project_number); 1 ambiguous, not linked" in section
    )
    assert "linked share of current projects: 2014-2020 60.0%, 2021-2027 33.3%" in section
    assert "eu_cofinancing_rate_pct 1" in section
    assert "rows no page has: 4 (Q1008, Q1009, Q1010, Q1011)" in section
    assert "esf_export: 4 rows (0 no longer listed), 4 linkable, 3 linked" in section
    assert "rows no page has: 1 (24-002-S01)" in section
    assert "FAIL min_linked_share.kohesio.2021-2027: 0.333333 (needs >= 0.5)" in out


def test_a_linked_share_gate_one_project_above_the_measured_share_fails(
    fresh_db: FreshDb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three current ESF+ projects, one linked to Kohesio: 1/3 passes, 2/3 fails (exit 1)."""
    load_pages(fresh_db.url)
    import_all(fresh_db.url)
    assert main(["report", "--db", fresh_db.url, "--gates", str(_gates(tmp_path, 1 / 3))]) == 0
    capsys.readouterr()
    assert main(["report", "--db", fresh_db.url, "--gates", str(_gates(tmp_path, 2 / 3))]) == 1
    assert "gate failed: min_linked_share.kohesio.2021-2027" in capsys.readouterr().err


def test_a_linked_share_gate_of_a_source_never_imported_passes(
    fresh_db: FreshDb, tmp_path: Path
) -> None:
    load_pages(fresh_db.url)
    assert main(["report", "--db", fresh_db.url, "--gates", str(_gates(tmp_path, 0.9))]) == 0


def test_a_linked_share_gate_of_an_unknown_source_is_a_usage_error(
    fresh_db: FreshDb, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "gates.toml"
    path.write_text('[min_linked_share.wikidata]\n"2021-2027" = 0.5\n', encoding="utf-8")
    assert main(["report", "--db", fresh_db.url, "--gates", str(path)]) == 2
    assert "min_linked_share.wikidata: unknown name" in capsys.readouterr().err
