"""A headless browser for tests marked `browser`: Debian's chromium driven by its chromedriver.

`browser` (session scope) is a Selenium WebDriver. Nothing is downloaded: the browser and the
driver are the system's (`apt-get install chromium chromium-driver`; .ci/run installs them).
Without them the tests skip with the reason, or fail when CI=true (like PostgreSQL's, db.py).

`png_is_blank(data)` tells a screenshot of nothing (one colour) from a page drawn.
"""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
)


def _unavailable() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(path) is None:
            return f"{path} missing: apt-get install chromium chromium-driver"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser not available: {reason}")
        pytest.skip(f"browser not available: {reason}")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ARGS:
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: Any, path: Path, *, full_page: bool = False) -> bytes:
    """A PNG of the window (grown to the whole page when `full_page`), also saved to `path`
    and, when ESFBANK_SCREENSHOT_DIR is set, there (how docs/screenshots are made)."""
    if full_page:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1280, min(int(height) + 40, 8000))
    data: bytes = driver.get_screenshot_as_png()
    if full_page:
        driver.set_window_size(1280, 1000)
    path.write_bytes(data)
    folder = os.environ.get("ESFBANK_SCREENSHOT_DIR")
    if folder:
        (Path(folder) / path.name).write_bytes(data)
    return data


def png_is_blank(data: bytes) -> bool:
    """Whether a PNG's pixel data holds almost no distinct byte values (one colour)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        if kind == b"IDAT":
            chunks.append(data[at + 8 : at + 8 + length])
        at += 12 + length
    pixels = zlib.decompress(b"".join(chunks))
    return len(set(pixels)) < 16
