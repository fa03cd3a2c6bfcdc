"""Bad input to the crawling commands: one clear line on stderr, exit code 2, nothing crawled."""

from __future__ import annotations

from pathlib import Path

import pytest

from esfbank.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["crawl", "--base-url", "ftp://example.org"], "expected http(s)://host[:port]"),
        (["crawl", "--base-url", "http://127.0.0.1:9/sv/"], "give the site root"),
        (["crawl", "--concurrency", "0"], "--concurrency 0: must be at least 1"),
        (["backfill", "--concurrency", "-1"], "--concurrency -1: must be at least 1"),
        (["crawl", "--urls", "no-such-seeds.txt"], "no-such-seeds.txt: cannot read seed list"),
        (["crawl", "--max-removed-share", "10"], "10.0: a fraction from 0 to 1"),
        (["backfill", "--max-removed-share", "-0.1"], "-0.1: a fraction from 0 to 1"),
        (["backfill", "--wayback-url", "web.archive.org"], "--wayback-url 'web.archive.org'"),
        (["backfill", "--wayback-url", "http://127.0.0.1:9/web/"], "give the site root"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1


def test_a_bad_seed_line_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("2019/00145\nnot a page\n", encoding="utf-8")
    assert main(["crawl", "--base-url", "http://127.0.0.1:9", "--urls", str(seeds)]) == 2
    assert "seeds.txt:2: seed 'not a page'" in capsys.readouterr().err


def test_a_bad_environment_value_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ESFBANK_DOWNLOAD_TIMEOUT", "soon")
    assert main(["crawl", "--base-url", "http://127.0.0.1:9"]) == 2
    assert "ESFBANK_DOWNLOAD_TIMEOUT='soon'" in capsys.readouterr().err


def test_a_bad_removal_share_or_archive_from_the_environment_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ESFBANK_MAX_REMOVED_SHARE", "ten percent")
    assert main(["crawl", "--base-url", "http://127.0.0.1:9"]) == 2
    assert "ESFBANK_MAX_REMOVED_SHARE='ten percent'" in capsys.readouterr().err
    monkeypatch.delenv("ESFBANK_MAX_REMOVED_SHARE")
    monkeypatch.setenv("ESFBANK_WAYBACK_URL", "archive")
    assert main(["backfill", "--wayback", "--base-url", "http://127.0.0.1:9"]) == 2
    assert "ESFBANK_WAYBACK_URL 'archive': expected http(s)" in capsys.readouterr().err


def test_an_unusable_database_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["reparse", "--db", "nosuchdb://x", "--archive", str(tmp_path)]
    (tmp_path / "index").mkdir()
    assert main(argv) == 2
    assert "nosuchdb" in capsys.readouterr().err


def test_reparse_without_an_archive_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reparse", "--archive", str(tmp_path / "none")]) == 2
    assert "no raw archive there" in capsys.readouterr().err


def test_an_archive_that_cannot_be_created_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    argv = ["crawl", "--base-url", "http://127.0.0.1:9", "--archive", str(blocker / "archive")]
    assert main(argv) == 2
    assert "cannot create it" in capsys.readouterr().err
