"""Label extraction on visible text lines: the one reader behind every layout of the site.

Shapes read (all seen on real pages or their mirrors):
- `Label:` alone, value on the next line (2014–2020 new layout, ESF+); an empty label such as
  `Stödmottagarens address:` directly followed by another label has no value;
- `Label: value` on one line, and one-line mirrors with several `Label: value` pairs;
- `Label` alone, value on the next line, no colon (2014–2020 old layout, calls);
- `Label<TAB>value` (table cells of HTML pages);
- labels glued to their values, `Beviljat ESF-stöd221 114 kr` (2007–2013), read only inside the
  glued field block, and never splitting a word: `Regionen` is not `Region` + `en`.

The field block starts at the first line that is unmistakably a label and ends at the first line
that is neither a label nor a label's value. Each label seen there is either in the vocabulary
(a `LabelValue`) or reported in `unknown_labels`; nothing in the block is silently dropped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from parsers.vocabulary import ALIASES, LABELS, LIST_HEADINGS, SECTION_HEADINGS, label_key


@dataclass(frozen=True, slots=True)
class LabelValue:
    """A known label as written on the page, the field it fills, and its value ('' if empty)."""

    label: str
    field: str | None
    value: str


@dataclass(frozen=True, slots=True)
class FieldBlock:
    """The labelled part of a page: lines[start:end], with what was read there."""

    pairs: tuple[LabelValue, ...]
    unknown_labels: tuple[str, ...]
    start: int
    end: int
    glued: bool
    lead: str | None = None  # text before the first label on a one-line mirror (its title)


@dataclass(frozen=True, slots=True)
class _Found:
    """A label found on a line: its value, and whether it is in the vocabulary."""

    label: str
    value: str | None  # None: the value is on the next line (or the label is empty)
    known: bool


# Known labels are found by slicing a line and looking the slices up among the aliases, not by a
# regex alternating them all: compiling one (even as a trie) was a sixth of `esfbank parse`'s
# start-up. Only slices as long as an alias that starts (glued labels) or ends (`Label:`) with
# the same characters are looked up, the longest first, as such a regex tries them.
# Aliases are written stripped, without a final colon (tests/test_parse_labels.py holds this).
_PIECE = 3  # no alias is shorter
_ALIAS_SET = frozenset(ALIASES)
_HYPHEN_OR_UNDERSCORE = frozenset("-_")  # with letters and digits: what a label never follows


def _grouped(aliases: Iterable[str], piece: slice) -> dict[str, list[str]]:
    """`aliases` (in their order: longest first) by a piece of them, their start or end."""
    groups: dict[str, list[str]] = {}
    for alias in aliases:
        groups.setdefault(alias[piece], []).append(alias)
    return groups


def _lengths_by(aliases: Iterable[str], piece: slice) -> dict[str, tuple[int, ...]]:
    """The distinct lengths of `aliases` (longest first) by a piece of them."""
    return {
        key: tuple(dict.fromkeys(len(alias) for alias in group))
        for key, group in _grouped(aliases, piece).items()
    }


def _by_start() -> dict[str, tuple[int, dict[str, tuple[int, ...]]]]:
    """By the first three characters of aliases: how long the shortest of them is, and their
    lengths by that many first characters (38 aliases start `Pro`, a few `Projektfa`)."""
    by_start: dict[str, tuple[int, dict[str, tuple[int, ...]]]] = {}
    for piece, group in _grouped(ALIASES, slice(_PIECE)).items():
        size = min(len(alias) for alias in group)
        by_start[piece] = (size, _lengths_by(group, slice(size)))
    return by_start


_BY_START = _by_start()
_LENGTHS_BY_END = _lengths_by(ALIASES, slice(-_PIECE, None))
# The lengths of the aliases each alias ends with (its own first): all that end where it does.
_ENDINGS = {
    alias: tuple(len(other) for other in group if alias.endswith(other))
    for group in _grouped(ALIASES, slice(-_PIECE, None)).values()
    for alias in group
}


def _glued_label(line: str) -> tuple[str, str] | None:
    """The longest alias the line starts with and the rest of the line, which holds a line
    break only at its end (as `^(?:alias|...)(.*)$` reads a line)."""
    group = _BY_START.get(line[:_PIECE])
    if group is None:
        return None
    size, lengths = group
    for length in lengths.get(line[:size], ()):
        label = line[:length]
        if label in _ALIAS_SET:
            value, _, after_break = line[length:].partition("\n")
            return None if after_break else (label, value)
    return None


def _inline_spans(line: str) -> list[tuple[int, int, int]]:
    """Known labels followed by a colon on a line (one-line mirrors hold several), as a regex
    finds them (left to right, not overlapping): (start, end, after the colon) of each. A label
    does not follow a letter, digit, `_` or `-`; spaces may come before its colon."""
    found: list[tuple[int, int, int]] = []  # every such label, found from each colon back
    colon = line.find(":")
    while colon >= 0:
        end = colon
        while end and line[end - 1].isspace():
            end -= 1
        longest = line[:end]  # the commonest: a line that starts with its label
        if longest not in _ALIAS_SET:
            longest = ""
            piece = line[end - _PIECE : end]  # shorter than any key when end < 3
            for length in _LENGTHS_BY_END.get(piece, ()):
                if length < end and line[end - length : end] in _ALIAS_SET:
                    longest = line[end - length : end]
                    break
        for length in _ENDINGS.get(longest, ()):
            start = end - length
            before = line[start - 1 : start]  # "" at the start of the line
            if not before.isalnum() and before not in _HYPHEN_OR_UNDERSCORE:
                found.append((start, end, colon + 1))
        colon = line.find(":", colon + 1)
    if len(found) < 2:
        return found
    spans: list[tuple[int, int, int]] = []
    for span in sorted(found, key=_leftmost_longest):
        if not spans or span[0] >= spans[-1][2]:
            spans.append(span)
    return spans


def _leftmost_longest(span: tuple[int, int, int]) -> tuple[int, int]:
    """The order a regex tries labels in: by where they start, the longest first."""
    return span[0], -span[1]


# An unknown glued label: words up to a lower-case letter directly followed by a capital/digit.
_CAMEL = re.compile(r"^[A-ZÅÄÖ][\wåäöé]*(?:[ -][\wåäöÅÄÖé]+){0,3}?(?<=[a-zåäöé])(?=[A-ZÅÄÖ0-9])")
# Something shaped like a label: a capitalised phrase of a few words, no sentence punctuation.
_LABEL_SHAPE = re.compile(r"^[A-ZÅÄÖ][\wåäöÅÄÖé.\-+/&() ]{0,39}$")
# Inside a block, a line ending in a colon between a value and the next label is a label even
# when longer (`Sekundärtema – Motverka barnfattigdom och social utestängning:`).
# (Compiled on first use: few pages have such a line.)
_LONG_LABEL_SHAPE = r"^[A-ZÅÄÖ][\wåäöÅÄÖé.,\-–+/&() ]{0,79}$"
_COLON_LABEL = re.compile(r"^(?P<label>[^:\t]{1,40}?)\s*:(?:\s+(?P<value>.*))?$")
_MIRROR_SEPARATORS = " \t|;,·•"
_BULLETS = "•·▪●◦‣"  # fact lists marked up as <li> carry a bullet before the label
_LEADING_BULLET = re.compile(f"^[{_BULLETS}]\\s*")
_SPACES = " \u00a0"
# No-break and thin spaces become spaces, soft hyphens and zero-width characters go: labels
# written `Beviljat&nbsp;ESF-stöd` are the same labels (values are cleaned the same way later).
_PLAIN_SPACES = str.maketrans(
    {
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u00ad": None,
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
    }
)
_ODD_SPACES = re.compile("[\u00a0\u202f\u2009\u00ad\u200b\u200c\u200d\u2060]")
_MAX_FIELD_LINE = 600  # a one-line mirror of a whole field block fits
_MAX_UNKNOWN_VALUE = 80
_MAX_LABEL_WORDS = 5
_MAX_COLON_LABEL_WORDS = 10


def _plain(line: str) -> str:
    """The line with plain spaces (translating only lines that need it: translate is slow)."""
    if len(line) > _MAX_FIELD_LINE or not _ODD_SPACES.search(line):
        return line  # long lines are free text, never a label
    return line.translate(_PLAIN_SPACES)


def _unbulleted(line: str) -> str:
    """The line without a leading bullet (the regex only for lines that start with one)."""
    return _LEADING_BULLET.sub("", line) if line[:1] in _BULLETS else line


def _label_shaped(text: str) -> bool:
    return bool(_LABEL_SHAPE.match(text)) and len(text.split()) <= _MAX_LABEL_WORDS


def _colon_label_shaped(line: str) -> bool:
    """A `Label:` line inside a block, allowed to be longer than a bare label."""
    if not line.endswith(":"):
        return False
    text = line[:-1].rstrip()
    return bool(re.match(_LONG_LABEL_SHAPE, text)) and len(text.split()) <= _MAX_COLON_LABEL_WORDS


def _is_heading(line: str) -> bool:
    key = label_key(line)
    return key in SECTION_HEADINGS or key in LIST_HEADINGS or key == "in english"


def _clean_mirror_value(value: str, last: bool) -> str:
    value = value.strip().rstrip(_MIRROR_SEPARATORS)
    if not last:  # `Region: Sydsverige. Projektfas: ...`: the dot separates the pairs
        value = value.rstrip(".").rstrip(_MIRROR_SEPARATORS)
    return value


def _inline_pairs(line: str) -> tuple[str | None, list[_Found]] | None:
    """Known `Label:` occurrences on one line: (lead text, pairs), or None if not a label line."""
    if ":" not in line:
        return None
    spans = _inline_spans(line)
    if not spans:
        return None
    first = spans[0][0]  # most label lines start with their label: no lead text
    lead = (line[:first].strip().rstrip(_MIRROR_SEPARATORS) or None) if first else None
    if lead is not None and len(spans) < 2:
        return None  # one label word inside a sentence: text, not a label
    found: list[_Found] = []
    for index, (start, end, after) in enumerate(spans):
        last = index + 1 == len(spans)
        value = _clean_mirror_value(line[after : len(line) if last else spans[index + 1][0]], last)
        only = len(spans) == 1
        found.append(_Found(line[start:end], value if value or not only else None, True))
    return lead, found


def _separated(line: str) -> tuple[str | None, list[_Found]] | None:
    """Every label form but the glued one."""
    inline = _inline_pairs(line)
    if inline is not None:
        return inline
    if "\t" in line:
        label, _, value = line.partition("\t")
        label = label.strip().rstrip(":").strip()
        if label_key(label) in LABELS:
            return None, [_Found(label, value.strip(), True)]
        if _label_shaped(label) and not _is_heading(label):
            return None, [_Found(label, value.strip(), False)]
        return None
    if label_key(line) in LABELS:
        return None, [_Found(line.rstrip(":").strip(), None, True)]
    colon = _COLON_LABEL.match(line)
    if colon and _label_shaped(colon["label"]) and not _is_heading(colon["label"]):
        value = colon["value"]
        if value is None or len(value) <= _MAX_UNKNOWN_VALUE:
            return None, [_Found(colon["label"].strip(), value, False)]
    return None


@functools.lru_cache(maxsize=1024)
def _glued(line: str) -> _Found | None:
    """A label at the start of a 2007 field line, its value glued on (or after one space).

    Cached: looking for a block start asks it about each line up to five times."""
    glued = _glued_label(line)
    if glued is not None:
        label, value = glued[0], glued[1].lstrip(_SPACES)
        if not value:
            return _Found(label, None, True)
        first = value[0]  # a lower-case value glued on is a word going on, or an address
        if first not in ":\t" and (
            not first.islower() or LABELS[label_key(label)] == "contact_email"
        ):
            return _Found(label, value.strip(), True)
    camel = _CAMEL.match(line)
    if camel is not None and not _is_heading(line):
        return _Found(camel.group(), line[camel.end() :].strip(), False)
    return None


def _classify(line: str, glued: bool) -> tuple[str | None, list[_Found]] | None:
    if glued:
        found = _glued(line)
        return None if found is None else (None, [found])
    return _separated(line)


def _known_glued(line: str, *, tight: bool) -> bool:
    """A known glued label with a value; `tight`: glued with no space between (2007 markup)."""
    found = _glued(line)
    if found is None or not found.known or found.value is None:
        return False
    return not tight or line[len(found.label)] not in _SPACES


def _glued_start(lines: Sequence[str], index: int) -> int | None:
    """Where a glued block starts at `index`: two tightly glued labels close together, or a run
    of three labels each followed by a space (markup with whitespace between label and value).
    A first line whose label comes again in the run is a title such as `Region Skånes …`; so is
    a first line with a space after its label when the labels after it are tightly glued
    (`Projektstart Norr` above `ProgramområdeProgramområde 2 …`): markup glues them all alike."""
    near = lines[index + 1 : index + 3]
    tight = _known_glued(lines[index], tight=True) and any(
        _known_glued(line, tight=True) for line in near
    )
    run = lines[index : index + 3]
    spaced = len(run) == 3 and all(_known_glued(line, tight=False) for line in run)
    if not tight and not spaced:
        return None
    if not tight and _known_glued(run[1], tight=True):
        return None  # a title: the block starts on the next line
    first = _glued(lines[index])
    later = (_glued(line) for line in lines[index + 1 : index + 12])
    labels = {label_key(found.label) for found in later if found is not None}
    repeated = first is not None and label_key(first.label) in labels
    return index + 1 if repeated else index


def _block_start(lines: Sequence[str]) -> tuple[int, bool] | None:
    """Where the field block starts and whether its labels are glued to their values."""
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        separated = _separated(line)
        if separated is not None and separated[1][0].known:
            found = separated[1][0]
            if found.value is not None or line.rstrip().endswith(":"):
                return index, False
            # A bare known word (`Region`): a label only if another label follows its value
            # (known, or label-shaped and followed by a value and a known label in turn).
            after, later = (lines[i] if i < len(lines) else "" for i in (index + 2, index + 4))
            if _separated(following) is None and (
                label_key(after) in LABELS or (_label_shaped(after) and label_key(later) in LABELS)
            ):
                return index, False
        glued_start = _glued_start(lines, index)
        if glued_start is not None:
            return glued_start, True
    return None


def _unknown_label_line(line: str, after: str) -> bool:
    """An unknown label (value on the next line) inside a block: the line after its value is a
    label again. With a colon even a heading word (`Kommun:`) is a label there, not a heading."""
    colon = line.endswith(":")
    shaped = _label_shaped(line.rstrip(":").rstrip()) or _colon_label_shaped(line)
    if not shaped or (_is_heading(line) and not colon):
        return False
    return label_key(after) in LABELS or _colon_label_shaped(after)


def _is_known_label(line: str) -> bool:
    separated = _separated(line)
    return separated is not None and separated[0] is None and separated[1][0].known


def _colon_label_follows(lines: Sequence[str], index: int) -> bool:
    """Whether the line after `index` is a known `Label:` line (so `index` holds no new label)."""
    if index + 1 >= len(lines) or len(lines[index]) > _MAX_UNKNOWN_VALUE:
        return False
    inline = _inline_pairs(lines[index + 1])
    return inline is not None and inline[0] is None


def extract_fields(lines: Sequence[str]) -> FieldBlock:
    """Read the field block of a page's visible lines (empty block when there is none)."""
    lines = [_unbulleted(_plain(line)) for line in lines]
    located = _block_start(lines)
    if located is None:
        return FieldBlock((), (), 0, 0, glued=False)
    start, glued = located
    pairs: list[LabelValue] = []
    unknown: list[str] = []
    lead: str | None = None
    index = start
    count = len(lines)
    while index < count:
        line = lines[index]
        if glued and _is_heading(line):
            break
        classified = _classify(line, glued)
        if classified is None:
            after = lines[index + 2] if index + 2 < count else ""
            if not glued and _unknown_label_line(line, after):
                unknown.append(line.rstrip(":").rstrip())
                index += 2
                continue
            if not glued and pairs and pairs[-1].value and _colon_label_follows(lines, index):
                last = pairs[-1]  # a value wrapped onto a second line
                pairs[-1] = LabelValue(last.label, last.field, f"{last.value} {line}")
                index += 1
                continue
            break
        line_lead, found = classified
        if index == start:
            lead = line_lead
        for item in found:
            value = item.value
            if value is None and glued:
                value = ""  # a glued label's value is on its own line or nowhere
            if value is None:
                if index + 1 < count and not _is_known_label(lines[index + 1]):
                    value = lines[index + 1]  # a title such as `Jobbresan: ett helhetsgrepp` too
                    index += 1
                else:
                    value = ""
            if item.known:
                pairs.append(LabelValue(item.label, LABELS[label_key(item.label)], value))
            else:
                unknown.append(item.label)
        index += 1
    return FieldBlock(tuple(pairs), tuple(unknown), start, index, glued, lead)
