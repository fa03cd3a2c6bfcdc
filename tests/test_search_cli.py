"""`esfbank search`: JSON lines and a table on both backends; bad input is one clear line, exit 2,
no traceback, and the database is left as it was."""

from __future__ import annotations

import json

import pytest

from esfbank.cli import main
from tests.plugins.db import BOOKKEEPING_TABLES, FreshDb, table_snapshot
from tests.research_db import load_fixture_db


@pytest.fixture
def loaded(fresh_db: FreshDb) -> FreshDb:
    load_fixture_db(fresh_db.url)
    return fresh_db


def test_jsonl_gives_one_object_a_hit(loaded: FreshDb, capsys) -> None:
    argv = ["search", '"utrikes födda kvinnor"', "--db", loaded.url, "--format", "jsonl"]
    assert main(argv) == 0
    out = capsys.readouterr()
    hits = [json.loads(line) for line in out.out.splitlines()]
    assert [list(h) for h in hits] == [
        ["kind", "title", "project_number", "source_url", "rank", "snippet"]
    ] * len(hits)
    assert {h["project_number"] for h in hits} == {"22-044-S07", "2018/00566"}
    assert [h["rank"] for h in hits] == [1, 2]
    assert all("[utrikes] [födda] [kvinnor]" in h["snippet"] for h in hits)
    assert out.err.strip() == """esfbank search: 2 hits for '"utrikes födda kvinnor"'"""


def test_the_table_shows_number_title_snippet_and_url(loaded: FreshDb, capsys) -> None:
    assert main(["search", "arbetslösa", "--db", loaded.url, "--limit", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6
    assert lines[0].split()[:2] == ["1", "project"]
    assert "[arbetslös" in lines[1].lower()
    assert lines[2].strip().startswith("https://www.esf.se/")


def test_kind_and_period_narrow_the_hits(loaded: FreshDb, capsys) -> None:
    assert (
        main(["search", "kvinnor", "--db", loaded.url, "--kind", "news", "--format", "jsonl"]) == 0
    )
    kinds = {json.loads(line)["kind"] for line in capsys.readouterr().out.splitlines()}
    assert kinds == {"news"}
    argv = ["search", "kvinnor", "--db", loaded.url, "--period", "2021-2027", "--format", "jsonl"]
    assert main(argv) == 0
    numbers = [json.loads(line)["project_number"] for line in capsys.readouterr().out.splitlines()]
    assert numbers
    assert all(n.startswith("22-") for n in numbers)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("och det att", "has no words to search for (only stop words or punctuation)"),
        ("?!.,;:", "has no words to search for (only stop words or punctuation)"),
        ('"utrikes födda', "unbalanced quote in query"),
        ("arbetslösa " * 1000, "at most 500 are searched"),
    ],
)
def test_a_bad_query_is_one_line_and_changes_nothing(
    loaded: FreshDb, capsys, query: str, message: str
) -> None:
    before = table_snapshot(loaded.engine, BOOKKEEPING_TABLES - {"crawl_runs"})
    assert main(["search", query, "--db", loaded.url]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.startswith("esfbank search: error: ")
    assert message in out.err
    assert len(out.err.strip().splitlines()) == 1
    assert "Traceback" not in out.err
    assert table_snapshot(loaded.engine, BOOKKEEPING_TABLES - {"crawl_runs"}) == before


def test_sql_in_the_query_is_searched_for_as_words(loaded: FreshDb, capsys) -> None:
    before = table_snapshot(loaded.engine)
    assert main(["search", "'; drop table projects; --", "--db", loaded.url]) == 0
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.strip() == 'esfbank search: 0 hits for "\'; drop table projects; --"'
    assert table_snapshot(loaded.engine) == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--limit", "0"], "'0' is not a whole number above 0"),
        (["--period", "2030"], "invalid choice: '2030'"),
    ],
)
def test_bad_flags_are_usage_errors(tmp_path, capsys, argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["search", "kvinnor", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}", *argv])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_news_with_a_period_is_a_usage_error(tmp_path, capsys) -> None:
    argv = ["--kind", "news", "--period", "2014-2020", "--db", f"sqlite:///{tmp_path / 'x'}"]
    assert main(["search", "kvinnor", *argv]) == 2
    assert capsys.readouterr().err.strip() == (
        "esfbank search: error: --period selects projects; news have no programme period"
    )
