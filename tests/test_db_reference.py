"""Reference data: the committed CSVs, and the tables the first migration fills from them."""

from __future__ import annotations

import re

import sqlalchemy as sa

from load import reference
from load import schema as t
from parsers.normalisers.regions import REGIONS
from tests.plugins.db import FreshDb

NUTS2 = {"SE11", "SE12", "SE21", "SE22", "SE23", "SE31", "SE32", "SE33"}


def test_the_290_municipalities_have_unique_well_formed_codes() -> None:
    rows = reference.municipalities()
    assert len(rows) == 290
    assert len({r["kommunkod"] for r in rows}) == 290
    assert len({r["name"] for r in rows}) == 290
    for row in rows:
        code = row["kommunkod"] or ""
        assert re.fullmatch(r"[0-2][0-9]{3}", code), row
        assert code[:2] == row["lan_code"], row
        assert (row["lan_name"] or "").endswith(" län"), row
        assert row["nuts2"] in NUTS2, row
    assert len({r["lan_code"] for r in rows}) == 21


def test_well_known_municipalities_have_their_scb_codes() -> None:
    codes = {r["name"]: r["kommunkod"] for r in reference.municipalities()}
    assert codes["Stockholm"] == "0180"
    assert codes["Göteborg"] == "1480"
    assert codes["Malmö"] == "1280"
    assert codes["Uppsala"] == "0380"
    assert codes["Umeå"] == "2480"
    assert codes["Kiruna"] == "2584"
    assert codes["Gotland"] == "0980"
    assert codes["Mjölby"] == "0586"


def test_regions_csv_agrees_with_the_parsers_regions() -> None:
    assert [(r["name"], r["nuts2"]) for r in reference.regions()] == [
        (region.name, region.nuts2) for region in REGIONS
    ]


def test_the_migration_loads_the_reference_data(fresh_db: FreshDb) -> None:
    with fresh_db.engine.connect() as conn:
        regions = dict(conn.execute(sa.select(t.regions.c.name, t.regions.c.nuts2)).all())
        municipalities = conn.execute(sa.select(t.municipalities)).mappings().all()
    assert len(regions) == 9
    assert regions["Nationellt"] is None
    assert {code for code in regions.values() if code} == NUTS2
    assert len(municipalities) == 290
    assert all(re.fullmatch(r"[0-9]{4}", m["kommunkod"]) for m in municipalities)
    assert {m["name"]: m["kommunkod"] for m in municipalities}["Kiruna"] == "2584"


def test_the_migrated_reference_rows_are_data_csvs(fresh_db: FreshDb) -> None:
    """The migrations load their own frozen copies: data/*.csv changed without a migration
    that brings the change into the tables fails here."""
    with fresh_db.engine.connect() as conn:
        regions = conn.execute(sa.select(t.regions)).mappings().all()
        kommuner = conn.execute(sa.select(t.municipalities)).mappings().all()
    assert sorted(map(dict, regions), key=repr) == sorted(reference.regions(), key=repr)
    assert sorted(map(dict, kommuner), key=repr) == sorted(reference.municipalities(), key=repr)
