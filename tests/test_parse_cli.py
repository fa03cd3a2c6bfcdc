"""`esfbank parse` end to end: one record per input in order, bad inputs reported, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from esfbank.cli import main
from tests.plugins.site import packages_loaded_by

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
VISIONCENTER = GOLDEN / "esf2007" / "visioncenter.txt"
PROJECT_HTML = GOLDEN / "esf2014" / "2018-00566-html.html"


def run_parse(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "esfbank", "parse", *args], capture_output=True, text=True, cwd=cwd
    )


def records(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.fixture
def bad_inputs(tmp_path: Path) -> list[str]:
    """Each bad input beside good ones, in the order they are given on the command line."""
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    windows = VISIONCENTER.read_text("utf-8").replace("\u00a0", " ")
    (tmp_path / "cp1252.txt").write_bytes(windows.encode("cp1252"))
    shutil.copy(
        GOLDEN / "other" / "kohesio-Q7362478-varmlands-youth-at-work.txt", tmp_path / "kohesio.txt"
    )
    html = PROJECT_HTML.read_bytes()
    (tmp_path / "truncated.html").write_bytes(
        html[: html.index(b'<div class="project-description">')]
    )
    (tmp_path / "bad-value.txt").write_text(
        "2019/00145 - Samverkansplattform\n\nProjektnummer:\n2019/00145\n"
        "Projektägare:\nCoompanion\nBeviljat ESF-stöd:\n12x kr\n",
        "utf-8",
    )
    shutil.copy(VISIONCENTER, tmp_path / "good.txt")
    return [
        "empty.txt",
        "good.txt",
        "binary.html",
        "cp1252.txt",
        "kohesio.txt",
        "missing.txt",
        "truncated.html",
        "bad-value.txt",
    ]


def test_bad_inputs_each_give_one_record_an_error_line_and_exit_1(
    tmp_path: Path, bad_inputs: list[str]
) -> None:
    proc = run_parse(*bad_inputs, cwd=tmp_path)
    assert proc.returncode == 1
    got = {r["source_path"]: r for r in records(proc.stdout)}
    assert [r["source_path"] for r in records(proc.stdout)] == bad_inputs

    for unreadable in ("empty.txt", "binary.html", "missing.txt"):
        assert got[unreadable]["kind"] == "other"
        assert got[unreadable]["errors"][0]["field"] == "page"
        assert f"{unreadable}: field page" in proc.stderr

    assert got["good.txt"]["title"] == "Visioncenter"
    assert got["good.txt"]["errors"] == []
    cp1252 = got["cp1252.txt"]
    assert (cp1252["kind"], cp1252["region"]) == ("project", "Östra Mellansverige")
    assert cp1252["granted_esf_sek"] == 221114
    assert cp1252["errors"] == []
    assert got["kohesio.txt"]["kind"] == "other"
    assert got["kohesio.txt"]["errors"] == []

    truncated = got["truncated.html"]
    assert (truncated["kind"], truncated["project_number"]) == ("project", "2018/00566")
    assert "cut off" in truncated["errors"][0]["message"]
    assert "truncated.html: field page" in proc.stderr

    bad = got["bad-value.txt"]
    assert bad["granted_esf_sek"] is None
    assert bad["project_number"] == "2019/00145"
    assert bad["errors"][0]["value"] == "12x kr"
    assert (
        "bad-value.txt: field granted_esf_sek (label 'Beviljat ESF-stöd') value '12x kr'"
        in proc.stderr
    )


def test_a_folder_expands_to_its_pages_in_sorted_order_and_all_good_exits_0(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy(VISIONCENTER, pages / "b.txt")
    shutil.copy(PROJECT_HTML, pages / "a.html")
    (pages / "notes.md").write_text("not a page", "utf-8")
    proc = run_parse("pages", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [r["source_path"] for r in records(proc.stdout)] == ["pages/a.html", "pages/b.txt"]
    assert records(proc.stdout)[0]["source_url"].endswith("?dnr=2018/00566")


def test_json_and_table_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "--format", "json", str(VISIONCENTER), str(PROJECT_HTML)]) == 0
    array = json.loads(capsys.readouterr().out)
    assert [r["kind"] for r in array] == ["project", "project"]
    assert main(["parse", "--format", "table", str(PROJECT_HTML)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["kind", "programme", "project_num"]
    assert "2018/00566" in table[1]
    assert "Kvinna in i Sverige" in table[1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["parse"], "give at least one saved page"),
        (["parse", "--format", "xml", "x.txt"], "unknown --format 'xml'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_the_readme_record_is_what_esfbank_parse_prints(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = Path(__file__).parent.parent
    monkeypatch.chdir(repo)  # the record's source_path is relative to the repository
    readme = (repo / "README.md").read_text("utf-8")
    section = readme.split("<!-- section: record (owner: parsers) -->")[1]
    shown = json.loads(section.split("```json")[1].split("```")[0])
    assert main(["parse", shown["source_path"]]) == 0
    parsed = json.loads(capsys.readouterr().out)
    for heading, text in shown.pop("sections").items():
        assert parsed.pop("sections")[heading].startswith(text.removesuffix(" …"))
    assert parsed == shown


def test_a_folder_without_pages_is_one_unreadable_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.md").write_text("no pages here", "utf-8")
    assert main(["parse", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    (record,) = records(out)
    assert (record["source_path"], record["kind"]) == (str(tmp_path), "other")
    assert f"{tmp_path}: field page: a folder with no saved pages (.html, .htm, .txt) in it" in err


def test_parse_imports_neither_scrapy_nor_sqlalchemy() -> None:
    """`esfbank parse` must start fast: the crawler's and the database's stacks stay unloaded."""
    heavy = {"scrapy", "sqlalchemy", "twisted", "alembic", "pyarrow", "dateparser"}
    assert packages_loaded_by(["parse", str(VISIONCENTER)], heavy) == []
