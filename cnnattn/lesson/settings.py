"""The lesson's controls as one small settings object, checked at the boundary.

Errors are `UserError`s named by a catalogue key, so the web layer's one adapter words them in the
visitor's language; `str()` is the English sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnattn.backbones import FINAL
from cnnattn.errors import UserError
from cnnattn.i18n import languages
from cnnattn.labels import class_names
from cnnattn.render import COLORMAPS, DEFAULT_COLORMAP

TOP1 = -1  # class_index meaning "the top-1 predicted class"
TEMPERATURE_RANGE = (0.1, 20.0)


@dataclass(frozen=True)
class LessonSettings:
    head: str = "class"  # a head id as text, e.g. "class", "simple/0" (lesson.head_ids)
    temperature: float = 4.0  # softmax temperature T (the class map's default)
    query: tuple[float, float] = (0.5, 0.5)  # clicked cell, (x, y) fractions of width and height
    colormap: str = DEFAULT_COLORMAP
    opacity: float = 0.5  # heatmap over the photo, 0..1
    shared_scale: bool = False  # compared maps share one absolute colour scale
    share: float = 0.5  # mass share inside the contour (smallest region holding it)
    top_k: int = 5  # k of the top-k mass readout
    language: str = "en"
    class_index: int = TOP1  # the class map's class (its classifier row scores the positions)
    layer: str = FINAL  # feature self-attention only: Backbone.layer_names, e.g. "blocks.4"

    def checked(self, heads: list[str]) -> LessonSettings:
        """Raise UserError (a ValueError) with a fix-it message for anything out of range."""
        if self.head not in heads:
            raise UserError("error.settings.head", value=self.head, choices=", ".join(heads))
        low, high = TEMPERATURE_RANGE
        if not low <= self.temperature <= high:
            raise UserError("error.settings.temperature", low=low, high=high)
        if not all(0.0 <= v <= 1.0 for v in self.query):
            raise UserError("error.settings.query")
        if self.colormap not in COLORMAPS:
            raise UserError("error.settings.colormap", value=self.colormap, choices=", ".join(COLORMAPS))
        if not 0.0 <= self.opacity <= 1.0:
            raise UserError("error.settings.opacity")
        if not 0.0 < self.share <= 1.0:
            raise UserError("error.settings.share")
        if self.top_k < 1:
            raise UserError("error.settings.top_k")
        if self.language not in languages():
            raise UserError("error.settings.language", value=self.language, choices=", ".join(languages()))
        classes = len(class_names(self.language))
        if not TOP1 <= self.class_index < classes:
            raise UserError("error.settings.class", top1=TOP1, last=classes - 1)
        return self
