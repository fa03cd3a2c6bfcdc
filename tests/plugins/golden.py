"""pytest fixtures: golden (see tests/conftest.py).

`pytest --update-golden` rewrites every `<slug>.expected.json` beside its golden page from what
the parser gives now, for review with `git diff` (goldens freeze bugs unless they are read).
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the expected JSON of golden pages from the current parser output",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
