"""PostgreSQL checks the foreign keys of the bulk-loaded tables once per statement instead of
once per row: each of those constraints becomes a set of statement-level triggers with
transition tables. PostgreSQL 15 checks a real foreign key with one look-up per inserted row
(some 16 per project), about half of the server's work in a first load; a trigger checks a
whole COPY or INSERT ... SELECT with one anti-join.

The database still enforces every key for every writer. On the referring table, AFTER INSERT
and AFTER UPDATE triggers lock the referred rows FOR KEY SHARE (as a foreign key does) and
refuse a value with no referred row (SQLSTATE 23503, foreign_key_violation, naming the
constraint, table, column and the value). On the referred table, AFTER DELETE does what the
key's ON DELETE did (CASCADE, or refuse while referred to), AFTER UPDATE refuses to change a
key still referred to, and AFTER TRUNCATE refuses to empty it while rows still refer to it.
PostgreSQL allows transition tables only on triggers of one event and without column lists,
hence one trigger per event. SQLite's foreign keys stay (they are checked in-process, cheaply):
this revision changes nothing there. Downgrading puts the real foreign keys back.

The keys are this revision's own list, as they were at 0009.

Revision ID: 0010_statement_fks
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010_statement_fks"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (constraint, referring table, column, referred table, referred column, ON DELETE)
KEYS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("fk_projects_region_regions", "projects", "region", "regions", "name", "NO ACTION"),
    (
        "fk_projects_owner_org_number_organisations",
        "projects",
        "owner_org_number",
        "organisations",
        "org_number",
        "NO ACTION",
    ),
    *(
        (f"fk_{child}_project_id_projects", child, "project_id", "projects", "id", "NO ACTION")
        for child in (
            "project_versions",
            "project_municipalities",
            "project_partners",
            "project_cofinanciers",
            "url_state",
            "project_links",
        )
    ),
    *(
        (f"fk_{child}_run_id_crawl_runs", child, "run_id", "crawl_runs", "id", "NO ACTION")
        for child in ("project_versions", "url_state")
    ),
    *(
        (f"fk_{child}_news_id_news_articles", child, "news_id", "news_articles", "id", "NO ACTION")
        for child in ("news_project_links", "url_state")
    ),
    (
        "fk_project_municipalities_kommunkod_municipalities",
        "project_municipalities",
        "kommunkod",
        "municipalities",
        "kommunkod",
        "NO ACTION",
    ),
    *(
        (f"{index}_{column}_fkey", index, column, parent, "id", "CASCADE")
        for index, column, parent in (
            ("search_projects", "project_id", "projects"),
            ("search_news", "news_id", "news_articles"),
        )
    ),
)

# Shared by every key; a trigger's arguments say which key it checks:
# constraint, referring table, column, referred table, referred column, ON DELETE.
_KEY_ARGUMENTS = """DECLARE
    name text := TG_ARGV[0];
    child text := TG_ARGV[1];
    col text := TG_ARGV[2];
    parent text := TG_ARGV[3];
    pcol text := TG_ARGV[4];
"""
FUNCTIONS = (
    r"""CREATE FUNCTION esfbank_fk_check_referring() RETURNS trigger LANGUAGE plpgsql AS $$
"""
    + _KEY_ARGUMENTS
    + r"""    incoming text;
    missing text;
BEGIN
    -- An update keeps a key some row held before it: only values new to the table are checked.
    incoming := format('SELECT DISTINCT %1$I AS k FROM new_rows WHERE %1$I IS NOT NULL', col);
    IF TG_OP = 'UPDATE' THEN
        incoming := incoming || format(' EXCEPT SELECT %1$I FROM old_rows', col);
    END IF;
    -- The locking sub-select is never made a join: one index look-up per distinct value,
    -- not a scan of the referred table (which the planner, blind to its size, may choose).
    EXECUTE format(
        'SELECT n.k::text FROM (%3$s) n WHERE NOT EXISTS'
        ' (SELECT FROM %1$I p WHERE p.%2$I = n.k FOR KEY SHARE OF p) LIMIT 1',
        parent, pcol, incoming) INTO missing;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"',
                child, name
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = name, TABLE = child,
                COLUMN = col,
                DETAIL = format('Key (%s)=(%s) is not present in table "%s".', col, missing,
                    parent);
    END IF;
    RETURN NULL;
