"""`esfbank report` on both backends: an empty or half-broken database fails named gates (exit 1);
the loaded fixture database passes the repository's gates (exit 0) with real figures."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest

from esfbank.cli import main
from load.store import LoadItem, RunCounts, open_store
from parsers.records import ProjectRecord
from tests.research_db import golden_records, load_fixture_db


def _report(capsys, url: str, *extra: str) -> tuple[int, str, str]:
    code = main(["report", "--db", url, *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def _json_report(capsys, url: str, *extra: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = _report(capsys, url, "--format", "json", *extra)
    return code, json.loads(out)


def _gates(tmp_path: Path, text: str) -> str:
    path = tmp_path / "gates.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_empty_database_fails_and_names_the_gates(fresh_db, capsys):
    code, out, err = _report(capsys, fresh_db.url)
    assert code == 1
    assert "gate failed: min_count.project: 0 (needs >= 1)" in err
    assert "gate failed: min_count.news: 0 (needs >= 1)" in err
    assert "FAILED gates: min_count.project, min_count.news" in out
    assert "no crawl runs yet" in out


def _load_half_broken(url: str) -> None:
    """Projects only, half of them without a title, and pages that failed whole."""
    projects = [r for r in golden_records() if isinstance(r, ProjectRecord) and r.source.url]
    broken = [dataclasses.replace(p, title=None) if i % 2 else p for i, p in enumerate(projects)]
    store = open_store(url, upgrade=False)
    try:
        run = store.begin_run("crawl")
        store.upsert([LoadItem(record=p, url=p.source.url) for p in broken], run)
        for n in range(5):
            store.quarantine(run, url=f"https://www.esf.se/nyheter/trasig-{n}/", message="timeout")
        store.finish_run(run, "failed", RunCounts(fetched=len(broken) + 5, failed=5))
    finally:
        store.close()


def test_half_broken_database_fails_the_right_gates(fresh_db, capsys):
    _load_half_broken(fresh_db.url)
    code, report = _json_report(capsys, fresh_db.url)
    assert code == 1
    failed = {g["name"] for g in report["gates"] if not g["passed"]}
    assert failed == {"min_count.news", "min_fill_rate.title", "max_error_rate"}
    title = next(g for g in report["gates"] if g["name"] == "min_fill_rate.title")
    assert 0.4 < title["actual"] < 0.6
    assert report["passed"] is False
    assert report["parse_errors_by_field"] == {"(page)": 5}


def test_loaded_fixture_database_passes_with_real_figures(fresh_db, capsys):
    load_fixture_db(fresh_db.url)
    code, report = _json_report(capsys, fresh_db.url)
    assert code == 0, [g for g in report["gates"] if not g["passed"]]
    assert report["passed"] is True
    assert report["counts"]["project"] == sum(report["projects_by_period"].values()) >= 15
    assert report["counts"]["news"] >= 5
    assert report["counts"]["call"] >= 1
    assert report["removed"]["project"] == 1
    assert set(report["projects_by_period"]) == {"2007-2013", "2014-2020", "2021-2027"}
    assert report["fill_rates"]["title"] == 1.0
    assert report["fill_rates_by_period"]["2007-2013"]["project_number"] == 0.0
    assert report["pages_with_errors"] == 1
    assert 0 < report["error_rate"] < 0.05
    assert report["latest_run"]["kind"] == "crawl"
    assert report["latest_run"]["counts"]["changed"] == 1
    assert report["previous_run"]["kind"] == "load"
    assert report["versions_in_latest_run"] == {"changed": 1}
    assert report["fields_changed_in_latest_run"] == {"end_date": 1}
    gates = {g["name"]: g for g in report["gates"]}
    assert gates["min_count.project"]["actual"] == report["counts"]["project"]


def test_gates_at_the_exact_figures_pass_and_one_more_fails(fresh_db, capsys, tmp_path):
    load_fixture_db(fresh_db.url)
    _, report = _json_report(capsys, fresh_db.url)
    projects, news = report["counts"]["project"], report["counts"]["news"]
    owner = report["fill_rates"]["owner"]
    exact = f"max_error_rate = {report['error_rate']}\n[min_count]\nproject = {projects}\n"
    exact += f"news = {news}\n[min_fill_rate]\nowner = {owner}\n"
    assert _report(capsys, fresh_db.url, "--gates", _gates(tmp_path, exact))[0] == 0

    tight = (
        f"[min_count]\nproject = {projects + 1}\n[min_fill_rate]\nowner = {min(owner + 0.01, 1)}\n"
    )
    code, out, err = _report(capsys, fresh_db.url, "--gates", _gates(tmp_path, tight))
    assert code == 1
    assert f"min_count.project: {projects} (needs >= {projects + 1})" in err
    assert "min_fill_rate.owner" in err
    assert "FAILED gates: min_count.project, min_fill_rate.owner" in out


def test_text_report_shows_every_section(fresh_db, capsys):
    load_fixture_db(fresh_db.url)
    code, out, _ = _report(capsys, fresh_db.url)
    assert code == 0
    for heading in (
        "Records per family",
        "Projects per programme period",
        "Field fill rates of current projects",
        "Parse errors by field (1 pages with errors",
        "Unknown labels seen",
        "Changes since the previous run",
        "all gates passed",
    ):
        assert heading in out
    assert "run 2 (crawl, ok" in out
    assert re.search(r"fields changed by the latest run +end_date 1\n", out)
    assert "2021-2027" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[min_fill_rate]\ntitel = 0.5\n", "min_fill_rate.titel: unknown name"),
        ("[min_count]\nprojects = 1\n", "min_count.projects: unknown name"),
        ("max_error = 0.1\n", "unknown gate max_error"),
    ],
)
def test_a_bad_gates_file_is_exit_2(fresh_db, capsys, tmp_path, text, message):
    code, _, err = _report(capsys, fresh_db.url, "--gates", _gates(tmp_path, text))
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_missing_database_is_exit_2(tmp_path, capsys):
    code, _, err = _report(capsys, f"sqlite:///{tmp_path / 'none.sqlite'}")
    assert code == 2
    assert "does not exist" in err
