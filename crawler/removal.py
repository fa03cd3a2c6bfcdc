"""Which pages a run may flag removed, and the guard against flagging the whole site at once.

The rule, per URL (`unlisted_may_leave`): in a complete run, a live page no discovery source
listed is removed, except
- a `?dnr=` project page: the real site lists those nowhere (sitemaps leave them out), so not
  being listed says nothing; it leaves only by a 404/410. (When imported project lists exist,
  dropping out of the newest list that had it is the other way out: that rule joins here.)
- a page taken from the Internet Archive: history, never removed (the store never counts it live).

The guard (`judge`): removals are held back until the run ends. If they would flag more than a
share of the live pages, or of one page family's live pages (a programme period, the news), the
run flags none: a site that changed shape (a redesign, a sitemap that lost its sections) is not a
site whose projects vanished. `--allow-mass-removal` accepts them for one run.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from load.store import Store

DEFAULT_MAX_SHARE = 0.10
# The families the guard checks one by one: projects by programme period, and the news. Other
# pages (listings, calls, redirects) count towards the whole only.
NEWS = "news"
OTHER = "other"
_DNR_PAGE = re.compile(r"[?&]dnr=", re.IGNORECASE)


def checked_share(share: float) -> float:
    """`share` if it is a fraction from 0 to 1; ValueError naming the flag and variable if not."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(
            f"--max-removed-share / ESFBANK_MAX_REMOVED_SHARE {share}: "
            "a fraction from 0 to 1 (0.1 = 10 %)"
        )
    return share


def unlisted_may_leave(url: str) -> bool:
    """May a live URL that no discovery source listed in a complete run be flagged removed?"""
    return not _DNR_PAGE.search(url)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the guard made of a run's removals: `refusal` is None when they may be flagged."""

    would_remove: int
    live: int
    refusal: str | None

    @property
    def refused(self) -> bool:
        return self.refusal is not None

    @property
    def withheld(self) -> int:
        """The removals not flagged (the run row's `removals_withheld`)."""
        return self.would_remove if self.refused else 0


def judge(
    removing: Mapping[str, int],
    live: Mapping[str, int],
    max_share: float,
    *,
    allow: bool = False,
) -> Verdict:
    """`removing` and `live` count pages per family (the removals are among the live pages)."""
    would_remove, total = sum(removing.values()), sum(live.values())
    if allow or would_remove == 0:
        return Verdict(would_remove, total, None)
    reasons = []
    if would_remove > max_share * total:
        reasons.append(f"{_share(would_remove, total)} of the {total} live pages")
    for family in sorted(removing):
        count, of = removing[family], live.get(family, 0)
        if family != OTHER and count > max_share * of:
            reasons.append(f"{_share(count, of)} of the {of} live {_name(family)}")
    if not reasons:
        return Verdict(would_remove, total, None)
    refusal = (
        f"{would_remove} pages would be flagged removed: "
        + "; ".join(reasons)
        + f", more than the limit of {max_share:.1%} (--max-removed-share). The site may have"
        " changed shape rather than lost its pages: nothing was flagged removed. If the pages"
        " really are gone, run again with --allow-mass-removal."
    )
    return Verdict(would_remove, total, refusal)


def flag_removals(
    store: Store, candidates: Iterable[str], run_id: int, max_share: float, *, allow: bool
) -> tuple[Verdict, int]:
    """Flag the live pages among `candidates` removed, all together, or none of them if the
    guard refuses; the verdict and how many were flagged. Every command that flags removals
    (a crawl, a reparse of the 404s a crawl archived) goes through here."""
    families = store.removal_families(sorted(set(candidates)))
    verdict = judge(
        Counter(families.values()),
        store.live_families() if families else {},
        max_share,
        allow=allow,
    )
    if not families or verdict.refused:
        return verdict, 0
    return verdict, store.mark_removed(sorted(families), run_id)


def _share(count: int, of: int) -> str:
    return f"{count} ({count / of:.1%})" if of else str(count)


def _name(family: str) -> str:
    return "news pages" if family == NEWS else f"{family} project pages"
