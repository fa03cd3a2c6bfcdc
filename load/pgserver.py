"""A throwaway PostgreSQL server on 127.0.0.1, for tests and benchmarks (not for production).

`initdb` + `pg_ctl` in a temporary folder, on a free port, trust authentication, fsync off.
As root (initdb refuses to run as root) the commands run as the `postgres` user via `runuser`,
in a folder that user owns. The binaries are found on PATH or under /usr/lib/postgresql/*/bin.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

DEFAULT_POSTGRES_USER = "postgres"


class PostgresUnavailableError(Exception):
    """The server could not be started here; the message says why."""


def find_bin_dir() -> Path:
    """The folder holding initdb and pg_ctl."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    raise PostgresUnavailableError("PostgreSQL server binaries (initdb, pg_ctl) not found")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PostgresServer:
    """`with PostgresServer() as server: server.url` — started on enter, removed on exit."""

    def __init__(self) -> None:
        self._root: Path | None = None
        self._prefix: list[str] = []
        self._bin = Path()
        self.port = 0

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{DEFAULT_POSTGRES_USER}@127.0.0.1:{self.port}/postgres"

    def start(self) -> str:
        """Start the server and return the URL of its `postgres` database."""
        self._bin = find_bin_dir()
        self._root = Path(tempfile.mkdtemp(prefix="esfbank-pg-"))
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam(DEFAULT_POSTGRES_USER)
            except KeyError:
                raise PostgresUnavailableError(
                    "running as root and there is no 'postgres' user for initdb"
                ) from None
            os.chown(self._root, user.pw_uid, user.pw_gid)
            self._prefix = ["runuser", "-u", DEFAULT_POSTGRES_USER, "--"]
        data, log = self._root / "data", self._root / "server.log"
        self.port = _free_port()
        self._run(
            "initdb", "-D", str(data), "-U", DEFAULT_POSTGRES_USER, "-A", "trust", "-E", "UTF8",
            "--no-sync", "--no-instructions",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self._root} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(data), "-o", options, "-l", str(log), "-w", "start")
        return self.url

    def stop(self) -> None:
        """Stop the server (immediately: its data is thrown away) and remove its folder."""
        if self._root is None:
            return
        data = self._root / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*self._prefix, str(self._bin / "pg_ctl"), "-D", str(data), "-m", "immediate",
                 "-w", "stop"],
                capture_output=True,
            )  # fmt: skip
        shutil.rmtree(self._root, ignore_errors=True)
        self._root = None

    def _run(self, program: str, *args: str) -> None:
        proc = subprocess.run(
            [*self._prefix, str(self._bin / program), *args], capture_output=True, text=True
        )
        if proc.returncode != 0:
            log = self._root / "server.log" if self._root else None
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            if log is not None and log.exists():
                detail += log.read_text(errors="replace").strip().splitlines()[-3:]
            self.stop()
            raise PostgresUnavailableError(f"{program} failed: {' | '.join(detail[-4:])}")

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
