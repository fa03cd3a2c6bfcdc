"""The words search sees: Swedish stems, stop words, the query syntax and snippets (no database)."""

from __future__ import annotations

import re
import sys
import threading
import unicodedata

import pytest
import snowballstemmer
from hypothesis import given, settings
from hypothesis import strategies as st

from load import search_text
from load.search_text import (
    MAX_QUERY_CHARS,
    SearchQueryError,
    document,
    parse_query,
    snippet,
    stem,
    stemmed,
    words,
)
from tests.research_db import golden_records


@pytest.mark.parametrize(
    ("word", "inflection"),
    [
        ("sjuksköterska", "sjuksköterskor"),
        ("arbetslösa", "arbetslös"),
        ("ungdom", "ungdomar"),
        ("kvinna", "kvinnor"),
    ],
)
def test_an_inflection_has_the_same_stem(word: str, inflection: str) -> None:
    assert stem(word) == stem(inflection)


def test_a_o_with_rings_and_dots_are_letters_of_their_own() -> None:
    assert stem("bår") != stem("bar")
    assert words("Bår, BAR och bär") == ["bår", "bar", "bär"]


def test_words_are_lower_cased_without_stop_words_and_split_at_hyphens() -> None:
    assert words("Det är ESF-rådet som beviljar stöd till 12 projekt") == [
        "esf",
        "rådet",
        "beviljar",
        "stöd",
        "12",
        "projekt",
    ]


def test_words_with_digits_are_not_stemmed() -> None:
    assert stem("2019") == "2019"
    assert stem("covid19") == "covid19"


def test_a_document_keeps_title_and_the_rest_apart() -> None:
    doc = document("Kvinnor i arbete", ["Projektägare AB", None, "Sjuksköterskor utbildas."])
    assert doc.title == ("kvinnor", "arbete")
    assert doc.body == ("projektägare", "ab", "sjuksköterskor", "utbildas")
    assert doc.stems().split()[0] == stem("kvinnor")


def test_words_mean_all_of_them_and_quotes_a_phrase() -> None:
    query = parse_query('sjuksköterska "utrikes födda  kvinnor" Malmö')
    assert query.terms == (("sjuksköterska",), ("utrikes", "födda", "kvinnor"), ("malmö",))
    assert query.fts5() == (
        f'"{stem("sjuksköterska")}" AND "{stem("utrikes")} {stem("födda")} {stem("kvinnor")}"'
        f' AND "{stem("malmö")}"'
    )
    assert query.tsquery() == (
        f"('{stem('sjuksköterska')}') & ('{stem('utrikes')}' <-> '{stem('födda')}'"
        f" <-> '{stem('kvinnor')}') & ('{stem('malmö')}')"
    )


def test_swedish_quotation_marks_make_a_phrase_too() -> None:
    assert parse_query("”utrikes födda”").terms == (("utrikes", "födda"),)


def test_sql_in_a_query_is_only_words() -> None:
    query = parse_query("'; drop table projects; --")
    assert query.terms == (("drop",), ("table",), ("projects",))
    assert query.fts5() == " AND ".join(f'"{stem(w)}"' for w in ("drop", "table", "projects"))


def test_fts5_operators_in_a_query_are_words() -> None:
    assert parse_query("NEAR OR NOT*").fts5() == " AND ".join(
        f'"{stem(w)}"' for w in ("near", "or", "not")
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("och det att", "no words to search for"),
        ("!!! ... ---", "no words to search for"),
        ('""', "no words to search for"),
        ('"utrikes födda', "unbalanced quote"),
        ("a" * 10_000, f"at most {MAX_QUERY_CHARS}"),
    ],
)
def test_bad_queries_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(SearchQueryError, match=message):
        parse_query(text)


def test_the_snippet_marks_the_matched_inflections() -> None:
    stems = parse_query("sjuksköterska").stems()
    text = "Projektet utbildar sjuksköterskor. En sjuksköterska har ansvar."
    assert snippet(["Titel", text], stems) == (
        "Projektet utbildar [sjuksköterskor]. En [sjuksköterska] har ansvar."
    )


def test_a_long_text_is_cut_around_the_first_match() -> None:
    text = " ".join(f"ord{i}" for i in range(100)) + " arbetslösa " + "slut " * 50
    cut = snippet([None, text], parse_query("arbetslös").stems())
    assert cut.startswith("…ord92 ")
    assert "[arbetslösa]" in cut
    assert cut.endswith("…")


def test_the_title_is_the_snippet_when_nothing_else_matches() -> None:
    stems = parse_query("kvinnor").stems()
    assert snippet(["Kvinnor i arbete", "Ingenting här."], stems) == "[Kvinnor] i arbete"


def test_the_snippet_is_the_stretch_with_the_most_query_words() -> None:
    text = "Ungdomar här. " + "fyll " * 60 + "Arbetslösa ungdomar där."
    cut = snippet([None, text], parse_query("arbetslös ungdom").stems())
    assert "[Arbetslösa] [ungdomar] där." in cut
    assert not cut.startswith("[Ungdomar]")


def test_a_stem_is_a_prefix_of_its_word() -> None:
    """What the snippet's search for candidate words relies on, over the golden pages' words."""
    vocabulary = {
        w
        for record in golden_records()
        for text in (getattr(record, "title", None), *getattr(record, "sections", {}).values())
        for w in words(text)
    }
    assert len(vocabulary) > 1000
    assert [w for w in vocabulary if not w.startswith(stem(w))] == []


