"""Label extraction: every label shape of the site through one reader, nothing silently lost."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from parsers import labels
from parsers.html_text import visible_text
from parsers.labels import FieldBlock, extract_fields
from parsers.snapshot import read_snapshot
from parsers.vocabulary import ALIASES

GOLDEN = Path(__file__).parent / "fixtures" / "golden"


def pairs(block: FieldBlock) -> list[tuple[str | None, str]]:
    return [(p.field, p.value) for p in block.pairs]


def test_glued_2007_labels_split_at_the_label_and_stop_at_in_english() -> None:
    block = extract_fields(
        [
            "Logotyp på utskrifter",
            "Visioncenter",
            "ProgramområdeProgramområde 2 Ökat arbetskraftsutbud",
            "E-postjohanna.forssell@mjolby.se",
            "Beviljat ESF-stöd221\u00a0114 kr",
            "Telefonnummer",
            "RegionÖstra Mellansverige",
            "In English",
            "Sammanfattning",
        ]
    )
    assert block.glued
    assert (block.start, block.end) == (2, 7)
    assert pairs(block) == [
        ("programme_area", "Programområde 2 Ökat arbetskraftsutbud"),
        ("contact_email", "johanna.forssell@mjolby.se"),
        ("granted_esf_sek", "221 114 kr"),
        ("contact_phone", ""),
        ("region", "Östra Mellansverige"),
    ]


def test_a_word_that_starts_with_a_label_is_not_split() -> None:
    block = extract_fields(
        ["Titel", "ProjektfasGenomförande", "RegionSydsverige", "Regionen växer"]
    )
    assert pairs(block) == [("phase", "Genomförande"), ("region", "Sydsverige")]
    assert block.unknown_labels == ()


def test_label_colon_then_value_on_the_next_line_and_empty_labels_take_nothing() -> None:
    block = extract_fields(
        [
            "2015/00646 - Ung i Gävleborg",
            "Stödmottagare postnr:",
            "80187",
            "Stödmottagarens address:",
            "Programområde:",
            "3",
            "Syftet med projektet är att rusta fler unga för dagens arbetsmarknad.",
        ]
    )
    assert pairs(block) == [("owner_postal_code", "80187"), (None, ""), ("programme_area", "3")]
    assert block.end == 6


def test_old_layout_without_colons_and_tab_separated_cells() -> None:
    old = extract_fields(
        ["Värmlands framtid", "Region", "Norra Mellansverige", "Utlysning", "2015/00348"]
    )
    assert pairs(old) == [("region", "Norra Mellansverige"), ("call_number", "2015/00348")]
    table = extract_fields(["Titel", "Region:\tStockholm", "Fond\tESF+"])
    assert pairs(table) == [("region", "Stockholm"), ("fund", "ESF+")]


def test_one_line_mirror_with_several_pairs_and_its_lead_text() -> None:
    block = extract_fields(
        [
            "Visioncenter Projektägare: Omsorgs- och socialförvaltningen | "
            "Beviljat ESF-stöd: 221 114 kr. Region: Östra Mellansverige."
        ]
    )
    assert block.lead == "Visioncenter"
    assert pairs(block) == [
        ("owner", "Omsorgs- och socialförvaltningen"),
        ("granted_esf_sek", "221 114 kr"),
        ("region", "Östra Mellansverige."),
    ]


def test_unknown_labels_of_every_shape_are_reported_not_dropped() -> None:
    colon = extract_fields(
        ["T", "Namn:", "X", "Projektets webbplats:", "www.example.se", "Region:", "Stockholm"]
    )
    assert colon.unknown_labels == ("Projektets webbplats",)
    assert pairs(colon) == [("title", "X"), ("region", "Stockholm")]
    colonless = extract_fields(
        ["T", "Region", "Stockholm", "Antal platser", "12", "Projektfas", "Genomförande"]
    )
    assert colonless.unknown_labels == ("Antal platser",)
    glued = extract_fields(["T", "ProjektfasGenomförande", "Antal platser12", "RegionSydsverige"])
    assert glued.unknown_labels == ("Antal platser",)


def test_text_after_the_block_is_not_read_as_labels() -> None:
    block = extract_fields(
        ["T", "Region:", "Stockholm", "Bakgrund", "Problem / Möjligheter:", "Region: i texten"]
    )
    assert pairs(block) == [("region", "Stockholm")]
    assert block.unknown_labels == ()


def test_a_value_wrapped_onto_a_second_line_stays_one_value() -> None:
    block = extract_fields(
        ["T", "Projektägare:", "Karlstads kommun", "Staben", "Region:", "Stockholm"]
    )
    assert pairs(block) == [("owner", "Karlstads kommun Staben"), ("region", "Stockholm")]


def test_no_labels_no_block() -> None:
    block = extract_fields(["Rubrik", "21 januari 2020", "Brödtext om ett projekt."])
    assert block.pairs == ()
    assert (block.start, block.end) == (0, 0)


def test_glued_labels_with_whitespace_between_label_and_value_markup() -> None:
    block = extract_fields(
        [
            "Region Skånes kompetenslyft",
            "Projektfas Genomförande",
            "Projektägare Region Skåne",
            "Region Sydsverige",
            "In English",
        ]
    )
    assert block.start == 1  # the title reuses a label word but is no field
    assert pairs(block) == [
        ("phase", "Genomförande"),
        ("owner", "Region Skåne"),
        ("region", "Sydsverige"),
    ]


def test_no_break_spaces_and_soft_hyphens_do_not_hide_a_label() -> None:
    block = extract_fields(
        ["T", "Beviljat\u00a0ESF-stöd221\u00a0114 kr", "Projekt\u00adfasGenomförande"]
    )
    assert pairs(block) == [("granted_esf_sek", "221 114 kr"), ("phase", "Genomförande")]


def test_unknown_labels_inside_the_block_do_not_end_it() -> None:
    """`Kommun:` (a list heading word) and `Län:` are unknown labels there: the known labels after
    them are still read, and both show up in unknown_labels instead of becoming free text."""
    block = extract_fields(
        [
            "Projektägare:",
            "Malmö stad",
            "Kommun:",
            "Malmö",
            "Län:",
            "Skåne län",
            "Beviljat ESF+-stöd:",
            "6 000 000 kr",
            "Projektet syftar till att ...",
        ]
    )
    assert [(p.field, p.value) for p in block.pairs] == [
        ("owner", "Malmö stad"),
        ("granted_esf_sek", "6 000 000 kr"),
    ]
    assert block.unknown_labels == ("Kommun", "Län")


def _alias_regexes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """What the label look-ups must find, as a regex of every alias, longest first, finds it:
    `Label:` anywhere on a line, not after a word character or a hyphen; a label glued on."""
    alternation = "|".join(re.escape(alias) for alias in ALIASES)
    return (
        re.compile(rf"(?<![\w-])(?:{alternation})\s*:"),
        re.compile(rf"^(?P<label>{alternation})(?P<value>.*)$"),
    )


def _golden_lines() -> list[str]:
    """Every line of the golden pages: raw (markup and text snapshots) and as visible text."""
    lines: list[str] = []
    for path in sorted(GOLDEN.rglob("*")):
        if path.suffix in {".html", ".txt"}:
            text = path.read_text("utf-8", errors="replace")
            lines += text.splitlines()
            page = visible_text(text) if path.suffix == ".html" else read_snapshot(text)
            lines += page.lines
    return lines


def _tricky_lines() -> list[str]:
    """Each alias where a look-up could go wrong (after a word character, a hyphen or a label,
    glued, cut short, with a line break, beside another alias) and random mixes of aliases,
    their pieces and the characters around labels."""
    rng = random.Random(15)
    lines: list[str] = []
    for alias in ALIASES:
        other = rng.choice(ALIASES)
        lines += [
            *(f"{before}{alias}:" for before in ("", " ", "x", "é", "1", "_", "-", "(", "/")),
            *(
                f"{alias}{between}:"
                for between in (" ", "\u00a0", "\t", "\n", " x", "x", "\u00a0 ")
            ),
            *(f"{alias}{after}" for after in ("", "221 114 kr", " Värde", "\n", " x\ny", "\n\n")),
            f"{alias}{other}:",
            f"{alias}: 1 {other}: 2",
            f"{alias}:{other}:",
            f"{other} {alias}:",
            f"{alias[:-1]}:",
            f"{alias[1:]}:",
            f"{alias.upper()}:",
        ]
    pieces = [*ALIASES, *(alias[:cut] for alias in ALIASES for cut in (3, 7, -1))]
    pieces += [alias[cut:] for alias in ALIASES for cut in (1, -8, -3)]
    around = [":", " :", ": ", " ", "", "x", "-", "_", "\t", "\n", ". ", "EU:s ", "Totalt "]
    for _ in range(5_000):
        parts = (rng.choice(pieces if rng.random() < 0.5 else around) for _ in range(6))
        lines.append("".join(parts))
    return lines


@pytest.mark.parametrize("lines", [_golden_lines, _tricky_lines], ids=["golden", "tricky"])
def test_the_label_look_ups_find_what_a_regex_of_the_aliases_finds(
    lines: Callable[[], list[str]],
) -> None:
    """The look-ups are a faster start-up's form of that regex: the same labels, spans, values."""
    inline, glued = _alias_regexes()
    seen = 0
    for line in lines():
        spans = [
            (start, after, line[start:end]) for start, end, after in labels._inline_spans(line)
        ]
        expected = [
            (*m.span(), m.group().rstrip().rstrip(":").rstrip()) for m in inline.finditer(line)
        ]
        assert spans == expected, line
        match = glued.match(line)
        assert labels._glued_label(line) == (match and (match["label"], match["value"])), line
        seen += bool(expected) + bool(match)
    assert seen > 100  # the lines hold labels to find


def test_aliases_are_written_as_the_label_look_ups_read_them() -> None:
    """Stripped, without a final colon, and at least as long as the pieces they are found by."""
    for alias in ALIASES:
        assert alias == alias.strip(), alias
        assert not alias.endswith(":"), alias
        assert len(alias) >= labels._PIECE, alias
