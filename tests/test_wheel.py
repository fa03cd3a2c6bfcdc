"""`esfbank demo` from an installed wheel: no checkout, no network.

The wheel is built from a copy of the package sources alone (no tests/, no data/), installed
into a fresh virtual environment outside the checkout, and `esfbank demo` runs there. The new
environment gets its dependencies from this one's site-packages through a `.pth` line (pip
would need the network for them); esfbank itself comes only from the wheel, which the test
checks, so a file the package needs but does not ship fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from esfbank.fixture_site import FixtureSite

pytestmark = [pytest.mark.slow, pytest.mark.crawl]

REPO = Path(__file__).resolve().parents[1]
PACKAGE_SOURCES = (
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "parsers",
    "load",
    "crawler",
    "esfbank",
)


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env.pop("ESFBANK_DB", None)
    env.pop("ESFBANK_ARCHIVE", None)
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in PACKAGE_SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    dist = tmp_path / "dist"
    pip = (sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index")
    done = _run(*pip, "--wheel-dir", dist, source, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = dist.glob("esfbank-*.whl")
    return wheel


def _fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    venv = tmp_path / "venv"
    done = _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"
    install = ("install", "--no-deps", "--no-index", "--disable-pip-version-check", wheel)
    done = _run(sys.executable, "-m", "pip", "--python", python, *install, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    site = _run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
    )
    # This environment's site-packages: its .pth files (the editable install's) are not run.
    dependencies = sysconfig.get_paths()["purelib"]
    (Path(site.stdout.strip()) / "esfbank_test_dependencies.pth").write_text(dependencies + "\n")
    return venv


def test_esfbank_demo_runs_from_an_installed_wheel(tmp_path: Path) -> None:
    venv = _fresh_venv(tmp_path, _build_wheel(tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    show = "import esfbank, load, sys; print(esfbank.__file__, load.__file__, sep='\\n')"
    where = _run(venv / "bin" / "python", "-c", show + "; print(*sys.path)", cwd=elsewhere)
    esfbank_file, load_file, path = where.stdout.splitlines()
    assert esfbank_file.startswith(str(venv)), esfbank_file
    assert load_file.startswith(str(venv)), load_file
    dependencies = sysconfig.get_paths()["purelib"]
    assert [p for p in path.split() if p.startswith(str(REPO))] == [dependencies]

    done = _run(venv / "bin" / "esfbank", "demo", cwd=elsewhere)
    assert done.returncode == 0, done.stdout + done.stderr
    with FixtureSite() as site:
        projects = sum(1 for p in site.manifest if p.kind == "project")
        news = sum(1 for p in site.manifest if p.kind == "news")
    assert f"{projects + news} of them loaded with that kind" in done.stdout
    assert "missing or misdetected" not in done.stdout
    assert (elsewhere / "data" / "demo.sqlite").is_file()
