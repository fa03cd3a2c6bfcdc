"""Words for full-text search: one tokeniser, one stop-word list, one query syntax, one snippet
maker, shared by both backends so the same query finds the same pages on SQLite and PostgreSQL.

Python splits text into words (runs of letters and digits), lower-cases them, drops
PostgreSQL's Swedish stop words and stems them with the Snowball Swedish algorithm, which
PostgreSQL's `swedish` text-search configuration uses too: SQLite's FTS5 index holds those
stems, PostgreSQL's tsvectors (load/tsvector.py) and tsqueries are made of them. Stop words are
dropped before either index sees the text, so a phrase counts word positions alike on both. å, ä
and ö stay letters of their own.
"""

from __future__ import annotations

import codecs
import functools
import itertools
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import snowballstemmer

_WORD = re.compile(r"[^\W_]+")
# Longer "words" are no words (a hash, a run of letters): both sides skip them alike.
MAX_WORD_CHARS = 80
_STEMS_KEPT = 262_144  # distinct words whose stems are kept (about a corpus' vocabulary)
MAX_QUERY_CHARS = 500
MAX_QUERY_TERMS = 32
QUOTES = str.maketrans({"”": '"', "“": '"', "„": '"'})
# Matched words in a snippet.
MARK_OPEN, MARK_CLOSE = "[", "]"
_SNIPPET_WORDS = 30
_SNIPPET_BEFORE = 8

# PostgreSQL's swedish.stop (tsearch_data), the Snowball project's Swedish stop-word list: a test
# holds this equal to what the server drops.
STOP_WORDS = frozenset(
    """
    och det att i en jag hon som han på den med var sig för så till är men ett om hade de av
    icke mig du henne då sin nu har inte hans honom skulle hennes där min man ej vid kunde något
    från ut när efter upp vi dem vara vad över än dig kan sina här ha mot alla under någon eller
    allt mycket sedan ju denna själv detta åt utan varit hur ingen mitt ni bli blev oss din dessa
    några deras blir mina samma vilken er sådan vår blivit dess inom mellan sådant varför varje
    vilka ditt vem vilket sitta sådana vart dina vars vårt våra ert era vilkas
    """.split()  # noqa: SIM905 (a list of 114 words reads better as words)
)

# A Snowball stemmer keeps the word it works on in itself: one per thread (`esfbank serve`
# stems queries in Datasette's SQL threads, a load its pages in the planner thread).
_STEMMERS = threading.local()


# Latin-1 code points that are no part of a word (`_WORD`'s complement, which is `str.isalnum`'s)
# as spaces, the rest as they are: a byte table, so a Latin-1 text (as nearly all Swedish text is)
# splits into words in C at a few instructions a character. `_WORD` scanned it at some three
# hundred (a character class of Unicode categories, tried at every position).
_LATIN1_WORDS = bytes(b if chr(b).isalnum() else 0x20 for b in range(256))
# The same with each letter lower-cased, for text not yet normalised: Latin-1 text is its own
# NFC form (its characters are composed, and none is a combining mark or composes with its
# neighbour), and each of its characters lower-cases to one Latin-1 character, a letter or
# digit as it was. One pass in C then does what NFC, lower-casing and the split did in three.
_LATIN1_LOWER_WORDS = bytes(ord(chr(b).lower()) if chr(b).isalnum() else 0x20 for b in range(256))


class SearchQueryError(ValueError):
    """A query that cannot be searched: empty of words, an unbalanced quote, too long."""


def _keep(word: str) -> bool:
    return len(word) <= MAX_WORD_CHARS and word not in STOP_WORDS


def _split(text: str) -> list[str]:
    """The words of `text` (normalised and lower-cased), in order: runs of letters and digits."""
    try:
        latin1 = text.encode("latin-1")
    except UnicodeEncodeError:  # beyond Latin-1 (a Greek letter, a typographic dash)
        return _WORD.findall(text)
    # Every character that is no word's is a space now, and no word's character is one.
    return latin1.translate(_LATIN1_WORDS).decode("latin-1").split()


def _normal_words(text: str) -> list[str]:
    """The words of `text` once NFC-normalised and lower-cased, in order (`_split`)."""
    try:
        latin1 = text.encode("latin-1", errors=_SPACE_OUTSIDE_WORDS)
    except UnicodeEncodeError:  # lower-cased, it may be Latin-1 (`Ÿ`), or normalised (`e\u0301`)
        return _split(unicodedata.normalize("NFC", text).lower())
    return latin1.translate(_LATIN1_LOWER_WORDS).decode("latin-1").split()


