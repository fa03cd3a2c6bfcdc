"""Two static SVG charts, drawn here so the HTML report needs no library, network or script:
horizontal grouped bars and a heat map of shares. Text is escaped; sizes follow the data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

# Colour-blind-safe (Okabe–Ito) series colours, in series order.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9")
_LABEL_WIDTH = 190
_BAR_AREA = 420
_VALUE_WIDTH = 110
_BAR = 14
_GAP = 10
_FONT = 'font-family="sans-serif" font-size="12"'


def bar_chart(
    title: str,
    groups: Sequence[tuple[str, Mapping[str, float]]],
    series: Sequence[str],
    value_text: Callable[[float], str] = lambda v: f"{v:,.0f}".replace(",", " "),
) -> str:
    """Horizontal bars, one group per label, one bar per series present in it; a legend when
    there is more than one series. Bars scale to the largest value."""
    largest = max((v for _, values in groups for v in values.values()), default=0) or 1
    legend = 22 if len(series) > 1 else 0
    y = 28 + legend
    parts: list[str] = []
    for label, values in groups:
        present = [s for s in series if s in values]
        height = max(len(present), 1) * _BAR
        parts.append(
            f'<text x="{_LABEL_WIDTH - 8}" y="{y + height / 2 + 4:.0f}" text-anchor="end" '
            f"{_FONT}>{escape(label)}</text>"
        )
        for s in present:
            value = values[s]
            width = _BAR_AREA * value / largest
            colour = PALETTE[series.index(s) % len(PALETTE)]
            parts.append(
                f'<rect x="{_LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{_BAR - 2}" '
                f'fill="{colour}"><title>{escape(f"{label}, {s}: {value_text(value)}")}</title>'
                "</rect>"
            )
            parts.append(
                f'<text x="{_LABEL_WIDTH + width + 4:.1f}" y="{y + _BAR - 4}" {_FONT}>'
                f"{escape(value_text(value))}</text>"
            )
            y += _BAR
        y += _GAP + (0 if present else _BAR)
    legend_parts = [
        f'<rect x="{_LABEL_WIDTH + i * 110}" y="26" width="12" height="12" '
        f'fill="{PALETTE[i % len(PALETTE)]}"/>'
        f'<text x="{_LABEL_WIDTH + i * 110 + 16}" y="36" {_FONT}>{escape(s)}</text>'
        for i, s in enumerate(series)
        if legend
    ]
    return _svg(title, _LABEL_WIDTH + _BAR_AREA + _VALUE_WIDTH, y + 4, [*legend_parts, *parts])


def heat_map(
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    share: Callable[[str, str], float | None],
) -> str:
    """A grid of shares (0–1): one row per field, one column per period, darker when fuller,
    the percentage written in each cell (a dash where there is no figure)."""
    cell_w, cell_h, top = 90, 20, 46
    parts = [
        f'<text x="{_LABEL_WIDTH + i * cell_w + cell_w / 2:.0f}" y="{top - 8}" '
        f'text-anchor="middle" {_FONT}>{escape(c)}</text>'
        for i, c in enumerate(columns)
    ]
    for j, row in enumerate(rows):
        y = top + j * cell_h
        parts.append(
            f'<text x="{_LABEL_WIDTH - 8}" y="{y + 14}" text-anchor="end" {_FONT}>'
            f"{escape(row)}</text>"
        )
        for i, column in enumerate(columns):
            value = share(row, column)
            fill = "#eeeeee" if value is None else _blue(value)
            ink = "#000000" if value is None or value < 0.6 else "#ffffff"
            text = "–" if value is None else f"{value * 100:.0f}%"
            parts.append(
                f'<rect x="{_LABEL_WIDTH + i * cell_w}" y="{y}" width="{cell_w - 2}" '
                f'height="{cell_h - 2}" fill="{fill}"/>'
                f'<text x="{_LABEL_WIDTH + i * cell_w + cell_w / 2 - 1:.0f}" y="{y + 14}" '
                f'text-anchor="middle" fill="{ink}" {_FONT}>{text}</text>'
            )
    width = _LABEL_WIDTH + cell_w * len(columns) + 10
    return _svg(title, width, top + cell_h * len(rows) + 6, parts)


def _blue(share: float) -> str:
    """White (0) to dark blue (1)."""
    share = min(max(share, 0.0), 1.0)
    r, g, b = (round(255 + (end - 255) * share) for end in (0x08, 0x30, 0x6B))
    return f"#{r:02x}{g:02x}{b:02x}"


def _svg(title: str, width: float, height: float, parts: Sequence[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">'
        f"<title>{escape(title)}</title>"
        f'<text x="0" y="16" font-family="sans-serif" font-size="14" font-weight="bold">'
        f"{escape(title)}</text>" + "".join(parts) + "</svg>"
    )
