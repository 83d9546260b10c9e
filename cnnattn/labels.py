"""ImageNet-1k class names in each language: English from torchvision; another language's from the file
beside its catalogue (`cnnattn/i18n/<code>.classes.txt`, one name a line), or English's without one."""

from __future__ import annotations

from functools import cache

from cnnattn.i18n import ENGLISH, language_file, languages

CLASSES = 1000


def class_names(language: str = ENGLISH) -> tuple[str, ...]:
    """The 1000 class names in torchvision's order (index = position of the sorted wnid)."""
    if language not in languages():
        raise ValueError(f"Unknown language {language!r}; choose one of {languages()}.")
    path = None if language == ENGLISH else language_file(language, ".classes.txt")
    return _english() if path is None else _read(path)


@cache
def _english() -> tuple[str, ...]:
    from torchvision.models import ResNet50_Weights

    return tuple(ResNet50_Weights.IMAGENET1K_V2.meta["categories"])


@cache
def _read(path) -> tuple[str, ...]:
    names = tuple(path.read_text(encoding="utf-8").splitlines())
    if len(names) != CLASSES:
        raise RuntimeError(f"{path} has {len(names)} names, expected {CLASSES}.")
    return names
