"""The fixture site server: placeholders, conditional requests, hit counts, changes, every fault."""

from __future__ import annotations

import http.client
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.utils import format_datetime

import pytest

from esfbank.fixture_site import FixtureSite
from esfbank.fixture_site import faults as f
from esfbank.fixture_site.paths import BadPathError, canonical_target, file_for

PROJECT = "/resultat/projektbanken/projekt/?dnr=2018/00566"
PROJECT_2007 = "/sv/Resultat/Projektbanken/Behallare-for-projekt/Sydsverige/Klara-Livet/"
SITEMAP_2014 = "/sitemaps/projekt-2014-2020.xml"


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    with FixtureSite() as running:
        yield running


def get(
    site: FixtureSite, target: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    try:
        conn.request(method, target, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_stop_hangs_up_on_keep_alive_clients() -> None:
    def robots(conn: http.client.HTTPConnection) -> bytes:
        conn.request("GET", "/robots.txt")
        return conn.getresponse().read()

    with FixtureSite() as running:
        conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
        assert robots(conn)
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        robots(conn)
    conn.close()


def test_query_strings_map_to_files_one_way() -> None:
    assert file_for(PROJECT) == "resultat/projektbanken/projekt/index@dnr=2018%2F00566.html"
    assert file_for("/resultat/projektbanken/projekt/?dnr=2018%2F00566") == file_for(PROJECT)
    assert file_for("/x/?b=1&a=2") == file_for("/x/?a=2&b=1") == "x/index@a=2&b=1.html"
    assert file_for("/projekt/arbetscoacher") == "projekt/arbetscoacher/index.html"
    assert file_for("/robots.txt") == "robots.txt"
    assert file_for("/") == "index.html"
    assert canonical_target("/x/?b=1&a=2") == "/x/?a=2&b=1"
    with pytest.raises(BadPathError):
        file_for("/../secret")


def test_absolute_urls_point_at_the_server(site: FixtureSite) -> None:
    _, _, robots = get(site, "/robots.txt")
    assert f"Sitemap: {site.base_url}/sitemap.xml" in robots.decode()
    _, _, index = get(site, "/sitemap.xml")
    sitemaps = re.findall(r"<loc>(.*?)</loc>", index.decode())
    assert sitemaps
    assert all(loc.startswith(site.base_url + "/sitemaps/") for loc in sitemaps)
    status, _, page = get(site, PROJECT)
    assert status == 200
    assert f'<link rel="canonical" href="{site.base_url}{PROJECT}">' in page.decode()
    assert b"{base}" not in robots + index + page


def test_an_old_page_is_served_in_the_charset_it_declares(site: FixtureSite) -> None:
    page = next(p for p in site.manifest if p.layout and "windows-1252" in p.layout)
    status, headers, body = get(site, page.path)
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=windows-1252"
    assert "Beviljat ESF-stöd".encode("cp1252") in body
    assert "ö".encode() not in body
    assert get(site, PROJECT)[1]["Content-Type"] == "text/html; charset=utf-8"


def test_unknown_paths_are_404_and_counted(site: FixtureSite) -> None:
    assert get(site, "/finns-inte/")[0] == 404
    assert get(site, "/../etc/passwd")[0] == 404
    get(site, PROJECT)
    get(site, PROJECT)
    assert site.hits[("/finns-inte/", 404)] == 1
    assert site.hits[(PROJECT, 200)] == 2
    assert site.hits.count(status=200) == 2
    assert site.hits.targets(status=404) == {"/finns-inte/", "/../etc/passwd"}


def test_conditional_requests_get_304(site: FixtureSite) -> None:
    status, headers, body = get(site, PROJECT)
    assert status == 200
    assert body
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert get(site, PROJECT, {"If-None-Match": etag})[0] == 304
    assert get(site, PROJECT, {"If-None-Match": f'W/{etag}, "other"'})[0] == 304
    assert get(site, PROJECT, {"If-Modified-Since": modified})[0] == 304
    assert get(site, PROJECT, {"If-None-Match": '"stale"', "If-Modified-Since": modified})[0] == 200
    assert get(site, PROJECT, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200
    assert site.hits[(PROJECT, 304)] == 3


def test_head_answers_headers_only(site: FixtureSite) -> None:
    status, headers, body = get(site, PROJECT, method="HEAD")
    assert status == 200
    assert int(headers["Content-Length"]) > 1000
    assert body == b""


def test_set_page_changes_etag_and_sitemap_lastmod(site: FixtureSite) -> None:
    _, before, _ = get(site, PROJECT)
    _, _, sitemap_before = get(site, SITEMAP_2014)
    site.set_page(PROJECT, "<html><body><h1>Ny version</h1></body></html>")
    status, after, body = get(site, PROJECT, {"If-None-Match": before["ETag"]})
    assert status == 200
    assert body == b"<html><body><h1>Ny version</h1></body></html>"
    assert after["ETag"] != before["ETag"]
    assert after["Last-Modified"] != before["Last-Modified"]
    assert get(site, PROJECT, {"If-None-Match": after["ETag"]})[0] == 304
    _, _, sitemap_after = get(site, SITEMAP_2014)
    lastmod = re.compile(rf"<loc>{re.escape(site.base_url + PROJECT)}</loc>\s*<lastmod>(.*?)<")
    old = lastmod.search(sitemap_before.decode())
    new = lastmod.search(sitemap_after.decode())
    assert old
    assert new
    assert new.group(1) > old.group(1)


def test_removed_page_answers_410_and_leaves_discovery(site: FixtureSite) -> None:
    page = site.source.manifest.page(PROJECT_2007)
    assert page is not None
    assert page.sitemap is not None
    assert page.listed_on
    site.remove_page(PROJECT_2007, status=410, unlist=True)
    assert get(site, PROJECT_2007)[0] == 410
    assert PROJECT_2007 not in get(site, page.sitemap)[2].decode()
    for listing in page.listed_on:
        assert PROJECT_2007 not in get(site, listing)[2].decode()
    site.remove_page(PROJECT, status=404)
    assert get(site, PROJECT)[0] == 404
    assert PROJECT in get(site, SITEMAP_2014)[2].decode()  # not unlisted: only the page is gone


@pytest.mark.parametrize(("status", "retry_after"), [(500, None), (503, 2), (429, 1)])
def test_status_fault_then_success(site: FixtureSite, status: int, retry_after: int | None) -> None:
    site.set_fault(PROJECT, f.Status(status, times=2, retry_after=retry_after))
    for _ in range(2):
        got, headers, _ = get(site, PROJECT)
        assert got == status
        assert headers.get("Retry-After") == (None if retry_after is None else str(retry_after))
    assert get(site, PROJECT)[0] == 200
    assert site.hits[(PROJECT, status)] == 2


def test_slow_fault_outlasts_a_client_timeout(site: FixtureSite) -> None:
    site.set_fault(PROJECT, f.Slow(delay=5, times=1))
    with pytest.raises(TimeoutError):
        urllib.request.urlopen(site.url(PROJECT), timeout=0.2)


def test_slow_fault_is_bounded() -> None:
    assert f.Slow(delay=1e9).seconds == f.MAX_DELAY_SECONDS
    assert f.Slow(delay=-1).seconds == 0


def test_reset_fault_breaks_the_connection_mid_body(site: FixtureSite) -> None:
    site.set_fault(PROJECT, f.Reset(after_bytes=300, times=1))
    with pytest.raises((ConnectionResetError, http.client.IncompleteRead)):
        get(site, PROJECT)
    assert get(site, PROJECT)[0] == 200


def test_truncated_fault_sends_less_than_announced(site: FixtureSite) -> None:
    site.set_fault(PROJECT, f.Truncated(after_bytes=300))
    with pytest.raises(http.client.IncompleteRead) as caught:
        get(site, PROJECT)
    assert len(caught.value.partial) == 300


def test_redirect_loop_never_ends(site: FixtureSite) -> None:
    for path, fault in f.redirect_loop("/loop-a/", "/loop-b/").items():
        site.set_fault(path, fault)
    status, headers, _ = get(site, "/loop-a/")
    assert (status, headers["Location"]) == (302, site.url("/loop-b/"))
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(site.url("/loop-a/"), timeout=5)
    assert caught.value.code == 302  # urllib gives up on the loop


def test_huge_fault_announces_20_mb_and_streams(site: FixtureSite) -> None:
    site.set_fault(PROJECT, f.Huge())
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    conn.request("GET", PROJECT)
    response = conn.getresponse()
    assert int(response.headers["Content-Length"]) == 20 * 2**20
    head = response.read(4096)
    assert head.startswith(b"<!DOCTYPE html>")
    conn.close()  # a client with a size cap stops here; the server must not mind


def test_huge_body_is_exactly_its_size() -> None:
    size = 200_000
    body = b"".join(f.huge_bytes(o, min(65536, size - o)) for o in range(0, size, 65536))
    assert len(body) == size
    assert body == f.huge_bytes(0, size)


def test_malformed_fault_breaks_markup_not_words(site: FixtureSite) -> None:
    _, _, clean = get(site, PROJECT)
    site.set_fault(PROJECT, f.Malformed())
    _, _, broken = get(site, PROJECT)
    assert b"</p>" in clean
    assert b"</p>" not in broken
    assert b"</div>" not in broken
    assert b"Kvinna in i Sverige" in broken


def test_if_modified_since_follows_set_page(site: FixtureSite) -> None:
    site.set_page(PROJECT, "<p>ett</p>")
    first = format_datetime(site.page_lastmod(PROJECT), usegmt=True)
    site.set_page(PROJECT, "<p>två</p>")  # same second: still a later Last-Modified
    assert site.page_lastmod(PROJECT) > site.page_lastmod("/robots.txt")
    assert get(site, PROJECT, {"If-Modified-Since": first})[0] == 200


def test_a_client_hanging_up_is_one_quiet_line_and_other_errors_show(
    site: FixtureSite, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    server = site._server  # the handler's errors end in the server's handle_error
    assert server is not None
    caplog.set_level("DEBUG", logger="esfbank.fixture_site.server")
    try:
        raise ConnectionResetError(104, "Connection reset by peer")
    except ConnectionResetError:
        server.handle_error(None, ("127.0.0.1", 50000))  # type: ignore[arg-type]
    assert "Traceback" not in capsys.readouterr().err
    assert "127.0.0.1:50000 hung up: ConnectionResetError" in caplog.text
    try:
        raise KeyError("a bug in the server")
    except KeyError:
        server.handle_error(None, ("127.0.0.1", 50001))  # type: ignore[arg-type]
    shown = capsys.readouterr().err
    assert "Traceback" in shown
    assert "a bug in the server" in shown