def _space_outside_words(error: UnicodeError) -> tuple[str, int]:
    """Encoding to Latin-1, a character beyond it that is no part of a word and that neither
    normalisation nor lower-casing could make one (a bullet, a dash, a curly quote: `•`, `–`,
    `”`, which four pages in ten have) becomes a space, as the split would make it; any other
    (a letter, a digit, a combining mark) fails the encoding, for the slow path."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    found = error.object[error.start : error.end]
    if any(c.isalnum() or unicodedata.combining(c) or not _is_normal(c) for c in found):
        raise error
    return " " * len(found), error.end


@functools.lru_cache(maxsize=256)
def _is_normal(character: str) -> bool:
    return unicodedata.is_normalized("NFC", character)


_SPACE_OUTSIDE_WORDS = "esfbank-space-outside-words"
codecs.register_error(_SPACE_OUTSIDE_WORDS, _space_outside_words)


def words(text: str | None) -> list[str]:
    """The searchable words of `text`, lower-cased, in order, stop words left out."""
    if not text:
        return []
    found = _normal_words(text)
    # Filtered in C (the load indexes every page it writes); over-long words are rare.
    kept = list(itertools.filterfalse(STOP_WORDS.__contains__, found))
    if kept and max(map(len, kept)) > MAX_WORD_CHARS:
        kept = [w for w in kept if len(w) <= MAX_WORD_CHARS]
    return kept


def _is_own_stem(word: str) -> bool:
    """Whether a word is kept as it is: it has a digit (PostgreSQL files such words under its
    `simple` dictionary). isalpha and isdigit (a number, as every page has some): quick, in C."""
    return not word.isalpha() and (word.isdigit() or any(c.isdigit() for c in word))


@functools.lru_cache(maxsize=_STEMS_KEPT)
def stem(word: str) -> str:
    """The Snowball Swedish stem of a lower-cased word; words with digits are kept as they are
    (`_is_own_stem`)."""
    if _is_own_stem(word):
        return word
    stemmer = getattr(_STEMMERS, "swedish", None)
    if stemmer is None:
        stemmer = _STEMMERS.swedish = snowballstemmer.stemmer("swedish")
    result: str = stemmer.stemWord(word)
    return result


@dataclass(frozen=True, slots=True)
class Document:
    """What the index holds of a page: its title's words and the rest's (owner, sections, body)."""

    title: tuple[str, ...]
    body: tuple[str, ...]

    def stems(self) -> str:
        """The stemmed words, space-separated, title first (SQLite's FTS5 column)."""
        return " ".join(map(stem, itertools.chain(self.title, self.body)))


def document(title: str | None, texts: Iterable[str | None]) -> Document:
    # The texts are split as one: a line break ends a word and changes neither the
    # normalisation nor the lower-casing of its neighbours (it is no letter, cased or not).
    return Document(tuple(words(title)), tuple(words("\n".join(filter(None, texts)))))


class _IndexStems(dict[str, str | None]):
    """Lower-cased word → its stem, or None for a word left out of the index (a stop word, an
    over-long one): `words` and `stem` in one look-up made in C for a word met before, as a
    load stems every page it writes. Pure, so never stale; emptied when it grows as large as
    `stem`'s own cache."""

    def __missing__(self, word: str) -> str | None:
        if len(self) >= _STEMS_KEPT:
            self.clear()
        kept = len(word) <= MAX_WORD_CHARS and word not in STOP_WORDS
        if kept and _is_own_stem(word):  # as `stem` keeps it; pages have many numbers of
            found: str | None = word  # their own, which would only crowd stem's cache
        else:
            found = stem(word) if kept else None
        self[word] = found
        return found


_INDEX_STEMS = _IndexStems()


def stemmed(texts: Iterable[str | None]) -> str:
    """The stems of the texts' words, space-separated, in order: `document(first, rest).stems()`
    without keeping title and body apart, for SQLite's FTS5 column of every page a load writes.
    (A stem is never empty: Snowball removes no suffix within a word's first three letters.)"""
    text = "\n".join(filter(None, texts))
    found = _normal_words(text)
    return " ".join(filter(None, map(_INDEX_STEMS.__getitem__, found)))


def project_texts(owner: str | None, sections: Mapping[str, str] | None) -> list[str | None]:
    """A project's searchable text besides its title: owner, then every free-text section."""
    return [owner, *(sections or {}).values()]


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: every term must match; a term of several words is a phrase."""

    terms: tuple[tuple[str, ...], ...]

    def stems(self) -> frozenset[str]:
        return frozenset(stem(w) for term in self.terms for w in term)

    def fts5(self) -> str:
        """The FTS5 MATCH expression: each term a quoted phrase of stems, all ANDed. Stems are
        letters and digits only, so nothing of the user's text reaches FTS5's syntax."""
        return " AND ".join('"' + " ".join(stem(w) for w in term) + '"' for term in self.terms)

    def tsquery(self) -> str:
        """PostgreSQL's tsquery: each term its stems in a row (`<->`), all ANDed; what
        phraseto_tsquery('swedish') makes of each term's words, from the stems the index holds.
        Stems are letters and digits only, so nothing of the user's text reaches its syntax."""
        phrases = (" <-> ".join(f"'{stem(w)}'" for w in term) for term in self.terms)
        return " & ".join(f"({phrase})" for phrase in phrases)


def parse_query(text: str) -> Query:
    """Words mean all of them; "quoted words" a phrase. Raises SearchQueryError."""
    if len(text) > MAX_QUERY_CHARS:
        raise SearchQueryError(
            f"query is {len(text)} characters long; at most {MAX_QUERY_CHARS} are searched"
        )
    parts = text.translate(QUOTES).split('"')
    if len(parts) % 2 == 0:
        raise SearchQueryError(f'unbalanced quote in query {text!r}: close the phrase with "')
    terms: list[tuple[str, ...]] = []
    for index, part in enumerate(parts):
        found = words(part)
        if index % 2:  # inside quotes
            terms += [tuple(found)] if found else []
        else:
            terms += [(w,) for w in found]
    terms = list(dict.fromkeys(terms))
    if not terms:
        raise SearchQueryError(
            f"query {text!r} has no words to search for (only stop words or punctuation)"
        )
    if len(terms) > MAX_QUERY_TERMS:
        raise SearchQueryError(f"query has {len(terms)} terms; at most {MAX_QUERY_TERMS}")
    return Query(tuple(terms))


def snippet(texts: Sequence[str | None], stems: frozenset[str]) -> str:
    """A stretch of text around the query's words, matched words marked [so]: the stretch
    holding the most different query words, the first of equals; the title (texts[0], shown
    beside the snippet anyway) only when nothing else matches."""
    # A Swedish stem is a prefix of its word: a regular expression finds the candidates, so
    # only they are stemmed, not every word of a long text.
    alternatives = "|".join(sorted(map(re.escape, stems), key=len, reverse=True))
    candidates = re.compile(rf"(?<![^\W_])(?:{alternatives})[^\W_]*", re.IGNORECASE)
    best: tuple[int, str, list[re.Match[str]], list[int], int] | None = None
    for text in (t for t in (*texts[1:], texts[0]) if t):
        normal = unicodedata.normalize("NFC", " ".join(text.split()))
        found = {
            m.start(): stem(w)
            for m in candidates.finditer(normal)
            if _keep(w := m.group().lower()) and stem(w) in stems
        }
        if not found:
            continue
        tokens = list(_WORD.finditer(normal))
        hits = [i for i, m in enumerate(tokens) if m.start() in found]
        for anchor in hits:
            first = max(anchor - _SNIPPET_BEFORE, 0)
            within = {found[tokens[i].start()] for i in hits if first <= i < first + _SNIPPET_WORDS}
            if best is None or len(within) > best[0]:
                best = (len(within), normal, tokens, hits, first)
        if best is not None and best[0] == len(stems):
            break
    if best is None:
        return ""
    _, normal, tokens, hits, first = best
    last = min(first + _SNIPPET_WORDS, len(tokens)) - 1
    start = 0 if first == 0 else tokens[first].start()
    end = len(normal) if last == len(tokens) - 1 else tokens[last].end()
    pieces, at = [], start
    for i in (h for h in hits if first <= h <= last):
        m = tokens[i]
        pieces += [normal[at : m.start()], MARK_OPEN, m.group(), MARK_CLOSE]
        at = m.end()
    pieces.append(normal[at:end])
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(normal) else ""
    return prefix + "".join(pieces) + suffix
