"""Numbers as the lesson and Explore show them: grid tables counted from 1, weights that never read as 0.

On screen rows and columns count from 1 in both languages ("row 1", "第 1 行"); JSON and files keep
the 0-based indices (`Table.values` holds the numbers behind a grid table, unrounded).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cnnattn.i18n import text

SMALLEST_DECIMAL = 1e-3  # weights below this are written as m.m×10⁻ⁿ, so no positive weight reads "0.0000"
SMALLEST_RATIO = 0.01  # ratios to the uniform weight below this are written as m.m×10⁻ⁿ, not "0.00"
# What the lesson's texts say instead of m.m×10⁻ⁿ: the first bound a weight is under, smallest first.
TINY_WEIGHTS = (
    (1e-9, "weight.tiny.billion"), (1e-6, "weight.tiny.million"), (SMALLEST_DECIMAL, "weight.tiny.thousand")
)  # fmt: skip
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass(frozen=True)
class Table:
    headers: list[str]  # column titles; the first is the row-label column's
    rows: list[list]  # one list per row: its label, then the values as shown (strings or numbers)
    title: str = ""  # what the numbers are, in the view's language
    values: np.ndarray | None = field(default=None, compare=False)  # (h, w) grid tables: the numbers, 0-based


def scientific(value: float, digits: int = 1) -> str:
    """``5.0×10⁻⁴``: readable on a page in any language, unlike ``5.0e-04``."""
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    return f"{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def format_weight(value: float, decimals: int = 4) -> str:
    """A probability as shown: `decimals` places from 0.001 up, scientific below, so a positive weight
    never reads as 0. A float64 softmax underflows only below 10⁻³⁰⁸, shown as such."""
    value = float(value)
    if value >= SMALLEST_DECIMAL:
        return f"{value:.{decimals}f}"
    if value > 0.0:
        return scientific(value)
    return "<10⁻³⁰⁸" if value == 0.0 else f"{value:.{decimals}f}"


def format_ratio(value: float) -> str:
    """How many times the uniform weight: two decimals, scientific when that would read 0.00."""
    return f"{value:.2f}" if value >= SMALLEST_RATIO or value <= 0.0 else scientific(value)


def plain_weight(value: float, language: str) -> str:
    """A weight in words a student reads at a glance: four decimals from 0.001 up, below that how small it
    is ("practically zero (less than one in a billion)" rather than 3.7×10⁻³⁵)."""
    value = float(value)
    for bound, key in TINY_WEIGHTS:
        if value < bound:
            return text(key, language)
    return f"{value:.4f}"


def cell_weight(weight: float, n: int, language: str) -> dict[str, str]:
    """The cell texts' {weight}, {compared} (against the uniform weight 1/n) and {exact}: plain words first,
    and where they stand for a number written m.m×10⁻ⁿ, that number in a closed <details> block."""
    weight = float(weight)
    ratio = weight * n
    compared = "cell.times_uniform" if ratio >= SMALLEST_RATIO else "cell.below_uniform"
    tiny = weight < SMALLEST_DECIMAL or ratio < SMALLEST_RATIO
    exact = text("cell.exact", language, weight=format_weight(weight), ratio=format_ratio(ratio), n=n)
    return {
        "weight": plain_weight(weight, language),
        "compared": text(compared, language, ratio=ratio, n=n),
        "exact": exact if tiny else "",
    }


def softmax64(scores: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(scores / T) over the whole grid in float64: the same weights as the heads' float32 softmax
    (within 1e-6), without float32's underflow to exactly 0 at low temperatures."""
    shifted = (np.asarray(scores, dtype=np.float64) - float(np.max(scores))) / temperature
    weights = np.exp(shifted)
    return weights / weights.sum()


def grid_table(values: np.ndarray, language: str, title: str = "", shown=lambda v: f"{v:.3f}") -> Table:
    """An (h, w) grid as rows "row 1".."row h" and columns 1..w, every column, each value through `shown`."""
    h, w = np.shape(values)
    headers = [text("table.corner", language)] + [str(col + 1) for col in range(w)]
    rows = [[text("table.row", language, n=row + 1)] + [shown(float(v)) for v in values[row]] for row in range(h)]
    return Table(headers, rows, title, np.asarray(values))


def weight_table(weights: np.ndarray, language: str, title: str | None = None) -> Table:
    """Softmax weights on the grid; the title says they sum to 1 and how tiny ones are written."""
    return grid_table(weights, language, text("table.weights", language) if title is None else title, format_weight)


def format_percent(probability: float) -> str:
    """A probability in percent with one decimal, never rounded to a misleading 0.0% or 100.0%."""
    probability = float(probability)
    if 0.0 < probability < 0.0005:
        return "<0.1%"
    if 0.9995 <= probability < 1.0:
        return ">99.9%"
    return f"{probability:.1%}"
