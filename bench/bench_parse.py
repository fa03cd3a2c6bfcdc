"""Parse speed: one 50 KB HTML project page (target ≤ 5 ms), and `esfbank parse` over 1,000 pages.

The 50 KB page is an HTML reconstruction from the golden fixtures, its description padded with
the free text of real pages; lxml's visible-text extraction alone is timed too, as the floor.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from parsers.decoding import decode_page
from parsers.html_text import visible_text
from parsers.page import parse_bytes
from parsers.records import ProjectRecord, Source

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "fixtures" / "golden"
BASE_PAGE = GOLDEN / "esf2014" / "2018-00566-html.html"
TEXT_SOURCES = ("esf2007/visioncenter.txt", "news/valbesokt-inspirationstraff.txt")
PAGE_BYTES = 50_000
RUNS = 200
FOLDER_PAGES = 1_000
TARGET_MS = 5.0


def padded_page(size: int = PAGE_BYTES) -> bytes:
    """The base page with real free-text paragraphs appended to its description up to `size`."""
    paragraphs = [
        line.strip()
        for name in TEXT_SOURCES
        for line in (GOLDEN / name).read_text("utf-8").splitlines()
        if len(line.strip()) > 120
    ]
    html = BASE_PAGE.read_text("utf-8")
    marker = '<div class="project-description">\n'
    head, tail = html.split(marker, 1)
    padding: list[str] = []
    index = 0
    while len((head + marker + "".join(padding) + tail).encode("utf-8")) < size:
        padding.append(f"<p>{paragraphs[index % len(paragraphs)]}</p>\n")
        index += 1
    return (head + marker + "".join(padding) + tail).encode("utf-8")


def timings_ms(call: Callable[[], object], runs: int = RUNS) -> tuple[float, float]:
    """(median, best) of `runs` calls in ms; best shows the cost when the machine is busy."""
    for _ in range(5):  # warm up: imports, regex caches
        call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, min(times) * 1000


def folder_of_pages(folder: Path, count: int = FOLDER_PAGES) -> None:
    """`count` pages copied round-robin from the golden fixtures, under neutral names."""
    sources = sorted(p for p in GOLDEN.rglob("*") if p.suffix in (".txt", ".html"))
    for index in range(count):
        source = sources[index % len(sources)]
        shutil.copyfile(source, folder / f"page{index:05d}{source.suffix}")


def main() -> None:
    page = padded_page()
    record = parse_bytes(page, Source(path="bench.html"))
    assert isinstance(record, ProjectRecord), record.kind
    assert record.project_number == "2018/00566"
    parse, parse_best = timings_ms(lambda: parse_bytes(page, Source(path="bench.html")))
    extract, extract_best = timings_ms(lambda: visible_text(decode_page(page, html=True).text))
    verdict = "ok" if parse <= TARGET_MS else "SLOWER THAN TARGET"
    print(f"page size                      {len(page) / 1000:.1f} KB HTML")
    print(
        f"parse one page                 median {parse:.2f} ms, best {parse_best:.2f} ms"
        f"  (target ≤ {TARGET_MS} ms: {verdict})"
    )
    print(
        f"lxml visible text alone        median {extract:.2f} ms, best {extract_best:.2f} ms"
        "  (DESIGN.md floor ≈ 2.4 ms)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        folder_of_pages(folder)
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "esfbank", "parse", str(folder)],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
    parsed = len(proc.stdout.splitlines())
    print(
        f"esfbank parse, 1 process       {parsed} pages in {seconds:.2f} s = "
        f"{parsed / seconds:.0f} pages/s (exit {proc.returncode}, start-up included)"
    )
