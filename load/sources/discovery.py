"""The export's project numbers as a discovery source for `crawl` and `backfill`.

Every number the newest export lists is requested as its `?dnr=` page (conditionally once
known, as any known page); a `?dnr=` page leaves by a 404/410, or when its number drops out of
the newest export (then `dropped_numbers` names it), never for being absent from sitemaps.
"""

from __future__ import annotations

import sqlalchemy as sa

from load.schema import esf_export_projects


def _numbers(engine: sa.Engine, *, dropped: bool) -> list[str]:
    e = esf_export_projects.c
    flag = e.dropped_at.is_not(None) if dropped else e.dropped_at.is_(None)
    with engine.connect() as conn:
        return list(
            conn.scalars(sa.select(e.project_number).where(flag).order_by(e.project_number))
        )


def listed_numbers(engine: sa.Engine) -> list[str]:
    """The project numbers the newest export of their period lists."""
    return _numbers(engine, dropped=False)


def dropped_numbers(engine: sa.Engine) -> list[str]:
    """The numbers an earlier export listed and the newest export of their period does not."""
    return _numbers(engine, dropped=True)
