"""A page's PostgreSQL `tsvector`, made here from the words `search_text` gives and the stems it
makes: what `setweight(to_tsvector('swedish', title), 'A') || setweight(to_tsvector('swedish',
body), 'B')` makes of the same words, in tsvector's binary form, ready for a COPY.

PostgreSQL's text parser, not its stemmer, is what `to_tsvector` costs: 0.8-1.2 s of a server
process per 5,000 pages of real text, the longest part of a load's batch. Here the stems are the
ones SQLite's index holds (the same Snowball Swedish algorithm; a test holds them equal to the
server's), and the positions follow PostgreSQL's rules:
- a part's words are at positions 1, 2, …; a position past 16,383 counts as 16,383;
- a lexeme keeps its first 255 positions in a part, and none after one at 16,383;
- the body's positions follow the title's largest, and a lexeme of both keeps 256 in all.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterable, Sequence

from load.search_text import Document, stem

_LAST_POSITION = (1 << 14) - 1  # tsvector's MAXENTRYPOS - 1: later words are all here
_PART_POSITIONS = 255  # MAXNUMPOS - 1: what to_tsvector keeps of a lexeme's positions
_ALL_POSITIONS = 256  # MAXNUMPOS: what `||` keeps of a lexeme in both parts
_WEIGHT_A, _WEIGHT_B = 3 << 14, 2 << 14  # a position's weight, in its top two bits
_COUNT = struct.Struct("!i")
_ONE = 1 << 16  # a lexeme's tail as a number: one position (and the NUL before it, a zero)


def tsvector(page: Document) -> bytes:
    """The page's tsvector in PostgreSQL's binary form: the title's lexemes weighted A, the
    rest's B."""
    title = _positions(page.title)
    body = _positions(page.body)
    # The body follows the title's largest position: its last word's, unless capped.
    shift = len(page.title)
    if shift > _PART_POSITIONS:
        shift = max(p[-1] for p in title.values())  # a lexeme's positions ascend
    # Most lexemes are in one part, once, and short of the last position: the NUL ending the
    # lexeme, the count of its positions (1) and its weighted position make one number.
    one = shift + len(page.body) < _LAST_POSITION
    single_a, single_b = _ONE + _WEIGHT_A, _ONE + _WEIGHT_B + shift
    out = []
    for lexeme, positions in title.items():
        more = body.pop(lexeme, None)  # what is left of `body` is in the body only
        if more is None and len(positions) == 1:
            out.append(lexeme.encode() + (single_a + positions[0]).to_bytes(5))
            continue
        weighted = [p | _WEIGHT_A for p in positions]
        if more is not None:
            weighted += _shifted(more, shift, weighted)
        out.append(lexeme.encode() + _tail(len(weighted)).pack(len(weighted), *weighted))
    for lexeme, positions in body.items():
        if one and len(positions) == 1:
            out.append(lexeme.encode() + (single_b + positions[0]).to_bytes(5))
        else:
            weighted = _shifted(positions, shift, [])
            out.append(lexeme.encode() + _tail(len(weighted)).pack(len(weighted), *weighted))
    return _COUNT.pack(len(out)) + b"".join(out)


@functools.cache
def _tail(count: int) -> struct.Struct:
    """What follows a lexeme of `count` positions: the NUL ending it, the count, the positions."""
    return struct.Struct(f"!xH{count}H")


def _positions(words: Sequence[str]) -> dict[str, list[int]]:
    """Each stem of the words → its positions, as to_tsvector keeps them."""
    found: dict[str, list[int]] = {}
    for position, lexeme in enumerate(map(stem, words), 1):
        if lexeme in found:
            found[lexeme].append(position)
        else:
            found[lexeme] = [position]
    if len(words) > _PART_POSITIONS and (
        len(words) >= _LAST_POSITION or any(len(p) > _PART_POSITIONS for p in found.values())
    ):
        found = {lexeme: _capped(p) for lexeme, p in found.items()}
    return found


def _capped(positions: Iterable[int]) -> list[int]:
    """A lexeme's positions in a part, at most 255, none after one at the last position."""
    kept: list[int] = []
    for position in positions:
        kept.append(min(position, _LAST_POSITION))
        if len(kept) == _PART_POSITIONS or kept[-1] == _LAST_POSITION:
            break
    return kept


def _shifted(positions: list[int], shift: int, before: list[int]) -> list[int]:
    """The body's positions of a lexeme after the title's `shift`, weighted B, as `||` adds
    them to the positions the title gave it (`before`, weighted)."""
    if not before and positions[-1] + shift < _LAST_POSITION:
        return [(p + shift) | _WEIGHT_B for p in positions]
    added: list[int] = []
    last = before[-1] & _LAST_POSITION if before else None
    for position in positions:
        if len(before) + len(added) >= _ALL_POSITIONS or last == _LAST_POSITION:
            break
        last = min(position + shift, _LAST_POSITION)
        added.append(last | _WEIGHT_B)
    return added
