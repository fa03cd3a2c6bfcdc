"""`esfbank report`: the data-quality report; exit 1 when a gate fails, for nightly schedulers."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from esfbank import config
from esfbank.commands._options import add_db_option
from esfbank.errors import UsageError, writing_stdout


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="data-quality report; exit 1 when a quality gate fails",
        description="Counts per family and period, field fill rates, parse errors, unknown "
        "labels and changes since the previous run, checked against quality gates.",
    )
    add_db_option(p)
    p.add_argument(
        "--gates",
        metavar="FILE",
        type=Path,
        help="gates TOML file (default: load/quality_gates.toml)",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument(
        "--html",
        metavar="PATH",
        type=Path,
        help="also write the report with charts to one self-contained HTML file",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here so that other subcommands start without SQLAlchemy (cli.py).
    from esfbank.commands._database import open_migrated
    from load.engine import describe
    from load.gates import DEFAULT_GATES_FILE, GatesError, load_gates
    from load.report import build_report, render_text
    from load.report_html import chart_data, render_html

    if args.html is not None and not args.html.parent.is_dir():
        raise UsageError(f"--html {args.html}: folder {args.html.parent} does not exist")
    try:
        gates = load_gates(args.gates or DEFAULT_GATES_FILE)
        engine = open_migrated(args.db)
        try:
            with engine.connect() as conn:
                report = build_report(conn, gates)
                charts = chart_data(conn) if args.html is not None else None
        finally:
            engine.dispose()
    except GatesError as exc:
        raise UsageError(str(exc)) from None
    database = describe(config.db_url(args.db))
    text = render_text(report, database)
    with writing_stdout():
        if args.format == "json":
            json.dump(report.to_json(), sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        else:
            sys.stdout.write(text)
    if charts is not None:
        _write_atomically(args.html, render_html(report, charts, text, database))
        print(f"esfbank report: HTML report written to {args.html}", file=sys.stderr)
    failed = [g for g in report.gates if not g.passed]
    for gate in failed:
        print(f"esfbank report: gate failed: {gate.describe()}", file=sys.stderr)
    return 1 if failed else 0


def _write_atomically(path: Path, text: str) -> None:
    """Written under a temporary name and renamed, so a reader never sees half a page."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
