"""Data-quality gates: thresholds read from a TOML file, checked against a report's figures.

The gates file in the repository (load/quality_gates.toml) is the default; `--gates FILE`
replaces it. A misspelt key is an error, not a gate silently never checked.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_GATES_FILE = Path(__file__).with_name("quality_gates.toml")


class GatesError(Exception):
    """A gates file that cannot be read or says something this module does not understand."""


@dataclass(frozen=True, slots=True)
class Gates:
    min_count: Mapping[str, int]
    min_fill_rate: Mapping[str, float]
    max_error_rate: float | None
    # source → period → least share of current projects linked to it (load/sources/)
    min_linked_share: Mapping[str, Mapping[str, float]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GateResult:
    """One gate checked: `actual` is None when the figure could not be measured (then it fails)."""

    name: str
    actual: float | None
    threshold: float
    passed: bool

    def describe(self) -> str:
        op = "<=" if self.name.startswith("max_") else ">="
        actual = "not measurable" if self.actual is None else f"{self.actual:g}"
        if self.actual is None and self.passed:
            actual = "not applicable (no rows of that source and period)"
        return f"{self.name}: {actual} (needs {op} {self.threshold:g})"


def _number(path: Path, key: str, value: Any, *, rate: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GatesError(f"{path}: {key} must be a number, not {value!r}")
    if value < 0 or (rate and value > 1):
        bounds = "between 0 and 1" if rate else "0 or more"
        raise GatesError(f"{path}: {key} must be {bounds}, not {value!r}")
    return float(value)


def _table(path: Path, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, Mapping):
        raise GatesError(f"{path}: [{key}] must be a table of name = number")
    return table


def load_gates(path: Path = DEFAULT_GATES_FILE) -> Gates:
    """Read and validate a gates file; every problem names the file and the key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GatesError(f"cannot read gates file {path}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GatesError(f"gates file {path} is not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - {"min_count", "min_fill_rate", "max_error_rate",
                                  "min_linked_share"})  # fmt: skip
    if unknown:
        raise GatesError(f"{path}: unknown gate {', '.join(unknown)}")
    counts = _table(path, data, "min_count")
    for family, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise GatesError(f"{path}: min_count.{family} must be a whole number, not {value!r}")
        _number(path, f"min_count.{family}", value, rate=False)
    rates = _table(path, data, "min_fill_rate")
    max_error = data.get("max_error_rate")
    return Gates(
        min_count=dict(counts),
        min_fill_rate={
            field: _number(path, f"min_fill_rate.{field}", value, rate=True)
            for field, value in rates.items()
        },
        max_error_rate=None
        if max_error is None
        else _number(path, "max_error_rate", max_error, rate=True),
        min_linked_share={
            source: {
                period: _number(path, f"{name}.{period}", value, rate=True)
                for period, value in _table(path, {name: shares}, name).items()
            }
            for source, shares in _table(path, data, "min_linked_share").items()
            for name in [f"min_linked_share.{source}"]
        },
    )


def _known(kind: str, name: str, known: Mapping[str, Any]) -> None:
    if name not in known:
        raise GatesError(f"{kind}.{name}: unknown name (known: {', '.join(sorted(known))})")


def check_gates(
    gates: Gates,
    counts: Mapping[str, int],
    fill_rates: Mapping[str, float | None],
    error_rate: float | None,
    linked_shares: Mapping[str, Mapping[str, float | None]] | None = None,
) -> list[GateResult]:
    """Every gate with its measured value; a figure that cannot be measured fails its gate.

    `counts` and `fill_rates` list every family and field the report knows (a fill rate is None
    for an empty table), so a gate naming anything else is a misspelling and raises GatesError.
    A linked-share gate of a source with no rows of that period (never imported) passes: the
    nightly crawl of someone who imports no other source is not a failure.
    """
    results: list[GateResult] = []
    for family, least in gates.min_count.items():
        _known("min_count", family, counts)
        count = counts[family]
        results.append(GateResult(f"min_count.{family}", count, least, count >= least))
    for field, minimum in gates.min_fill_rate.items():
        _known("min_fill_rate", field, fill_rates)
        rate = fill_rates[field]
        passed = rate is not None and rate >= minimum
        results.append(GateResult(f"min_fill_rate.{field}", rate, minimum, passed))
    shares = linked_shares or {}
    for source, periods in gates.min_linked_share.items():
        _known("min_linked_share", source, shares)
        for period, share_needed in periods.items():
            _known(f"min_linked_share.{source}", period, shares[source])
            share = shares[source][period]
            name = f"min_linked_share.{source}.{period}"
            passed = share is None or share >= share_needed
            results.append(GateResult(name, share, share_needed, passed))
    if gates.max_error_rate is not None:
        results.append(
            GateResult(
                "max_error_rate",
                error_rate,
                gates.max_error_rate,
                error_rate is not None and error_rate <= gates.max_error_rate,
            )
        )
    return results
