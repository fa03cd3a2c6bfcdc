"""A newcomer following only the README: every command it shows runs and prints what it says.

The commands are read from the README's shell blocks, in order, and run in a fresh folder
(with the repository's `tests/` linked in, for the paths the README uses): `make demo` as the
Makefile's recipe, `crawl`/`backfill` pointed at the fixture site on loopback, `make test`
left out (it is the suite this test is part of). Then the README's SQL runs on the demo
database. Synopsis lines (with placeholders such as PATH or [--flag]) are not commands.
"""

from __future__ import annotations

import os
import re
import shlex
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from esfbank.fixture_site import FixtureSite

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SHELL_FENCES = {"", "sh", "shell", "bash", "console"}
PLACEHOLDER = re.compile(r"\.\.\.|\[|\||<|\b(PATH|URL|FILE|DATE|NAME|DIR|N|S|SHARE)\b")
PATH_ARGUMENT = re.compile(r"^[\w.-]+(/[\w.-]*)*(/|\.html?|\.txt)$")  # saved-pages/, page.html
CRAWLING = {"crawl", "backfill", "discover"}  # pointed at the fixture site
LOOPBACK = ["--no-autothrottle", "--download-delay", "0"]


@dataclass(frozen=True, slots=True)
class Block:
    section: str
    fence: str
    text: str


def readme_blocks(markdown: str) -> list[Block]:
    """Fenced blocks with the README section (`<!-- section: NAME -->`) they stand in."""
    blocks, section = [], "top"
    for match in re.finditer(
        r"<!-- section: (\w+)|^```(\w*)\n(.*?)^```", markdown, flags=re.DOTALL | re.MULTILINE
    ):
        if match.group(1):
            section = match.group(1)
        else:
            blocks.append(Block(section, match.group(2), match.group(3)))
    return blocks


def commands(blocks: list[Block]) -> list[str]:
    """Concrete command lines of the shell blocks, comments removed."""
    found = []
    for block in blocks:
        if block.fence not in SHELL_FENCES:
            continue
        for raw in block.text.splitlines():
            line = re.sub(r"\s+#\s.*$", "", raw).strip()
            if not re.match(r"(esfbank|make|export ESFBANK_\w+=)\b", line):
                continue
            if PLACEHOLDER.search(line):
                continue
            if any(PATH_ARGUMENT.match(a) and not (ROOT / a).exists() for a in shlex.split(line)):
                continue  # an illustrative path (page.html, saved-pages/), not the repository's
            found.append(line)
    return found


def sql_statements(blocks: list[Block]) -> list[str]:
    statements = []
    for block in blocks:
        if block.fence == "sql":
            text = "\n".join(x for x in block.text.splitlines() if not x.lstrip().startswith("--"))
            statements += [s.strip() for s in text.split(";") if s.strip()]
    return statements


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))
COMMANDS = commands(BLOCKS)


def test_readme_starts_with_the_two_commands():
    assert COMMANDS[:1] == ["make demo"]
    assert "make test" in BLOCKS[0].text


def test_crawls_are_pointed_at_the_fixture_site():
    argv = _argv(
        "esfbank crawl --base-url https://www.esf.se --concurrency 1", "http://127.0.0.1:8"
    )
    assert argv is not None
    assert "https://www.esf.se" not in argv
    assert argv[-5:] == ["--base-url", "http://127.0.0.1:8", *LOOPBACK]
    assert "--concurrency" in argv


def test_make_demo_is_esfbank_demo():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:.*\n\t\$\(BIN\)/esfbank demo\n", makefile, flags=re.MULTILINE)


@dataclass
class Ran:
    command: str
    code: int
    out: str
    err: str


def _argv(line: str, base_url: str) -> list[str] | None:
    words = shlex.split(line)
    if words[0] == "make":
        if words[1:] == ["demo"]:
            words = ["esfbank", "demo"]
        else:
            return None  # make test is this suite; make lint/bench/setup are not README steps
    if words[1] in CRAWLING:
        # Never the real site: drop any --base-url the README gives and use the fixture copy.
        kept: list[str] = []
        for word in words:
            if kept and kept[-1] == "--base-url":
                kept.pop()
            elif not word.startswith("--base-url="):
                kept.append(word)
        words = [*kept, "--base-url", base_url, *LOOPBACK]
    return [sys.executable, "-m", *words]


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory) -> tuple[Path, list[Ran]]:
    """Run the README's commands in order in a fresh folder; keep what each printed."""
    folder = tmp_path_factory.mktemp("newcomer")
    (folder / "tests").symlink_to(ROOT / "tests")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESFBANK_")}
    env["PYTHONPATH"] = str(ROOT)
    ran = []
    with FixtureSite() as site:
        for line in COMMANDS:
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").partition("=")
                env[name] = shlex.split(value)[0]
                continue
            argv = _argv(line, site.base_url)
            if argv is None:
                continue
            proc = subprocess.run(
                argv, cwd=folder, env=env, capture_output=True, text=True, timeout=300
            )
            ran.append(Ran(line, proc.returncode, proc.stdout, proc.stderr))
    return folder, ran


def test_every_command_succeeds(walkthrough):
    _, ran = walkthrough
    assert ran, "the README shows no command"
    failed = [f"{r.command} → {r.code}\n{r.err[-2000:]}" for r in ran if r.code != 0]
    assert not failed, "\n\n".join(failed)


def test_the_demo_loads_data(walkthrough):
    folder, ran = walkthrough
    demo = next(r for r in ran if r.command == "make demo")
    assert "demo:" in demo.out
    with sqlite3.connect(folder / "data" / "demo.sqlite") as db:
        projects = db.execute("SELECT COUNT(*) FROM projects").fetchone()[0]
        news = db.execute("SELECT COUNT(*) FROM news_articles").fetchone()[0]
    assert projects >= 20
    assert news >= 5


def test_the_readme_sql_runs_on_the_demo_database(walkthrough):
    folder, _ = walkthrough
    statements = sql_statements(BLOCKS)
    assert len(statements) >= 3, "the README should show at least three example queries"
    with sqlite3.connect(folder / "data" / "demo.sqlite") as db:
        for statement in statements:
            assert db.execute(statement).fetchall(), f"no rows from:\n{statement}"


def test_the_csv_export_writes_the_demo_projects(walkthrough):
    folder, ran = walkthrough
    export = next(r for r in ran if "--out projects.csv" in r.command)
    with sqlite3.connect(folder / "data" / "demo.sqlite") as db:
        projects = db.execute("SELECT COUNT(*) FROM v_projects").fetchone()[0]
    assert f"{projects} rows of view v_projects written to projects.csv" in export.err
    lines = (folder / "projects.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("project_id,programme_period,project_number,title,")
    assert len(lines) == projects + 1  # demo titles and owners hold no line breaks


def test_the_report_passes_the_gates_on_the_demo(walkthrough):
    _, ran = walkthrough
    report = next(r for r in ran if r.command == "esfbank report")
    assert "PASS min_count.project" in report.out
    assert report.out.rstrip().endswith("all gates passed")


def test_the_search_examples_find_inflections_and_phrases(walkthrough):
    _, ran = walkthrough
    plain = next(r for r in ran if r.command.startswith("esfbank search arbetslösa"))
    assert "[arbetslösheten]" in plain.out
    phrase = next(r for r in ran if "utrikes födda kvinnor" in r.command)
    assert '"snippet": ' in phrase.out
    assert "[utrikes] [födda] [kvinnor]" in phrase.out


def test_the_html_report_is_written(walkthrough):
    folder, _ = walkthrough
    assert "<svg " in (folder / "report.html").read_text(encoding="utf-8")
