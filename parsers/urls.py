"""Source URL normalisation: the natural key of 2007 pages that carry no project number.

The key is the path and query only. Scheme and host are dropped so that the same page reached
over http or https, via `www.esf.se` or `esf.se`, or from the fixture site on 127.0.0.1 in tests
gets the same key. The path is decoded, NFC-composed and lower-cased (the site's paths are
case-insensitive), then percent-encoded again in one canonical form, so `%C3%A5`, `%c3%a5` and
`å` agree and normalising a key again changes nothing. It loses the language prefix `/sv/` and
ends with a slash. The query is kept as written: `?dnr=` and `?sourceId=` tell pages apart.
The fragment is dropped.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, unquote, urlsplit

from parsers.normalisers.errors import NormaliseError

_LANGUAGE_PREFIX = re.compile(r"^(?:/sv(?=/|$))+")
_REPEATED_SLASHES = re.compile(r"/{2,}")
# Characters RFC 3986 allows unescaped in a path segment, besides letters and digits.
_PATH_SAFE = "/-._~!$&'()*+,;=:@"


def url_problem(url: str) -> str | None:
    """Why `url` cannot be read as a URL at all (a bracket left open in its host), or None."""
    try:
        urlsplit(url.strip())
    except ValueError as exc:
        return f"not a URL: {exc}"
    return None


def normalise_source_url(url: str) -> str:
    """`https://www.esf.se/sv/X/Y?a=1` and `http://WWW.esf.se/x/y/?a=1` → `/x/y/?a=1`."""
    stripped = url.strip()
    if not stripped:
        raise NormaliseError("expected a URL, got an empty string")
    parts = urlsplit(stripped)
    if parts.scheme not in ("http", "https") and not (parts.scheme == "" and stripped[0] == "/"):
        raise NormaliseError(f"expected an http(s) URL or an absolute path, got {url!r}")
    decoded = unicodedata.normalize("NFC", unquote(parts.path)).lower()
    path = _REPEATED_SLASHES.sub("/", "/" + decoded)
    path = _LANGUAGE_PREFIX.sub("", path) or "/"
    if not path.endswith("/"):
        path += "/"
    path = quote(path, safe=_PATH_SAFE).lower()
    return f"{path}?{parts.query}" if parts.query else path