END $$""",
    r"""CREATE FUNCTION esfbank_fk_check_referred() RETURNS trigger LANGUAGE plpgsql AS $$
"""
    + _KEY_ARGUMENTS
    + r"""    on_delete text := TG_ARGV[5];
    gone text;
    referred text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        EXECUTE format('SELECT %2$I::text FROM %1$I WHERE %2$I IS NOT NULL LIMIT 1', child, col)
            INTO referred;
        IF referred IS NOT NULL THEN
            RAISE EXCEPTION 'cannot truncate a table referenced in a foreign key constraint'
                USING ERRCODE = 'feature_not_supported', CONSTRAINT = name, TABLE = child,
                    DETAIL = format('Table "%s" references "%s".', child, parent);
        END IF;
        RETURN NULL;
    END IF;
    -- Keys the statement took away (deleted, or changed and not there any more). OFFSET 0
    -- keeps each sub-select a look-up per key, never a scan of the whole table.
    gone := format('SELECT %1$I AS k FROM old_rows', pcol);
    IF TG_OP = 'UPDATE' THEN
        gone := gone || format(' EXCEPT SELECT %1$I FROM new_rows', pcol);
    END IF;
    gone := format('SELECT g.k FROM (%3$s) g WHERE NOT EXISTS'
        ' (SELECT FROM %1$I p WHERE p.%2$I = g.k OFFSET 0)', parent, pcol, gone);
    IF TG_OP = 'DELETE' AND on_delete = 'CASCADE' THEN
        EXECUTE format('DELETE FROM %1$I c USING (%3$s) g WHERE c.%2$I = g.k', child, col, gone);
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT g.k::text FROM (%3$s) g WHERE EXISTS'
        ' (SELECT FROM %1$I c WHERE c.%2$I = g.k OFFSET 0) LIMIT 1', child, col, gone)
        INTO referred;
    IF referred IS NOT NULL THEN
        RAISE EXCEPTION
                'update or delete on table "%" violates foreign key constraint "%" on table "%"',
                parent, name, child
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = name, TABLE = child,
                COLUMN = col,
                DETAIL = format('Key (%s)=(%s) is still referenced from table "%s".', pcol,
                    referred, child);
    END IF;
    RETURN NULL;
END $$""",
)

# (suffix, on the referring table?, event, transition tables)
TRIGGERS = (
    ("i", True, "INSERT", "NEW TABLE AS new_rows"),
    ("u", True, "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("d", False, "DELETE", "OLD TABLE AS old_rows"),
    ("k", False, "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("t", False, "TRUNCATE", ""),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for sql in FUNCTIONS:
        op.execute(sql)
    for key in KEYS:
        name, child, _col, parent, _pcol, _on_delete = key
        op.execute(f"ALTER TABLE {child} DROP CONSTRAINT {name}")
        arguments = ", ".join(f"'{value}'" for value in key)
        for suffix, referring, event, transition in TRIGGERS:
            table, function = (child, "referring") if referring else (parent, "referred")
            referencing = f"REFERENCING {transition} " if transition else ""
            op.execute(
                f"CREATE TRIGGER {name}_{suffix} AFTER {event} ON {table} {referencing}"
                f"FOR EACH STATEMENT EXECUTE FUNCTION esfbank_fk_check_{function}({arguments})"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, child, col, parent, pcol, on_delete in KEYS:
        for suffix, referring, *_ in TRIGGERS:
            op.execute(f"DROP TRIGGER {name}_{suffix} ON {child if referring else parent}")
        op.execute(
            f"ALTER TABLE {child} ADD CONSTRAINT {name} FOREIGN KEY ({col})"
            f" REFERENCES {parent} ({pcol}) ON DELETE {on_delete}"
        )
    op.execute("DROP FUNCTION esfbank_fk_check_referring()")
    op.execute("DROP FUNCTION esfbank_fk_check_referred()")
