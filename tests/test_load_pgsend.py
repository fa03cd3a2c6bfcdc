"""PostgreSQL bulk statements sent ahead (load/pgsend.py): the result of a COPY or INSERT …
SELECT is read when the connection is next used. A load that sends ahead leaves the database a
load that waits for each result leaves, history, quarantine and url_state included; an error
of a statement in flight surfaces at the next statement or the commit, and its transaction
leaves nothing behind. IN lists, sent as one JSON array, find what they name;
rows sent in COPY's binary format are stored as SQLAlchemy's own INSERT stores them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from load import bulk, pgsend
from load import schema as t
from load.engine import create_engine
from load.store import LoadItem, UpsertCounts, open_store
from load.store import plan as store_plan
from load.store.sql import among
from load.threads import running
from parsers.records import NewsRecord, Source
from tests.plugins.db import synthetic_project, table_snapshot

_NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
_PARTNERS = ["project_id", "position", "name"]


def _items() -> list[LoadItem]:
    """Projects in batches of two: one met again in a later batch, changed (a second version);
    one twice in a batch; one the database refuses (a negative cost let past validation);
    a news article."""

    def item(record: Any) -> LoadItem:
        return LoadItem(record=record, url=record.source.url, fetched_at=_NOW, http_status=200)

    news = NewsRecord(
        title="Nyhet",
        body="Projektet 2019/00001 fick stöd.",
        published_date=dt.date(2026, 1, 2),
        mentioned_project_numbers=("2019/00001",),
        source=Source(url="https://www.esf.se/nyheter/nyhet/"),
    )
    return [
        item(synthetic_project(1)),
        item(synthetic_project(2)),
        item(synthetic_project(3)),
        item(synthetic_project(3, title="Samma projekt, ny titel")),
        item(synthetic_project(4, total_costs_sek=-1)),
        item(synthetic_project(5)),
        item(synthetic_project(1, title="Ändrad titel")),
        item(news),
    ]


def _load(url: str) -> tuple[list[UpsertCounts], dict[str, list[tuple[Any, ...]]]]:
    """The items loaded in batches of two, twice: the counts and every row."""
    store = open_store(url, upgrade=False, clock=lambda: _NOW)
    counts = [store.upsert(_items(), store.begin_run("load"), batch_size=2) for _ in range(2)]
    snapshot = table_snapshot(store.engine, exclude=frozenset())
    store.close()
    return counts, snapshot


@pytest.mark.postgres
def test_a_load_sending_ahead_leaves_what_a_load_waiting_for_each_result_leaves(
    migrated_db_url: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("load.store.plan.project_violations", lambda *_args: [])
    settled: list[bool] = []
    settle = pgsend.settle

    def spy(raw: Any) -> None:
        settled.append(raw in pgsend._in_flight)
        settle(raw)

    monkeypatch.setattr(pgsend, "settle", spy)
    ahead = _load(migrated_db_url("postgresql"))
    assert any(settled), "nothing was sent ahead"
    monkeypatch.setattr(pgsend, "install", lambda _engine: None)  # engines wait for each result
    settled.clear()
    waiting = _load(migrated_db_url("postgresql"))
    assert not any(settled)
    assert ahead == waiting
    counts, snapshot = ahead
    # new, changed, unchanged, failed, skipped; project 1 changes twice more the second time
    assert [dataclasses.astuple(c) for c in counts] == [(5, 1, 0, 1, 0), (0, 2, 4, 1, 0)]
    change = list(t.project_versions.c.keys()).index("change")
    assert [row[change] for row in snapshot["project_versions"]].count("changed") == 3
    number = list(t.projects.c.keys()).index("project_number")
    assert "2019/00004" not in [row[number] for row in snapshot["projects"]]  # refused
    assert len(snapshot["projects"]) == 4


def _in_flight_dangling(conn: sa.Connection) -> None:
    """An organisation, then a COPY of a partner of no project, left in flight."""
    bulk.insert_rows(conn, t.organisations, [{"org_number": "556000-0001", "name": "A"}])
    bulk.insert_tuples(conn, t.project_partners, _PARTNERS, [(12345, 0, "Ingen")])
    assert pgsend._in_flight, "the COPY's result was waited for"


def _projects(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(t.projects)).scalar_one()


def _organisations(engine: sa.Engine) -> int:
    with engine.connect() as conn:  # the connection is usable again
        return conn.execute(sa.select(sa.func.count()).select_from(t.organisations)).scalar_one()


@pytest.mark.postgres
def test_an_error_in_flight_is_raised_at_the_next_statement_and_its_batch_leaves_nothing(
    migrated_db_url: Callable[[str], str],
) -> None:
    engine = create_engine(migrated_db_url("postgresql"))
    with engine.begin() as conn:
        _in_flight_dangling(conn)
        with pytest.raises(sa.exc.IntegrityError) as caught:
            conn.execute(sa.select(1))  # reads the COPY's result: the missing project
    assert "COPY project_partners" in str(caught.value)
    assert "fk_project_partners_project_id_projects" in str(caught.value)
    assert _organisations(engine) == 0
    engine.dispose()


def _commit_dangling(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        _in_flight_dangling(conn)


@pytest.mark.postgres
def test_an_error_in_flight_at_the_commit_fails_the_commit(
    migrated_db_url: Callable[[str], str],
) -> None:
    engine = create_engine(migrated_db_url("postgresql"))
    with pytest.raises(sa.exc.IntegrityError, match="fk_project_partners_project_id_projects"):
        _commit_dangling(engine)
    assert _organisations(engine) == 0
    with engine.connect() as conn:  # a commit of its own, as SQLAlchemy lets a caller make it
        transaction = conn.begin()
        _in_flight_dangling(conn)
        with pytest.raises(sa.exc.IntegrityError):
            transaction.commit()
    assert _organisations(engine) == 0
    engine.dispose()


def _crash_mid_batch(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        bulk.insert_rows(conn, t.organisations, [{"org_number": "556000-0001", "name": "A"}])
        assert pgsend._in_flight
        raise RuntimeError("a crash mid-batch")


@pytest.mark.postgres
def test_a_python_error_with_a_statement_in_flight_rolls_the_batch_back(
    migrated_db_url: Callable[[str], str],
) -> None:
    engine = create_engine(migrated_db_url("postgresql"))
    with pytest.raises(RuntimeError, match="a crash mid-batch"):
        _crash_mid_batch(engine)
    assert _organisations(engine) == 0
    engine.dispose()


_AWKWARD = ["NULL", 'a "quoted", {braced} \\ back\\slash', "tab\tand\nnewline", "åäö", ""]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_lists_of_any_strings_and_integers_find_their_rows(
    migrated_db_url: Callable[[str], str], backend: str
) -> None:
    """IN lists go as one JSON array (load/store/sql.py `among`): what JSON escapes comes back
    as it was, and what a text array would spell as its NULL or its delimiters finds its own
    row."""
    engine = create_engine(migrated_db_url(backend))
    orgs = [{"org_number": f"55600{i:05d}"[:11], "name": name} for i, name in enumerate(_AWKWARD)]
    o = t.organisations
    with engine.begin() as conn:
        bulk.insert_rows(conn, o, orgs)
    with engine.connect() as conn:
        by_name = conn.execute(sa.select(o.c.name).where(among(conn, o.c.name, _AWKWARD)))
        assert sorted(by_name.scalars()) == sorted(_AWKWARD)
        one = conn.execute(sa.select(o.c.name).where(among(conn, o.c.name, ["NULL", "x"])))
        assert one.scalars().all() == ["NULL"]
        runs = conn.execute(
            sa.select(t.crawl_runs.c.id).where(
                among(conn, t.crawl_runs.c.id, [7, 70_000, 2**31 - 1])
            )
        )
        assert runs.scalars().all() == []
    engine.dispose()


_KINDS = sa.MetaData()


def _kinds_table(name: str, *extra: sa.Column[Any]) -> sa.Table:
    """A table with a column of every kind load/bulk.py writes in binary."""
    return sa.Table(
        name,
        _KINDS,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("small", sa.SmallInteger),
        sa.Column("big", sa.BigInteger),
        sa.Column("ratio", sa.Float),
        sa.Column("flag", sa.Boolean),
        sa.Column("day", sa.Date),
        sa.Column("moment", t.Timestamp),
        sa.Column("code", sa.String(8)),
        sa.Column("note", sa.Text),
        sa.Column("doc", t.Json),
        *extra,
    )


_BINARY = _kinds_table("kinds_binary")
_BY_SQLALCHEMY = _kinds_table("kinds_sqlalchemy")
# A Numeric column has no binary form in load/bulk.py: its table is copied as text.
_AS_TEXT = _kinds_table("kinds_text", sa.Column("amount", sa.Numeric(9, 2)))


def _kind_rows() -> list[dict[str, Any]]:
    """Values of every kind, at their edges, and NULLs."""
    doc = {"ö": ["tab\t", 'quote"', None, 1.5, 2**70], "": {"nested": True}}
    return [
        {
            "id": 1,
            "small": -(2**15),
            "big": 2**62,
            "ratio": 0.1,
            "flag": True,
            "day": dt.date(1, 1, 1),
            "moment": _NOW,
            "code": "åäö\\\t",
            "note": _AWKWARD[1] + _AWKWARD[2],
            "doc": doc,
        },
        {
            "id": 2,
            "small": 7,
            "big": -1,
            "ratio": -1e300,
            "flag": False,
            "day": dt.date(9999, 12, 31),
            "moment": _NOW.replace(microsecond=999_999),
            "code": "",
            "note": "",
            "doc": bulk.JsonText('{"already":"serialised","n":[1,2]}'),
        },
        {"id": 3, **dict.fromkeys(c.name for c in _BINARY.c if c.name != "id")},
    ]


@pytest.mark.postgres
def test_a_binary_copy_stores_every_kind_of_column_as_sqlalchemy_stores_it(
    migrated_db_url: Callable[[str], str],
) -> None:
    """The tables' COPY goes in binary (text for a table with a column kind it has no binary
    form for); what is read back is what SQLAlchemy's own INSERT stored."""
    engine = create_engine(migrated_db_url("postgresql"))
    rows = _kind_rows()
    with engine.begin() as conn:
        _KINDS.create_all(conn)
        names = list(rows[0])
        bulk.insert_tuples(conn, _BINARY, names, [tuple(row.values()) for row in rows])
        with_amount = [(*row.values(), 12.5) for row in rows]
        bulk.insert_tuples(conn, _AS_TEXT, [*names, "amount"], with_amount)
        stored = [{**row, "doc": json.loads(row["doc"])} if row["id"] == 2 else row for row in rows]
        conn.execute(sa.insert(_BY_SQLALCHEMY), stored)
        assert bulk._binary_types(conn, _BINARY, names) is not None
        assert bulk._binary_types(conn, _AS_TEXT, [*names, "amount"]) is None
    with engine.connect() as conn:
        expected = conn.execute(sa.select(_BY_SQLALCHEMY).order_by("id")).all()
        assert conn.execute(sa.select(_BINARY).order_by("id")).all() == expected
        as_text = conn.execute(sa.select(*_AS_TEXT.c[:-1]).order_by("id")).all()
        assert as_text == expected
    engine.dispose()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_second_upsert_in_a_transaction_writes_only_its_own_rows(
    migrated_db_url: Callable[[str], str], backend: str
) -> None:
    """PostgreSQL's upserts go through a staging table emptied at commit: a second upsert into
    the same table in one transaction must not write the first one's rows again (here over a
    change made between the two)."""
    engine = create_engine(migrated_db_url(backend))
    o = t.organisations
    with engine.begin() as conn:
        bulk.upsert_rows(conn, o, [{"org_number": "1", "name": "Först"}], key="org_number")
        conn.execute(sa.update(o).where(o.c.org_number == "1").values(name="Ändrad"))
        bulk.upsert_rows(conn, o, [{"org_number": "2", "name": "Sedan"}], key="org_number")
    with engine.connect() as conn:
        names = dict(conn.execute(sa.select(o.c.org_number, o.c.name)).all())
    engine.dispose()
    assert names == {"1": "Ändrad", "2": "Sedan"}


