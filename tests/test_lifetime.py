"""long_lived_imports: the imports' collector pause ends as it began."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from esfbank.lifetime import long_lived_imports


@pytest.fixture
def collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    gc.unfreeze()
    (gc.enable if was else gc.disable)()


@pytest.mark.usefixtures("collector_restored")
@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_the_caller_had_it(enabled: bool) -> None:
    # A caller that paused the collector (the store pauses it per batch) keeps it paused.
    (gc.enable if enabled else gc.disable)()
    with long_lived_imports():
        assert not gc.isenabled()
    assert gc.isenabled() is enabled


@pytest.mark.usefixtures("collector_restored")
def test_what_the_imports_made_is_frozen() -> None:
    gc.unfreeze()
    with long_lived_imports():
        made: list[list[int]] = [[] for _ in range(10)]
    assert gc.get_freeze_count() >= len(made)
