"""Quality gates: the TOML file is validated strictly and every gate is checked with its value."""

from __future__ import annotations

import pytest

from load.gates import DEFAULT_GATES_FILE, Gates, GatesError, check_gates, load_gates


def _write(tmp_path, text: str):
    path = tmp_path / "gates.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_repository_gates_file_is_valid_and_sets_every_kind_of_gate():
    gates = load_gates(DEFAULT_GATES_FILE)
    assert gates.min_count["project"] >= 1
    assert gates.min_count["news"] >= 1
    assert gates.min_fill_rate["title"] > 0
    assert gates.max_error_rate is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("min_cuont = {project = 1}", "unknown gate min_cuont"),
        ("[min_count]\nproject = 1.5", "min_count.project must be a whole number"),
        ("[min_fill_rate]\ntitle = 1.2", "min_fill_rate.title must be between 0 and 1"),
        ("max_error_rate = 'low'", "max_error_rate must be a number"),
        ("min_count = 3", r"\[min_count\] must be a table"),
        ("[min_count\n", "not valid TOML"),
    ],
)
def test_bad_gates_files_name_the_key(tmp_path, text, message):
    with pytest.raises(GatesError, match=message):
        load_gates(_write(tmp_path, text))


def test_missing_gates_file_is_one_clear_error(tmp_path):
    with pytest.raises(GatesError, match="cannot read gates file"):
        load_gates(tmp_path / "absent.toml")


GATES = Gates(min_count={"project": 10}, min_fill_rate={"title": 0.9}, max_error_rate=0.05)


def test_all_gates_pass_with_good_figures():
    results = check_gates(GATES, {"project": 10, "news": 0}, {"title": 0.9}, 0.05)
    assert [(r.name, r.actual, r.passed) for r in results] == [
        ("min_count.project", 10, True),
        ("min_fill_rate.title", 0.9, True),
        ("max_error_rate", 0.05, True),
    ]


def test_each_gate_fails_just_past_its_threshold():
    results = check_gates(GATES, {"project": 9}, {"title": 0.89}, 0.051)
    assert [r.passed for r in results] == [False, False, False]
    assert results[0].describe() == "min_count.project: 9 (needs >= 10)"
    assert results[2].describe() == "max_error_rate: 0.051 (needs <= 0.05)"


def test_unmeasurable_figures_fail():
    results = check_gates(GATES, {"project": 0}, {"title": None}, None)
    assert [r.passed for r in results] == [False, False, False]
    assert "not measurable" in results[1].describe()


def test_a_gate_on_an_unknown_field_is_an_error():
    gates = Gates(min_count={}, min_fill_rate={"titel": 0.5}, max_error_rate=None)
    with pytest.raises(GatesError, match=r"min_fill_rate.titel: unknown name \(known: title\)"):
        check_gates(gates, {}, {"title": 1.0}, 0.0)