def _lock_waits_fail(url: str) -> str:
    """The database at `url`, its sessions giving up a lock wait after 30 s: a test whose
    lock is let go by work that is never called fails instead of hanging."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"ALTER DATABASE {sa.make_url(url).database} SET lock_timeout = '30s'")
    engine.dispose()
    return url


@pytest.mark.postgres
def test_the_writer_steps_its_work_while_a_statement_sent_ahead_runs(
    migrated_db_url: Callable[[str], str],
) -> None:
    """The statement sent ahead waits for a lock another session holds; the work is stepped
    while it waits, and its third step lets the lock go: the wait ends once the server is done."""
    url = _lock_waits_fail(migrated_db_url("postgresql"))
    engine, other = create_engine(url), sa.create_engine(url)
    steps: list[int] = []
    with other.connect() as holder:
        holder.exec_driver_sql("SELECT pg_advisory_lock(4242)")

        def work() -> bool:
            steps.append(len(steps))
            if len(steps) == 3:
                holder.exec_driver_sql("SELECT pg_advisory_unlock(4242)")
            return True

        with engine.begin() as conn, pgsend.while_waiting(conn, work):
            conn.execute(sa.select(1))  # in a transaction: what pgsend.execute sends ahead
            pgsend.execute(conn, "SELECT pg_advisory_xact_lock(4242)")
            assert pgsend._in_flight, "the statement was not sent ahead"
            assert conn.execute(sa.text("SELECT 2")).scalar_one() == 2
    assert len(steps) >= 3
    other.dispose()
    engine.dispose()


@pytest.mark.postgres
def test_work_with_nothing_to_do_at_a_wait_is_asked_again_at_the_next(
    migrated_db_url: Callable[[str], str],
) -> None:
    """None from the work: the writer waits as it would have, and asks at the next wait; each
    wait is on a lock that the work's call lets go."""
    url = _lock_waits_fail(migrated_db_url("postgresql"))
    engine, other = create_engine(url), sa.create_engine(url)
    answers = iter([None, False])
    calls: list[int] = []
    with other.connect() as holder:
        holder.exec_driver_sql("SELECT pg_advisory_lock(1), pg_advisory_lock(2)")

        def work() -> bool | None:
            calls.append(len(calls) + 1)
            holder.exec_driver_sql(f"SELECT pg_advisory_unlock({len(calls)})")
            return next(answers)

        with engine.begin() as conn, pgsend.while_waiting(conn, work):
            conn.execute(sa.text("SELECT 0"))
            for lock in (1, 2):
                pgsend.execute(conn, f"SELECT pg_advisory_xact_lock({lock})")
                assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1
                assert calls == list(range(1, lock + 1))
    other.dispose()
    engine.dispose()


