"""The PostgreSQL half of the suite fails, never skips, in CI when no server can be started."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

INNER_CONFTEST = """
from load import pgserver


def _unavailable(self):
    raise pgserver.PostgresUnavailableError("server binaries removed for this test")


pgserver.PostgresServer.start = _unavailable
pytest_plugins = ["tests.plugins.db"]
"""

INNER_TEST = """
def test_needs_postgresql(pg_admin_url):
    assert pg_admin_url
"""


@pytest.mark.parametrize(("ci", "outcome"), [("true", {"errors": 1}), ("", {"skipped": 1})])
def test_missing_server_fails_in_ci_and_skips_elsewhere(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str, outcome: dict[str, int]
) -> None:
    monkeypatch.delenv("ESFBANK_TEST_PG_URL", raising=False)
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(INNER_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(**outcome)
    if ci:
        result.stdout.fnmatch_lines(["*PostgreSQL not available: server binaries removed*"])
