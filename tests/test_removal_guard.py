"""The removal rule per URL and the mass-removal guard (crawler.removal), as pure functions."""

from __future__ import annotations

import pytest

from crawler.removal import judge, unlisted_may_leave

LIVE = {"2007-2013": 100, "2014-2020": 300, "2021-2027": 300, "news": 200, "other": 100}


@pytest.mark.parametrize(
    ("url", "may_leave"),
    [
        ("https://www.esf.se/resultat/projektbanken/projekt/?dnr=2018/00566", False),
        ("https://www.esf.se/resultat/projektbanken/projekt?DNR=22-005-S01", False),
        ("https://www.esf.se/x/?lang=sv&dnr=22-005-S01", False),
        ("https://www.esf.se/projekt/arbetscoacher", True),
        ("https://www.esf.se/nyheter/en-nyhet/", True),
    ],
)
def test_a_dnr_page_never_leaves_for_being_unlisted(url: str, may_leave: bool) -> None:
    assert unlisted_may_leave(url) is may_leave


def test_removals_within_the_share_everywhere_are_accepted() -> None:
    verdict = judge({"2014-2020": 20, "news": 10, "other": 10}, LIVE, 0.10)
    assert (verdict.refused, verdict.would_remove, verdict.live) == (False, 40, 1000)


def test_more_than_the_share_of_the_site_is_refused_saying_how_many() -> None:
    verdict = judge({"2014-2020": 90, "2021-2027": 25}, LIVE, 0.10)
    assert verdict.refused
    assert verdict.refusal is not None
    assert verdict.refusal.startswith("115 pages would be flagged removed: 115 (11.5%)")
    assert "--allow-mass-removal" in verdict.refusal


def test_losing_all_of_one_period_is_refused_though_under_the_share_of_the_site() -> None:
    verdict = judge({"2007-2013": 100}, LIVE, 0.20)
    assert verdict.refused
    assert verdict.refusal is not None
    assert "100 (100.0%) of the 100 live 2007-2013 project pages" in verdict.refusal
    assert "of the 1000 live pages" not in verdict.refusal  # 10 % of the site: within 20 %


def test_the_news_family_is_guarded_too_other_pages_only_count_towards_the_whole() -> None:
    assert judge({"news": 41}, LIVE, 0.20).refused
    assert not judge({"other": 100}, LIVE, 0.20).refused


def test_allow_accepts_anything_and_nothing_removed_is_never_refused() -> None:
    assert not judge({"2007-2013": 100}, LIVE, 0.10, allow=True).refused
    assert not judge({}, {}, 0.0).refused


def test_a_share_of_zero_refuses_any_removal() -> None:
    assert judge({"other": 1}, LIVE, 0.0).refused