@pytest.mark.postgres
def test_the_next_batch_is_planned_while_postgresql_stores_the_one_before(
    migrated_db_url: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another session holds a lock that the first batch's organisations wait for, and lets
    it go at the first step of the second batch's plan: that step is made while the first
    batch waits, before it commits; the load ends as one made without waiting would."""
    url = _lock_waits_fail(migrated_db_url("postgresql"))
    events: list[str] = []
    step = store_plan.Planning.step
    other = sa.create_engine(url)
    with other.connect() as holder:
        holder.exec_driver_sql("BEGIN")
        holder.exec_driver_sql("LOCK TABLE organisations IN SHARE MODE")

        def stepped(self: store_plan.Planning) -> bool:
            if "step" not in events:
                holder.exec_driver_sql("COMMIT")
            events.append("step")
            return step(self)

        monkeypatch.setattr(store_plan.Planning, "step", stepped)
        store = open_store(url, upgrade=False, clock=lambda: _NOW)
        run = store.begin_run("load")
        sa.event.listen(store.engine, "commit", lambda _conn: events.append("commit"))
        records = [synthetic_project(i) for i in range(4)]
        counts = store.upsert([LoadItem(record=r) for r in records], run, batch_size=2)
    assert "step" in events
    assert events.index("step") < events.index("commit")
    assert dataclasses.astuple(counts)[:2] == (4, 0)
    with store.engine.connect() as conn:
        numbers = conn.execute(sa.select(t.projects.c.project_number)).scalars().all()
    assert sorted(numbers) == [r.project_number for r in records]
    store.close()
    other.dispose()


_DOCS = sa.Table(
    "copied_docs",
    _KINDS,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("doc", t.Json),
)


@pytest.mark.postgres
def test_a_copy_converts_its_rows_a_chunk_at_a_time_as_it_sends_them(
    migrated_db_url: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server stores a COPY's first rows while the next are converted: converting all
    first left it idle (the JSON of a batch's sections). Rows with nothing to convert (an
    organisation's) go as they are."""
    monkeypatch.setattr(bulk, "COPY_CHUNK", 2)
    converted: list[int] = []
    convert = bulk._converted

    def spy(*args: Any, **kwargs: Any) -> Any:
        converted.append(len(args[0]))
        return convert(*args, **kwargs)

    monkeypatch.setattr(bulk, "_converted", spy)
    engine = create_engine(migrated_db_url("postgresql"))
    docs = [(i, {"Syfte": f"Text {i}"}) for i in range(5)]
    orgs = [(f"556000-000{i}", f"Org {i}") for i in range(5)]
    with engine.begin() as conn:
        _DOCS.create(conn)
        rows, types = bulk._copied(conn, _DOCS, ("id", "doc"), docs)
        assert types == ["int4", "bytea"]
        assert next(rows)[0] == 0
        assert converted == [2]
        assert [row[0] for row in rows] == [1, 2, 3, 4]
        assert converted == [2, 2, 1]
        converted.clear()
        bulk.insert_tuples(conn, _DOCS, ("id", "doc"), docs)
        assert converted == [2, 2, 1]
        converted.clear()
        rows, _ = bulk._copied(conn, t.organisations, ("org_number", "name"), orgs)
        assert list(rows) == orgs
        bulk.insert_tuples(conn, t.organisations, ("org_number", "name"), orgs)
        assert converted == []
        assert conn.execute(sa.select(_DOCS).order_by(_DOCS.c.id)).all() == docs
    assert _organisations(engine) == 5
    engine.dispose()


@pytest.mark.postgres
def test_ctrl_c_in_a_plan_step_rolls_the_batch_back_and_the_store_loads_on(
    migrated_db_url: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C may land in a step of the next plan, made while the writer waits for the server:
    the batch being written goes back, no thread is left (a fork may follow), and a load
    after it writes everything."""
    url = _lock_waits_fail(migrated_db_url("postgresql"))
    other = sa.create_engine(url)
    store = open_store(url, upgrade=False, clock=lambda: _NOW)
    run = store.begin_run("load")
    before = running()
    records = [synthetic_project(i) for i in range(4)]
    with other.connect() as holder, monkeypatch.context() as patch:
        holder.exec_driver_sql("BEGIN")
        holder.exec_driver_sql("LOCK TABLE organisations IN SHARE MODE")

        def interrupted(_self: store_plan.Planning) -> bool:
            holder.exec_driver_sql("COMMIT")  # the batch's statement in flight can end
            raise KeyboardInterrupt

        patch.setattr(store_plan.Planning, "step", interrupted)
        with pytest.raises(KeyboardInterrupt):
            store.upsert([LoadItem(record=r) for r in records], run, batch_size=2)
    assert running() == before
    assert _projects(store.engine) == 0
    assert _organisations(store.engine) == 0
    store.upsert([LoadItem(record=r) for r in records], run, batch_size=2)
    assert _projects(store.engine) == 4
    store.close()
    other.dispose()
