"""`python -m esfbank.fixture_site [--port P] [--synthetic N]`: serve the fixture site by hand.

The first line on stdout names the base URL, so a benchmark can start it as a subprocess with
`--port 0 --quiet` and read where it listens.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from esfbank.fixture_site.server import DEFAULT_ROOT, FixtureSite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m esfbank.fixture_site",
        description="Serve the fixture copy of esf.se on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="site directory")
    parser.add_argument("--synthetic", type=int, metavar="N", help="serve N generated pages")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic site")
    parser.add_argument(
        "--page-kb", type=int, metavar="K", help="pad synthetic pages to about K KB"
    )
    parser.add_argument("--quiet", action="store_true", help="no request log")
    args = parser.parse_args(argv)
    try:
        site = FixtureSite(
            args.root,
            synthetic=args.synthetic,
            seed=args.seed,
            page_kb=args.page_kb,
            port=args.port,
            log=not args.quiet,
        ).start()
    except (OSError, ValueError) as exc:
        print(f"fixture site: {exc}", file=sys.stderr)
        return 2
    kinds: dict[str, int] = {}
    for page in site.manifest:
        kinds[page.kind] = kinds.get(page.kind, 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    print(f"serving {len(site.manifest)} pages ({summary}) at {site.base_url}/", flush=True)
    print(f"  robots.txt: {site.url('/robots.txt')}  sitemap index: {site.url('/sitemap.xml')}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
