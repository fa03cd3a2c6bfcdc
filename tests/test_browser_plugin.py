"""The browser half of the suite fails, never skips, in CI when chromium is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

INNER_CONFTEST = """
from tests.plugins import browser

browser.CHROMIUM = "/nonexistent/chromium"
pytest_plugins = ["tests.plugins.browser"]
"""

INNER_TEST = """
def test_needs_a_browser(browser):
    assert browser
"""


@pytest.mark.parametrize(("ci", "outcome"), [("true", {"errors": 1}), ("", {"skipped": 1})])
def test_missing_browser_fails_in_ci_and_skips_elsewhere(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str, outcome: dict[str, int]
) -> None:
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(INNER_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(**outcome)
    result.stdout.fnmatch_lines(["*browser not available: /nonexistent/chromium missing*"])
