"""Predict, then reveal: score where a student guessed the model would look, before the map is shown.

Pure numpy on the map's weights: the attention mass in the clicked cell and its neighbours against what
a uniform map gives the same cells, and the clicked cell's rank among all positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnattn.i18n import count, text
from cnnattn.maps import grid_cell

GOOD_RATIO = 2.0  # at least twice the uniform mass around the click: "good guess"


@dataclass(frozen=True)
class Guess:
    cell: tuple[int, int]  # (row, col) of the clicked cell, 0-based
    neighbours: int  # cells around it on the grid (8 inside, fewer at edges and corners)
    mass: float  # attention in the clicked cell and its neighbours, 0..1
    uniform: float  # what a uniform map gives the same cells: (neighbours + 1) / positions
    rank: int  # 1 = the heaviest position; ties share the better rank
    positions: int  # h * w

    @property
    def ratio(self) -> float:
        """mass / uniform: above 1, the model looks around the click more than at an average place."""
        return self.mass / self.uniform


def score_guess(weights: np.ndarray, click: tuple[float, float]) -> Guess:
    """Score a click (x, y fractions of the photo) against an (h, w) map of weights summing to 1."""
    weights = np.asarray(weights, dtype=np.float64)
    h, w = weights.shape
    row, col = divmod(grid_cell(click, (h, w)), w)
    window = weights[max(row - 1, 0) : row + 2, max(col - 1, 0) : col + 2]
    rank = 1 + int((weights > weights[row, col]).sum())
    return Guess((row, col), window.size - 1, float(window.sum() / weights.sum()), window.size / (h * w), rank, h * w)


def guess_text(guess: Guess, language: str = "en") -> str:
    """The score in words (rows and columns counted from 1), then a one-line verdict."""
    row, col = guess.cell
    result = text(
        "guess.result",
        language,
        row=row + 1,
        col=col + 1,
        neighbours=count("count.neighbour", guess.neighbours, language),
        mass=guess.mass,
        uniform=guess.uniform,
        ratio=guess.ratio,
        rank=guess.rank,
        n=guess.positions,
    )
    verdict = "guess.good" if guess.ratio >= GOOD_RATIO else "guess.fair" if guess.ratio >= 1.0 else "guess.miss"
    return f"{result} {text(verdict, language)}"
