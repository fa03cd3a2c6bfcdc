"""Discovery over a 200,000-URL sitemap index (4 × 50,000): peak memory (target ≤ 200 MB).

A loopback server (a thread of this process, so its memory is not the measured one) serves a
WordPress-like site: robots.txt naming `/sitemap_index.xml`, an index of four sitemaps of
50,000 URLs each (the protocol's limit; two of them gzipped and served without
Content-Encoding, as `.xml.gz` files are), and the project bank's listing page. Measured, each
as its own process (bench/peak.py gives its own peak resident memory):

- `esfbank discover`: the dry run, reading every sitemap and noting every URL;
- with BENCH_DISCOVER_CRAWL=1, also `esfbank crawl` of the same site with every page
  disallowed by robots.txt: the crawl's own discovery and scheduling of all 200,000 URLs (each
  becomes a request the robots.txt check refuses), without downloading 200,000 pages. Before
  the lazy queue this held every sitemap's 50,000 requests at once (about 610 MB); now the
  spider keeps a compact queue and start() hands the scheduler a batch at a time. It takes
  minutes (200,000 refused requests), so it is not part of a plain `make bench`.
"""

from __future__ import annotations

import gzip
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.peak import run as peak_run

SITEMAPS = 4
PER_SITEMAP = 50_000
WITH_CRAWL = os.environ.get("BENCH_DISCOVER_CRAWL") == "1"
TARGET_PEAK_MB = 200.0
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def _sitemap(n: int, base: str) -> bytes:
    """50,000 URLs: `?dnr=` project pages and news, each with a lastmod."""
    rows = []
    for i in range(PER_SITEMAP):
        k = n * PER_SITEMAP + i
        number = f"{22 + k % 4}-{k // 100 % 1000:03d}-S{k % 100:02d}"
        dnr = f"/resultat/projektbanken/projekt/?dnr={number}&amp;n={k}"  # n: numbers repeat
        path = dnr if k % 2 else f"/nyheter/nyhet-{k}/"
        rows.append(
            f"<url><loc>{base}{path}</loc><lastmod>2025-{1 + k % 12:02d}-{1 + k % 28:02d}"
            f"T10:{k % 60:02d}:00+00:00</lastmod></url>"
        )
    body = f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>{"".join(rows)}</urlset>'
    return body.encode()


class _Site:
    """The files, built once for the server's base URL."""

    def __init__(self, base: str, *, disallow_pages: bool) -> None:
        names = [f"/sitemap-{n + 1}.xml" + (".gz" if n % 2 else "") for n in range(SITEMAPS)]
        index = "".join(f"<sitemap><loc>{base}{name}</loc></sitemap>" for name in names)
        disallow = "Disallow: /nyheter/\nDisallow: /resultat/projektbanken/projekt/\n"
        self.files: dict[str, tuple[str, bytes]] = {
            "/robots.txt": (
                "text/plain",
                (
                    "User-agent: *\n"
                    + (disallow if disallow_pages else "")
                    + f"Sitemap: {base}/sitemap_index.xml\n"
                ).encode(),
            ),
            "/sitemap_index.xml": (
                "application/xml",
                f'<?xml version="1.0"?><sitemapindex {NS}>{index}</sitemapindex>'.encode(),
            ),
            "/resultat/projektbanken/": (
                "text/html; charset=utf-8",
                b"<!DOCTYPE html><html><body><h1>Projektbanken</h1></body></html>",
            ),
        }
        for n, name in enumerate(names):
            body = _sitemap(n, base)
            packed = gzip.compress(body) if name.endswith(".gz") else body
            kind = "application/x-gzip" if name.endswith(".gz") else "application/xml"
            self.files[name] = (kind, packed)


def _serve(site_for: dict[str, _Site]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            found = site_for["site"].files.get(self.path)
            status, (kind, body) = (200, found) if found else (404, ("text/html", b"no"))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _measured(args: list[str]) -> tuple[float, float, str]:
    """Seconds, peak resident MB and stdout of one `esfbank` process."""
    started = time.perf_counter()
    # A 6 MB sitemap on a machine shared with other jobs can take longer than the polite 30 s.
    env = {**os.environ, "ESFBANK_PROGRESS_SECONDS": "0", "ESFBANK_DOWNLOAD_TIMEOUT": "300"}
    done = peak_run([sys.executable, "-m", "esfbank", *args], env=env)
    seconds = time.perf_counter() - started
    if done.code != 0:
        raise SystemExit(f"esfbank {args[0]} exited {done.code}:\n{done.stdout}\n{done.stderr}")
    return seconds, done.peak_mb, done.stdout


def _verdict(peak: float) -> str:
    return "ok" if peak <= TARGET_PEAK_MB else "MISSED"


def main() -> None:
    site_for: dict[str, _Site] = {}
    server = _serve(site_for)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    fast = ["--base-url", base, "--no-autothrottle", "--download-delay", "0"]
    try:
        site_for["site"] = _Site(base, disallow_pages=False)
        total = SITEMAPS * PER_SITEMAP
        print(f"  site: robots.txt → sitemap index → {SITEMAPS} × {PER_SITEMAP:,} URLs at {base}")
        seconds, peak, out = _measured(["discover", *fast])
        first = out.splitlines()[0] if out else ""
        print(f"  esfbank discover: {first.removeprefix('discover: ')} in {seconds:.1f} s")
        print(
            f"  peak memory of discover: {peak:.0f} MB "
            f"(target <= {TARGET_PEAK_MB:.0f}: {_verdict(peak)})"
        )
        if f"{total + 1} URLs" not in first:  # the sitemaps' URLs and the project bank page
            raise SystemExit(f"discover found the wrong number of URLs: {first}")

        if not WITH_CRAWL:
            return
        site_for["site"] = _Site(base, disallow_pages=True)
        with tempfile.TemporaryDirectory() as tmp:
            seconds, peak, out = _measured(
                [
                    "crawl",
                    *fast,
                    "--db",
                    f"sqlite:///{Path(tmp) / 'bench.sqlite'}",
                    "--archive",
                    str(Path(tmp) / "archive"),
                ]
            )
        blocked = next((line for line in out.splitlines() if "disallowed" in line), "")
        print(f"  esfbank crawl, every page disallowed: {seconds:.1f} s; {blocked.strip()}")
        print(
            f"  peak memory of the crawl scheduling {total:,} URLs: {peak:.0f} MB "
            f"(target <= {TARGET_PEAK_MB:.0f}: {_verdict(peak)})"
        )
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
