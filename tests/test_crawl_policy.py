"""The incremental rule, Retry-After parsing, settings overrides and the backfill journal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crawler.freshness import Fetch, Skip, decide
from crawler.journal import Journal, read_journal
from crawler.middlewares import HostPause, retry_after_seconds
from crawler.settings import SettingsError, crawl_settings
from load.store import UrlState

NOW = dt.datetime(2026, 1, 1, 2, 0, tzinfo=dt.UTC)


def _state(**changes: object) -> UrlState:
    fields: dict[str, object] = {
        "url": "http://x/a",
        "kind": "project",
        "http_status": 200,
        "etag": '"abc"',
        "last_modified": "Wed, 01 May 2024 10:00:00 GMT",
        "sitemap_lastmod": "2024-05-01",
        "content_hash": "h",
        "archive_key": "k",
        "last_fetched_at": NOW,
        "last_seen_at": NOW,
        "removed": False,
    }
    fields.update(changes)
    return UrlState(**fields)  # type: ignore[arg-type]


def test_unchanged_sitemap_lastmod_is_not_requested() -> None:
    assert decide(_state(), "2024-05-01", incremental=True) == Skip()


def test_changed_or_missing_lastmod_asks_conditionally() -> None:
    expected = Fetch(
        {"If-None-Match": '"abc"', "If-Modified-Since": "Wed, 01 May 2024 10:00:00 GMT"},
        validators_for="http://x/a",
    )
    assert decide(_state(), "2024-06-01", incremental=True) == expected
    assert decide(_state(), None, incremental=True) == expected


@pytest.mark.parametrize(
    "state",
    [None, _state(removed=True), _state(http_status=404), _state(etag=None, last_modified=None)],
)
def test_unknown_removed_failed_or_validatorless_pages_are_fetched_in_full(
    state: UrlState | None,
) -> None:
    assert decide(state, "2024-06-01", incremental=True) == Fetch()


def test_backfill_fetches_everything_unconditionally() -> None:
    assert decide(_state(), "2024-05-01", incremental=False) == Fetch()


# A URL that redirected last time: http://x/old led to http://x/a.
REDIRECT = {"url": "http://x/old", "kind": None, "http_status": 301, "etag": None,
            "last_modified": None, "content_hash": None, "archive_key": None,
            "redirected_to": "http://x/a"}  # fmt: skip


def test_redirect_with_unchanged_lastmod_is_skipped_and_its_target_seen_with_it() -> None:
    decision = decide(_state(**REDIRECT), "2024-05-01", incremental=True, target=_state())
    assert decision == Skip(redirected_to="http://x/a")


@pytest.mark.parametrize("lastmod", ["2024-06-01", None])
def test_redirect_with_moved_or_no_lastmod_asks_with_its_targets_validators(
    lastmod: str | None,
) -> None:
    target = _state(etag='"t"', last_modified="Thu, 02 May 2024 10:00:00 GMT")
    decision = decide(_state(**REDIRECT), lastmod, incremental=True, target=target)
    assert decision == Fetch(
        {"If-None-Match": '"t"', "If-Modified-Since": "Thu, 02 May 2024 10:00:00 GMT"},
        validators_for="http://x/a",
    )


@pytest.mark.parametrize(
    "target",
    [
        None,
        _state(removed=True),
        _state(http_status=404),
        _state(url="http://x/elsewhere"),
        _state(etag=None, last_modified=None),
    ],
)
def test_redirect_without_a_usable_target_state_is_fetched_in_full(
    target: UrlState | None,
) -> None:
    assert decide(_state(**REDIRECT), "2024-06-01", incremental=True, target=target) == Fetch()


@pytest.mark.parametrize("target", [None, _state(removed=True), _state(http_status=404)])
def test_redirect_to_a_missing_removed_or_failed_target_is_not_skipped(
    target: UrlState | None,
) -> None:
    """Skipping would count a gone target as seen and bring it back."""
    assert decide(_state(**REDIRECT), "2024-05-01", incremental=True, target=target) == Fetch()


def test_backfill_fetches_a_redirect_unconditionally() -> None:
    assert decide(_state(**REDIRECT), "2024-05-01", incremental=False, target=_state()) == Fetch()


def test_a_page_that_answered_itself_ignores_any_target() -> None:
    assert decide(_state(), "2024-05-01", incremental=True, target=_state(url="x")) == Skip()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, 0.0),
        ("3", 3.0),
        ("3600", 60.0),
        ("Thu, 01 Jan 2026 02:00:10 GMT", 10.0),
        ("Thu, 01 Jan 2026 01:00:00 GMT", 0.0),
        ("soon", 0.0),
    ],
)
def test_retry_after_is_honoured_within_the_cap(header: str | None, expected: float) -> None:
    assert retry_after_seconds(header, NOW, cap=60.0) == expected


def test_a_retry_after_pauses_the_whole_host_and_only_that_host() -> None:
    pause = HostPause()
    pause.hold("www.esf.se", 30.0, now=100.0)
    pause.hold("www.esf.se", 5.0, now=101.0)  # a shorter wait never shortens the pause
    assert pause.remaining("www.esf.se", now=110.0) == 20.0
    assert pause.remaining("www.esf.se", now=131.0) == 0.0
    assert pause.remaining("example.org", now=110.0) == 0.0


def test_defaults_are_polite() -> None:
    settings = crawl_settings(environ={})
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert settings.getint("DOWNLOAD_MAXSIZE") == 10 * 1024 * 1024
    assert "@" in settings.get("USER_AGENT")


def test_flags_override_environment_which_overrides_defaults() -> None:
    env = {"ESFBANK_CONCURRENCY": "4", "ESFBANK_USER_AGENT": "x (ops@example.org)"}
    settings = crawl_settings({"CONCURRENT_REQUESTS_PER_DOMAIN": 16}, environ=env)
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 16
    assert settings.getint("CONCURRENT_REQUESTS") >= 16
    assert settings.get("USER_AGENT") == "x (ops@example.org)"


def test_a_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="ESFBANK_AUTOTHROTTLE='maybe'"):
        crawl_settings(environ={"ESFBANK_AUTOTHROTTLE": "maybe"})


def test_journal_survives_a_torn_line_and_resumes(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal.start(path, run_id=7)
    journal.record_done([("http://x/a", "k1"), ("http://x/b", None)])
    journal.close()
    with path.open("a", encoding="utf-8") as out:
        out.write('{"url": "http://x/c"')
    state = read_journal(path)
    assert state.run_id == 7
    assert state.done == {"http://x/a": "k1", "http://x/b": None}
    journal = Journal.reopen(path, run_id=8)
    journal.finish()
    assert not path.exists()
