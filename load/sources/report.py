"""The report's section on the other sources: how many rows each holds, how many projects are
linked to it, where it and the pages disagree, and what one lists that the other lacks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from load import schema as t
from load.sources import links
from load.views import VIEWS

PERIODS = ("2014-2020", "2021-2027")
_EXAMPLES = 10


@dataclass(slots=True)
class SourceFigures:
    """`linked_share` per period: linked current projects over current projects of that
    period; None when the source holds no current rows of the period (nothing to link to)."""

    rows: int = 0
    dropped: int = 0
    linkable: int = 0  # current rows that may be linked (Kohesio: ESF and ESF+ only)
    linked: int = 0
    linked_by: dict[str, int] = field(default_factory=dict)
    linked_share: dict[str, float | None] = field(default_factory=dict)
    disagreements: dict[str, int] = field(default_factory=dict)
    ambiguous: int = 0
    rows_without_page: int = 0  # linkable rows no project is linked to
    rows_without_page_examples: list[str] = field(default_factory=list)
    pages_without_row: dict[str, int] = field(default_factory=dict)  # per period it covers


def _table(source: str) -> tuple[sa.Table, sa.Column[str]]:
    if source == links.KOHESIO:
        return t.kohesio_operations, t.kohesio_operations.c.external_id
    return t.esf_export_projects, t.esf_export_projects.c.project_number


def source_figures(conn: Connection) -> dict[str, SourceFigures]:
    planned = links.plan(conn)
    pl, p = t.project_links.c, t.projects.c
    current: dict[str, int] = dict(
        conn.execute(
            sa.select(p.programme_period, sa.func.count())
            .where(p.removed_at.is_(None))
            .group_by(p.programme_period)
        ).all()
    )
    view = VIEWS["v_source_disagreements"].table()
    figures: dict[str, SourceFigures] = {}
    for source in links.SOURCES:
        table, key = _table(source)
        c = table.c
        by_period: dict[str, int] = dict(
            conn.execute(
                sa.select(c.programme_period, sa.func.count())
                .where(c.dropped_at.is_(None))
                .group_by(c.programme_period)
            ).all()
        )
        dropped = conn.execute(
            sa.select(sa.func.count()).where(c.dropped_at.is_not(None))
        ).scalar_one()
        linked_per_period: dict[str, int] = dict(
            conn.execute(
                sa.select(p.programme_period, sa.func.count())
                .select_from(t.project_links.join(t.projects, p.id == pl.project_id))
                .where(pl.source == source, p.removed_at.is_(None))
                .group_by(p.programme_period)
            ).all()
        )
        linked_ids = sa.select(pl.external_id).where(pl.source == source)
        unlinked = sa.select(key).where(c.dropped_at.is_(None), key.not_in(linked_ids))
        if source == links.KOHESIO:
            fund = sa.func.upper(sa.func.replace(c.fund_code, " ", ""))
            unlinked = unlinked.where(fund.in_(sorted(links.LINKED_FUNDS)))
            linkable_query = sa.select(sa.func.count()).where(
                c.dropped_at.is_(None), fund.in_(sorted(links.LINKED_FUNDS))
            )
        else:
            linkable_query = sa.select(sa.func.count()).where(c.dropped_at.is_(None))
        missing = list(conn.scalars(unlinked.order_by(key)))
        figures[source] = SourceFigures(
            rows=sum(by_period.values()),
            dropped=dropped,
            linkable=conn.execute(linkable_query).scalar_one(),
            linked=sum(linked_per_period.values()),
            linked_by=dict(
                conn.execute(
                    sa.select(pl.matched_on, sa.func.count())
                    .where(pl.source == source)
                    .group_by(pl.matched_on)
                    .order_by(pl.matched_on)
                ).all()
            ),
            linked_share={
                period: (linked_per_period.get(period, 0) / current[period])
                if by_period.get(period) and current.get(period)
                else None
                for period in PERIODS
            },
            disagreements=dict(
                Counter(
                    conn.scalars(sa.select(view.c.field).where(view.c.source == source))
                ).most_common()
            ),
            ambiguous=sum(1 for a in planned.ambiguities if a.source == source),
            rows_without_page=len(missing),
            rows_without_page_examples=missing[:_EXAMPLES],
            pages_without_row={
                period: current.get(period, 0) - linked_per_period.get(period, 0)
                for period in PERIODS
                if by_period.get(period)
            },
        )
    return figures


def render(figures: dict[str, SourceFigures]) -> list[str]:
    """The section as text lines, for `esfbank report`."""
    lines = ["", "Other sources (linked to current projects)"]
    for source, f in figures.items():
        if not f.rows and not f.dropped:
            lines.append(f"  {source}: not imported")
            continue
        shares = ", ".join(
            f"{period} {share * 100:.1f}%"
            for period, share in f.linked_share.items()
            if share is not None
        )
        linked_by = ", ".join(f"{n} by {kind}" for kind, n in f.linked_by.items()) or "none"
        disagreements = ", ".join(f"{k} {n}" for k, n in f.disagreements.items()) or "none"
        lacking = ", ".join(f"{period} {n}" for period, n in f.pages_without_row.items())
        examples = ", ".join(f.rows_without_page_examples)
        more = ", …" if f.rows_without_page > len(f.rows_without_page_examples) else ""
        lines += [
            f"  {source}: {f.rows} rows ({f.dropped} no longer listed), {f.linkable} linkable,"
            f" {f.linked} linked ({linked_by}); {f.ambiguous} ambiguous, not linked",
            f"    linked share of current projects: {shares or 'none'}",
            f"    disagreements with the pages by field: {disagreements}",
            f"    rows no page has: {f.rows_without_page}"
            + (f" ({examples}{more})" if examples else ""),
            f"    current projects it lacks: {lacking or 'none'}",
        ]
    return lines
