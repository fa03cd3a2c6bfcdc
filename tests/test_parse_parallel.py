"""`esfbank parse` with several parse workers prints what one process prints: the same records in
input order, the same error lines in the same order, the same exit code; Ctrl-C and a dead
worker end it as they end `load`; a handful of files starts no worker."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from esfbank import parallel
from esfbank.cli import main
from esfbank.commands import parse
from parsers import page as page_module
from parsers.records import Record, Source
from tests.plugins.site import CLI_TIMEOUT_SECONDS

REPO = Path(__file__).parent.parent
GOLDEN = REPO / "tests" / "fixtures" / "golden"
REAL_PAGES = REPO.parent / "shared" / "real-pages" / "pages"
CRASHING = "crash"  # pages whose file name holds this make the patched parser crash


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden pages, with broken ones and pages the patched parser crashes on among them."""
    folder = tmp_path_factory.mktemp("pages") / "pages"
    shutil.copytree(GOLDEN, folder, ignore=shutil.ignore_patterns("*.json"))
    (folder / "broken.html").write_bytes(b"\x00\x01\x02" * 100)
    (folder / "empty.txt").write_bytes(b"")
    project = (GOLDEN / "esf2014" / "2018-00566-html.html").read_bytes()
    (folder / "truncated.html").write_bytes(project[: project.index(b"project-description")])
    for index in range(3):
        shutil.copy(GOLDEN / "esf2007" / "visioncenter.txt", folder / f"{CRASHING}{index}.txt")
    return folder


def _parse(*args: str, setup: str = "") -> subprocess.CompletedProcess[str]:
    """`esfbank parse` in a fresh interpreter (workers are forked, so patches reach them),
    after this module's `setup()` when one is named."""
    code = (
        "import sys\n"
        + (f"from tests import test_parse_parallel as here\nhere.{setup}()\n" if setup else "")
        + "from esfbank.cli import main\n"
        + f"sys.exit(main({['parse', *args]!r}))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
        cwd=REPO,
    )


def crash_on_some() -> None:
    """(In the fresh process.) A parser bug that only the `crash*` pages meet."""
    parse_bytes = page_module.parse_bytes

    def crash(data: bytes, source: Source, **kwargs: Any) -> Record:
        if CRASHING in Path(source.path or "").name:
            raise KeyError("rubrik")
        return parse_bytes(data, source, **kwargs)

    page_module.parse_bytes = crash


@pytest.mark.parametrize("fmt", ["jsonl", "json", "table"])
def test_three_jobs_print_what_one_prints(pages: Path, fmt: str) -> None:
    twice = (str(pages), str(pages))  # enough pages for workers, each met twice
    one = _parse(*twice, "--format", fmt, "--jobs", "1", setup="crash_on_some")
    three = _parse(*twice, "--format", fmt, "--jobs", "3", setup="crash_on_some")
    assert one.returncode == 1, one.stderr
    assert len(one.stdout.splitlines()) > parse.MIN_PAGES_FOR_WORKERS
    assert "broken.html: field page" in one.stderr
    crashed = [line for line in one.stderr.splitlines() if "parser crashed: KeyError" in line]
    assert len(crashed) == 6
    assert (three.returncode, three.stdout, three.stderr) == (
        one.returncode,
        one.stdout,
        one.stderr,
    )


@pytest.mark.skipif(not REAL_PAGES.is_dir(), reason="needs the shared page texts")
def test_three_jobs_print_what_one_prints_on_real_pages() -> None:
    thrice = (str(REAL_PAGES),) * 3  # enough pages for workers
    one = _parse(*thrice, "--jobs", "1")
    three = _parse(*thrice, "--jobs", "3")
    assert len(one.stdout.splitlines()) >= parse.MIN_PAGES_FOR_WORKERS
    assert (three.returncode, three.stdout, three.stderr) == (
        one.returncode,
        one.stdout,
        one.stderr,
    )


