"""Typed, frozen records: the one shape parsed pages take on their way to JSON and the database.

The field names are the record contract of DESIGN.md; `to_json_dict` is the contract's JSON form.
The fields a page states are declared in the registry (parsers/fields.py), which writes them into
ProjectRecord below (`python -m parsers.fields`; a test holds the block current).
Money is int kronor, dates are `datetime.date`, a value the page does not state is None.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

Kind = Literal["project", "news", "call", "listing", "other"]
ProgrammePeriod = Literal["2007-2013", "2014-2020", "2021-2027"]
_Class = TypeVar("_Class", bound=type)
_set = object.__setattr__  # as a frozen dataclass's own __init__ sets its fields


def pickled_by_fields(cls: _Class) -> _Class:
    """A frozen slotted dataclass pickled as the tuple of its field values. Parse workers send
    every record to the writer pickled (esfbank/parallel.py); dataclasses' own __getstate__ and
    __setstate__ look the fields up at each call, which made up most of the time to pickle
    and unpickle a record (19 ms per 1,000 bench pages, against 12 ms so)."""
    names = tuple(f.name for f in dataclasses.fields(cls))
    values = operator.attrgetter(*names)  # a tuple of them, for two fields or more
    if len(names) < 2:
        raise TypeError(f"{cls.__name__}: pickled_by_fields is for classes of two fields or more")

    def getstate(self: object) -> Any:
        return values(self)

    def setstate(self: object, state: tuple[Any, ...]) -> None:
        for name, value in zip(names, state, strict=True):
            _set(self, name, value)

    cls.__getstate__ = getstate  # type: ignore[assignment]
    cls.__setstate__ = setstate  # type: ignore[attr-defined]
    return cls


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class FieldError:
    """A value the page states but that could not be parsed: the field stays None, this says why."""

    field: str
    label: str | None
    value: str | None
    message: str


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Source:
    """Where a record came from: the path as given on the command line and/or the page's URL."""

    path: str | None = None
    url: str | None = None


@pickled_by_fields
@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectRecord:
    """A project page: the contract's fields, None where the page does not state one.

    (Its own docstring also spares `dataclass` writing one from the 40-field signature at
    every start-up: ~1.7M instructions.)"""

    source: Source
    kind: Literal["project"] = "project"
    # Fields of the registry (parsers/fields.py), written by `python -m parsers.fields`:
    programme_period: ProgrammePeriod | None = None
    project_number: str | None = None
    title: str | None = None
    owner: str | None = None
    owner_org_number: str | None = None
    owner_postal_code: str | None = None
    owner_city: str | None = None
    region: str | None = None
    nuts2: str | None = None
    programme_area: str | None = None
    programme_area_name: str | None = None
    specific_objective: str | None = None
    phase: str | None = None
    call_number: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    total_budget_sek: int | None = None
    granted_esf_sek: int | None = None
    total_costs_sek: int | None = None
    eu_cofinancing_rate_pct: int | float | None = None
    planned_participants: int | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    fund: str | None = None
    country: str | None = None
    programme_cci: str | None = None
    intervention_type: str | None = None
    strategic_importance: bool | None = None
    child_poverty_theme: bool | None = None
    # End of the registry's fields.
    municipalities: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    cofinanciers: tuple[str, ...] = ()
    sections: Mapping[str, str] = field(default_factory=dict)
    text_truncated: bool = False
    unknown_labels: tuple[str, ...] = ()
    errors: tuple[FieldError, ...] = ()


@pickled_by_fields
@dataclass(frozen=True, slots=True, kw_only=True)
class NewsRecord:
    """A news item: its title, date, text and the project numbers it mentions."""

    source: Source
    kind: Literal["news"] = "news"
    title: str | None = None
    published_date: dt.date | None = None
    body: str | None = None
    mentioned_project_numbers: tuple[str, ...] = ()
    unknown_labels: tuple[str, ...] = ()
    errors: tuple[FieldError, ...] = ()


@pickled_by_fields
@dataclass(frozen=True, slots=True, kw_only=True)
class PageRecord:
    """A call for proposals, a listing page or anything else: detected and archived, not loaded."""

    source: Source
    kind: Literal["call", "listing", "other"]
    title: str | None = None
    unknown_labels: tuple[str, ...] = ()
    errors: tuple[FieldError, ...] = ()


Record = ProjectRecord | NewsRecord | PageRecord


# Values that are their own JSON form, by exact type (most values are: checked first, fast).
_AS_THEY_ARE = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    """A record or error class's field names but `source` (looked up once per class)."""
    return tuple(f.name for f in dataclasses.fields(cls) if f.name != "source")


def _json_value(value: Any) -> Any:
    if type(value) in _AS_THEY_ARE:
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, FieldError):
        return {name: getattr(value, name) for name in _field_names(FieldError)}
    return value


def to_json_dict(record: Record) -> dict[str, Any]:
    """The contract's JSON object: `source_path` and `source_url` first, then every field."""
    out: dict[str, Any] = {"source_path": record.source.path, "source_url": record.source.url}
    kind: type = type(record)
    for name in _field_names(kind):
        out[name] = _json_value(getattr(record, name))
    return out