def test_texts_split_as_one_give_the_words_of_each_in_turn() -> None:
    """`document` and `stemmed` split a page's texts joined by line breaks (one pass, for the
    load's speed): the same words as splitting each text alone, over the golden pages and
    texts whose edges a join could blur (combining marks, final sigma, a word across texts)."""
    pages = [
        [getattr(r, "title", None), getattr(r, "owner", None), *getattr(r, "sections", {}).values()]
        for r in golden_records()
    ]
    pages += [
        ["ΟΔΟΣ", "Σ och e", "\u0301e", None, "", "ab", "cd"],
        ["Ca\u0300", "\u0300fé", "ÅÄÖ kvinnor"],
        ["x" * 81, "stöd " + "y" * 80, "Det är ESF-rådet"],
    ]
    for title, *texts in pages:
        alone = tuple(w for text in texts for w in words(text))
        doc = document(title, texts)
        assert doc.body == alone
        assert doc.title == tuple(words(title))
        assert stemmed([title, *texts]) == " ".join(map(stem, (*words(title), *alone)))


def test_the_index_stems_stay_right_when_their_table_is_emptied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The load's word → stem table is emptied when full: stems made after are the same."""
    texts = ["Arbetslösa ungdomar och kvinnor", "ungdomar i arbete, kvinnor i stöd", "x" * 81]
    expected = stemmed(texts)
    monkeypatch.setattr("load.search_text._STEMS_KEPT", 2)
    monkeypatch.setattr("load.search_text._INDEX_STEMS", type(search_text._INDEX_STEMS)())
    assert stemmed(texts) == expected == " ".join(map(stem, words("\n".join(texts[:2]))))
    assert len(search_text._INDEX_STEMS) <= 2


def test_words_are_the_runs_of_letters_and_digits_within_latin1_and_beyond() -> None:
    """Latin-1 text is split by a byte table, other text by the regular expression: both give
    the runs of characters that are letters or digits (`[^\\W_]+`) for every character, such
    as `ª`, `²`, `½`, `µ`, `×` and `_`, next to words and next to characters beyond Latin-1;
    lower-cased and normalised alike, whether the text is Latin-1 before that (upper case) or
    only after (`Ÿ`, an accent as a combining mark)."""
    reference = re.compile(r"[^\W_]+")
    every = "".join(f"a{chr(c)}b " for c in range(256))
    texts = (every, every.upper(), every + "Ωmega – ÅÄÖ", "Ωmega – " + every, "ŸR CAFE\u0301S")
    for text in texts:
        normal = unicodedata.normalize("NFC", text).lower()
        expected = [
            w
            for w in reference.findall(normal)
            if len(w) <= search_text.MAX_WORD_CHARS and w not in search_text.STOP_WORDS
        ]
        assert words(text) == expected
        assert stemmed([text]) == " ".join(map(stem, expected))


# Latin-1, and beyond it: punctuation (the fast path's spaces), letters and digits, marks
# that combine (the slow path's), and characters normalisation or lower-casing would change.
_BEYOND_LATIN1 = "•–—”“’…€™\u2126\u212b\u0301\u0308\u0bc6\u0bbe\u037e\u0387ŸΩσςİﬁ①Ⅳ"


@settings(max_examples=300)
@given(st.text(st.sampled_from([*map(chr, range(256)), *_BEYOND_LATIN1]), max_size=40))
def test_words_of_any_text_are_the_runs_of_letters_and_digits_once_normalised(text: str) -> None:
    """The fast path turns characters beyond Latin-1 that are no word's into spaces: the words
    must be those of the text normalised, lower-cased and split by the regular expression."""
    normal = unicodedata.normalize("NFC", text).lower()
    expected = [
        w
        for w in re.findall(r"[^\W_]+", normal)
        if len(w) <= search_text.MAX_WORD_CHARS and w not in search_text.STOP_WORDS
    ]
    assert words(text) == expected


def test_threads_stemming_at_once_get_each_word_its_own_stem() -> None:
    """`esfbank serve` stems queries in several SQL threads, a load its pages in the planner
    thread: one Snowball stemmer shared by all gave words each other's stems, or crashed."""
    endings = ("arna", "ernas", "ande", "heten", "ligt", "ningar", "orna", "ens")
    bases = ("arbets", "projekt", "kommun", "region", "utbildning", "förening", "samverkan")
    batches = [
        [f"{base}{ending}{'x' * n}" for base in bases for ending in endings for n in range(4)]
        for _ in range(4)
    ]
    for n, batch in enumerate(batches):  # words no thread has stemmed (nor `stem` cached)
        batch[:] = [f"{word}{'y' * (n + 1)}" for word in batch]
    alone = snowballstemmer.stemmer("swedish")
    expected = [[alone.stemWord(word) for word in batch] for batch in batches]
    got: list[list[str] | BaseException] = [[] for _ in batches]

    def work(n: int) -> None:
        try:
            got[n] = [stem(word) for word in batches[n]]
        except Exception as exc:  # the shared stemmer's index errors
            got[n] = exc

    stem.cache_clear()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns within a word
    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(len(batches))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert got == expected