def _jobs_used(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The jobs `esfbank parse` asks the ordered map for, recorded as it runs in this process."""
    used: list[int] = []
    ordered_map = parallel.ordered_map

    def recorded(
        func: Callable[[Any], Any], inputs: Sequence[Any], jobs: int, **kwargs: Any
    ) -> AbstractContextManager[Iterator[Any]]:
        used.append(jobs)
        return ordered_map(func, inputs, 1, **kwargs)

    monkeypatch.setattr(parallel, "ordered_map", recorded)
    return used


def test_a_handful_of_files_starts_no_worker(
    pages: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    used = _jobs_used(monkeypatch)
    few = [str(pages / "esf2007" / "visioncenter.txt")] * (parse.MIN_PAGES_FOR_WORKERS - 1)
    main(["parse", "--jobs", "3", *few])
    main(["parse", "--jobs", "3", *few, str(pages / "empty.txt")])
    monkeypatch.setenv("ESFBANK_JOBS", "2")
    main(["parse", *few, str(pages / "empty.txt")])
    assert len(capsys.readouterr().out.splitlines()) > len(few)
    assert used == [1, 3, 2]


# Shared with the forked workers (see the Ctrl-C test).
_pressed = multiprocessing.Lock()


_render = parse.render


def _render_and_press(fmt: str, given: str) -> parse.Rendered:
    """In a worker, on its first page, once: Ctrl-C, which a terminal sends to every process of
    the command (this worker and the writer, its parent)."""
    if _pressed.acquire(block=False):
        os.kill(os.getppid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)
    return _render(fmt, given)


def press_ctrl_c() -> None:
    """(In the fresh process.) A worker presses Ctrl-C."""
    parse.render = _render_and_press


def test_ctrl_c_stops_the_workers_in_one_line(pages: Path) -> None:
    done = _parse(str(pages), str(pages), "--jobs", "2", setup="press_ctrl_c")
    assert done.returncode == 130, done.stderr
    assert done.stderr.splitlines()[-1] == "esfbank parse: interrupted"
    assert "Traceback" not in done.stderr


def _die(fmt: str, given: str) -> parse.Rendered:
    os._exit(9)


def kill_the_workers() -> None:
    """(In the fresh process.) Every worker dies on its first page."""
    parse.render = _die


def test_a_dead_worker_fails_the_run_in_one_line(pages: Path) -> None:
    done = _parse(str(pages), str(pages), "--jobs", "2", setup="kill_the_workers")
    assert done.returncode == 1
    assert done.stderr.startswith("esfbank parse: error: a parse worker process died")
    assert len(done.stderr.splitlines()) == 1
    assert done.stdout == ""


def test_folder_pages_come_in_the_order_path_comparison_gives(tmp_path: Path) -> None:
    """expand_paths sorts by a key compared in C; the order is still sorted(Paths)'s, where
    '/' and '-' or '.' order differently in strings and in parts."""
    names = ["a/b.html", "a-b.html", "a/b/c.html", "A.html", "a.html", "a.b/c.html", "é/a.htm"]
    names += ["e/a.txt", "a/ä.html", "a/Z.html", "x y/z.html", "a/b-c/d.html", "a/b/d.html"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("URL: x\n")
    expanded = [path for path, _ in parse.expand_paths([str(tmp_path)])]
    assert expanded == sorted(tmp_path / name for name in names)


def test_folder_pages_are_the_page_files_rglob_finds(tmp_path: Path) -> None:
    """expand_paths reads folders with os.scandir; it finds what Path.rglob finds: dot files,
    suffixes in any case, files through symlinks, no folders named like pages, no broken links,
    no fifos, nothing inside symlinked folders."""
    for name in ["a/x.html", "a/b/y.HTM", "a/b/z.txt", ".dot.html", "..html", "c.html/in.html"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("URL: x\n")
    for name in ["d/.hid/q.htm", "a/b/n.html.", "a/noext", "e/m.Html"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("URL: x\n")
    (tmp_path / "e" / "link").symlink_to(tmp_path / "a")
    (tmp_path / "f.html").symlink_to(tmp_path / "a" / "x.html")
    (tmp_path / "g.html").symlink_to(tmp_path / "missing.html")
    (tmp_path / "i.html").symlink_to(tmp_path / "c.html")
    os.mkfifo(tmp_path / "h.html")
    found = sorted(
        p for p in tmp_path.rglob("*") if p.suffix.lower() in parse.PAGE_SUFFIXES and p.is_file()
    )
    assert len(found) == 9
    assert [path for path, _ in parse.expand_paths([str(tmp_path)])] == found
