"""Source URL keys: the same page gives the same key however it was reached."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.normalisers import NormaliseError
from parsers.urls import normalise_source_url

PATH = "/sv/Resultat/Projektbanken/Behallare-for-projekt/Ostra-Mellansverige/Visioncenter/"
KEY = "/resultat/projektbanken/behallare-for-projekt/ostra-mellansverige/visioncenter/"


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.esf.se{PATH}",
        f"http://WWW.ESF.SE{PATH.removeprefix('/sv')}",
        f"https://esf.se{PATH.rstrip('/')}",
        f"http://127.0.0.1:8765{PATH}",
        f"http://localhost:8765{PATH.upper().replace('/SV/', '/sv/')}#content",
        PATH,
        f"https://www.esf.se/sv//{PATH.removeprefix('/sv/')}",
    ],
)
def test_the_same_page_gets_the_same_key(url: str) -> None:
    assert normalise_source_url(url) == KEY


def test_the_brief_s_example() -> None:
    assert normalise_source_url("https://www.esf.se/sv/X/") == normalise_source_url(
        "http://WWW.esf.se/X"
    )


def test_the_query_is_kept_as_written() -> None:
    assert (
        normalise_source_url("https://www.esf.se/resultat/projektbanken/projekt/?dnr=22-005-S01")
        == "/resultat/projektbanken/projekt/?dnr=22-005-S01"
    )
    assert normalise_source_url(
        "http://www.esf.se/Min-region/Stockholm/Utlysning?sourceId=44065"
    ) == ("/min-region/stockholm/utlysning/?sourceId=44065")


@pytest.mark.parametrize(
    "url",
    [
        "https://www.esf.se/nyheter/V%C3%A4lbes%C3%B6kt/",
        "https://www.esf.se/nyheter/v%c3%a4lbes%c3%b6kt",
        "https://www.esf.se/nyheter/Välbesökt",
        "https://www.esf.se/nyheter/va\u0308lbeso\u0308kt",
    ],
)
def test_percent_escapes_and_their_characters_agree(url: str) -> None:
    assert normalise_source_url(url) == "/nyheter/v%c3%a4lbes%c3%b6kt/"


def test_only_leading_sv_segments_are_dropped() -> None:
    assert normalise_source_url("https://www.esf.se/svenska/sv/") == "/svenska/sv/"
    assert normalise_source_url("https://www.esf.se/sv/sv/x") == "/x/"
    assert normalise_source_url("https://www.esf.se/sv") == "/"
    assert normalise_source_url("https://www.esf.se") == "/"


@pytest.mark.parametrize(
    "url", ["", "   ", "ftp://www.esf.se/x/", "www.esf.se/x/", "mailto:a@b.se"]
)
def test_what_is_not_a_web_address_or_path_is_an_error(url: str) -> None:
    with pytest.raises(NormaliseError, match="expected"):
        normalise_source_url(url)


# Path segments as a URL carries them: percent-encoded, with Swedish letters and reserved signs.
segments = st.one_of(st.just("sv"), st.text(alphabet="abcåäöABCÅÄÖ019-_ .%?#&=+", min_size=1)).map(
    lambda segment: quote(segment, safe="")
)


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(segments, min_size=1, max_size=5),
    query=st.sampled_from(["", "?dnr=2019/00145", "?sourceId=44065"]),
    scheme_host=st.sampled_from(["", "https://www.esf.se", "http://127.0.0.1:8000"]),
)
def test_keys_are_stable_and_normalising_twice_changes_nothing(
    parts: list[str], query: str, scheme_host: str
) -> None:
    key = normalise_source_url(f"{scheme_host}/sv/{'/'.join(parts)}{query}")
    assert key == normalise_source_url(f"{scheme_host}/{'/'.join(parts).lower()}/{query}")
    assert key.startswith("/")
    assert key.split("?")[0].endswith("/")
    assert normalise_source_url(key) == key
