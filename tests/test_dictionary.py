"""The data dictionary covers every column the migrations build; the committed copy is current."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from load import dictionary
from load.migrate import upgrade
from parsers.vocabulary import LABELS, TRUNCATION_MARKER, label_key

COMMITTED = Path(__file__).resolve().parents[1] / "docs" / "data-dictionary.md"


@pytest.fixture(scope="module")
def migrated():
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_committed_dictionary_is_current():
    assert COMMITTED.read_text(encoding="utf-8") == dictionary.generate(), (
        "stale: run `python -m load.dictionary > docs/data-dictionary.md`"
    )


def test_every_table_and_view_is_in_it(migrated):
    relations = {r.name: r.kind for r in dictionary.reflect(migrated)}
    assert relations["projects"] == "table"
    assert relations["v_projects"] == "view"
    assert "alembic_version" not in relations
    text = COMMITTED.read_text(encoding="utf-8")
    for name in relations:
        assert f"\n### {name}\n" in text


def test_every_column_has_a_non_empty_description(migrated):
    assert dictionary.undescribed(dictionary.reflect(migrated)) == []


def test_a_column_added_without_description_fails(migrated):
    with migrated.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE extra (id INTEGER PRIMARY KEY, funding_source TEXT)")
    try:
        relations = dictionary.reflect(migrated)
        assert dictionary.undescribed(relations) == ["extra", "extra.funding_source"]
        with pytest.raises(dictionary.DictionaryError, match=r"extra\.funding_source"):
            dictionary.render(relations)
    finally:
        with migrated.begin() as conn:
            conn.exec_driver_sql("DROP TABLE extra")


def test_a_blank_description_counts_as_none(monkeypatch, migrated):
    docs = dict(dictionary.PROJECT_FIELDS)
    docs["owner_city"] = dictionary.ColumnDoc("   ")
    monkeypatch.setattr(dictionary, "PROJECT_FIELDS", docs)
    monkeypatch.setitem(dictionary._INHERITS, "projects", (docs,))
    monkeypatch.setitem(dictionary._INHERITS, "v_projects", (docs,))
    assert "projects.owner_city" in dictionary.undescribed(dictionary.reflect(migrated))


def test_types_are_the_declared_ones_not_sqlite_guesses(migrated):
    views = {r.name: {c.name: c.type for c in r.columns} for r in dictionary.reflect(migrated)}
    assert views["v_summary_period"]["granted_esf_sek"] == "bigint"
    assert views["v_projects"]["start_date"] == "date"
    assert views["v_projects"]["removed"] == "boolean"


# Fields filled from a label the parser splits or shares (Projektperiod → both dates).
_FROM_OTHER_LABEL = {
    "start_date": "period",
    "end_date": "period",
    "programme_area_name": "programme_area",
}


def test_the_swedish_labels_cited_are_the_parsers_labels_for_that_field():
    """Each cited label (a part not starting with 'else') is one the vocabulary maps there."""
    for field, doc in dictionary.PROJECT_FIELDS.items():
        for part in (p.strip() for p in doc.label.split(", ") if p.strip()):
            if part.startswith("else ") or part == TRUNCATION_MARKER:
                continue
            mapped = LABELS.get(label_key(part), "unknown to parsers/vocabulary.py")
            assert mapped in (field, _FROM_OTHER_LABEL.get(field)), (field, part, mapped)
